package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Paths to the repository's fixtures, found from the working directory so any module layout works. */
public final class TestData {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = findRoot();

    private TestData() {
    }

    private static Path findRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/fixtures"))) {
                return p;
            }
        }
        throw new IllegalStateException("no testdata/fixtures above " + Path.of("").toAbsolutePath());
    }

    public static Path root() {
        return ROOT;
    }

    /** A tiny fixture model: llama, gpt2, qwen2, qwen3, mistral, llama-rm, qwen2-rm, gpt2-rm, llama-bf16. */
    static Path fixture(String name) {
        return ROOT.resolve("testdata/fixtures/models").resolve(name);
    }

    /** The small trained pair shipped with the repo: mini-alpaca-gen, mini-alpaca-rm. */
    static Path embedded(String name) {
        return ROOT.resolve("models").resolve(name);
    }

    static JsonNode golden(String name) {
        return readJson(ROOT.resolve("testdata/fixtures/golden").resolve(name + ".json"));
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A writable copy of a fixture model directory, for tests that break or change one file. */
    static Path copyFixture(String name, Path into) {
        Path source = fixture(name);
        Path target = into.resolve(name);
        try (Stream<Path> files = Files.list(source)) {
            Files.createDirectories(target);
            for (Path f : files.toList()) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    static String ids(JsonNode array) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode n : array) {
            sb.append(sb.isEmpty() ? "" : ",").append(n.asInt());
        }
        return sb.toString();
    }

    static int[] intArray(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
