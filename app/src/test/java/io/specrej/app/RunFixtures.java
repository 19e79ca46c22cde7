package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Shared pieces of the run/compare/analyze tests: the fixture model options, prompt files, run-file reading. */
final class RunFixtures {
    static final List<String> PROMPTS = List.of("Tell me about the brown fox.", "Name three colors.",
            "Why is the sea salty?", "Count to five.", "Describe a quiet morning.");

    private RunFixtures() {
    }

    /**
     * The tiny fixture pair. Its logits are huge (std about 30), so a high temperature makes the candidates differ;
     * eight tokens keep a run fast.
     */
    static List<Object> fixtureArgs(Path prompts, Path out, String strategy, int n) {
        List<Object> args = new ArrayList<>(List.of("run", "--model", TestData.fixture("llama"),
                "--reward-model", TestData.fixture("llama-rm"), "--prompts", prompts, "--strategy", strategy,
                "--max-new-tokens", 8, "--temperature", 25, "--seed", 7, "--out", out, "--progress", "lines"));
        if (n > 0) {
            args.add("--n");
            args.add(n);
        }
        return args;
    }

    static Cli.Result run(List<Object> args, Object... more) {
        List<Object> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return Cli.run(all.toArray());
    }

    /** A JSON-list prompt file (AlpacaFarm format) with the five prompts. */
    static Path jsonListPrompts(Path dir) {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < PROMPTS.size(); i++) {
            sb.append("  {\"prompt\": ").append(quote(PROMPTS.get(i))).append(", \"id\": ").append(i).append("}")
                    .append(i + 1 < PROMPTS.size() ? ",\n" : "\n");
        }
        return write(dir.resolve("prompts.json"), sb.append("]\n").toString());
    }

    static Path write(Path file, String text) {
        try {
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String quote(String s) {
        return Json.line(Json.MAPPER.getNodeFactory().textNode(s));
    }

    static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(TestData.JSON.readTree(line));
        }
        return out;
    }

    /** A record with the timings (the only fields that differ between identical runs) removed. */
    static JsonNode withoutTimings(JsonNode record) {
        ObjectNode copy = record.deepCopy();
        ObjectNode stats = (ObjectNode) copy.get("stats");
        List<String> timing = new ArrayList<>();
        for (Iterator<String> it = stats.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (f.endsWith("_seconds")) {
                timing.add(f);
            }
        }
        stats.remove(timing);
        return copy;
    }
}
