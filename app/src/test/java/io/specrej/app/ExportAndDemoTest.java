package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportAndDemoTest {
    @TempDir
    Path temp;

    @Test
    void exportWritesInstructionOutputAndGeneratorInPromptOrder() throws IOException {
        SyntheticRuns run = new SyntheticRuns("specrej", 4, 0.5);
        run.bon(3, 1, 1, 1, 0.5, 2.5, 1.0); // written out of order on purpose
        run.bon(1, 1, 1, 1, 4.0, 0.0);
        Path file = run.write(temp.resolve("spr_a05.jsonl"));
        Path out = temp.resolve("outputs.json");
        Cli.Result r = Cli.run("export-alpaca-eval", file, "--out", out);
        assertEquals(0, r.code(), r::toString);
        JsonNode list = TestData.readJson(out);
        assertEquals(2, list.size());
        for (JsonNode e : list) {
            Set<String> fields = new TreeSet<>();
            e.fieldNames().forEachRemaining(fields::add);
            assertEquals(Set.of("instruction", "output", "generator"), fields);
            assertEquals("spr_a05-specrej", e.get("generator").asText());
        }
        assertEquals("prompt number 1", list.get(0).get("instruction").asText());
        assertEquals("response 0", list.get(0).get("output").asText()); // best of (4.0, 0.0)
        assertEquals("prompt number 3", list.get(1).get("instruction").asText());
        assertEquals("response 1", list.get(1).get("output").asText()); // best of (0.5, 2.5, 1.0)

        Cli.Result named = Cli.run("export-alpaca-eval", file, "--out", out, "--generator-name", "mine");
        assertEquals(0, named.code(), named::toString);
        assertEquals("mine", TestData.readJson(out).get(0).get("generator").asText());
    }

    @Test
    void demoPrintsBothStrategiesSideBySide() {
        Cli.Result r = Cli.run("demo", "--prompts", 1, "--n", 4, "--max-new-tokens", 8, "--decision-every", 4);
        assertEquals(0, r.code(), r::toString);
        List<String> lines = r.outLines();
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\s+Best-of-N\\s+SpecRej")), r::toString);
        for (String row : new String[] {"best score", "wall time", "generated tokens", "RM tokens"}) {
            assertTrue(lines.stream().anyMatch(l -> l.matches(row + "\\s+-?[0-9.]+( s)?\\s+-?[0-9.]+( s)?")),
                    row + "\n" + r);
        }
        // every 4 tokens out of 8: one decision at 4 that halves 4 candidates
        assertTrue(r.out().contains("SpecRej decisions (tokens: ranked -> kept): 4: 4 -> 2"), r::toString);
        assertTrue(r.out().contains("[1/1] " + uncheckedFirstPrompt()), r::toString);
        assertTrue(r.out().contains("Total over 1 prompt(s)"), r::toString);
        assertTrue(r.out().contains("Best-of-N best:") && r.out().contains("SpecRej best:"), r::toString);
    }

    @Test
    void bundledDemoPromptsAreNotFromTheEvaluationSet() throws IOException {
        List<String> demo = DemoCommand.bundledPrompts();
        assertEquals(5, demo.size());
        List<String> eval = PromptFile.read(TestData.root().resolve("testdata/alpaca_farm_dev50.json")).texts();
        for (String p : demo) {
            assertTrue(eval.stream().noneMatch(e -> e.contains(p) || p.contains(e)), p);
        }
    }

    private static String uncheckedFirstPrompt() {
        try {
            return DemoCommand.bundledPrompts().get(0);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
