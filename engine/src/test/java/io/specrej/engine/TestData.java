package io.specrej.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the checked-in fixtures from whatever directory the tests run in (module dir under Maven, or repo root). */
public final class TestData {
    private static Path root;

    private TestData() {
    }

    /** The repository root: the nearest ancestor of the working directory that contains {@code testdata/fixtures}. */
    public static synchronized Path repoRoot() {
        if (root == null) {
            Path start = Path.of("").toAbsolutePath();
            for (Path p = start; p != null; p = p.getParent()) {
                if (Files.isDirectory(p.resolve("testdata").resolve("fixtures"))) {
                    root = p;
                    return root;
                }
            }
            throw new IllegalStateException("no testdata/fixtures above " + start);
        }
        return root;
    }

    /** {@code testdata/fixtures}. */
    public static Path fixtures() {
        return repoRoot().resolve("testdata").resolve("fixtures");
    }

    /** {@code testdata/fixtures/models/<name>}, e.g. "llama", "llama-bf16", "gpt2". */
    public static Path fixtureModel(String name) {
        return fixtures().resolve("models").resolve(name);
    }
}
