package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

        Cli.Result named = Cli.run("export-alpaca-eval", file, "--out", out, "--generator-name", "mine", "--force");
        assertEquals(0, named.code(), named::toString);
        assertEquals("mine", TestData.readJson(out).get(0).get("generator").asText());
    }

    /**
     * One budget for all three runs: Best-of-N's N is what fits for the whole horizon, Speculative Rejection starts
     * more (what fits for its first 8 tokens) and decides when memory is full, and Best-of-N0 finishes all of those.
     * Candidate i draws the same tokens in every run, so what the table shows must obey the relations below.
     */
    @Test
    void demoComparesTheStrategiesAtEqualMemory() {
        Cli.Result r = Cli.run("demo", "--prompt-count", 1, "--max-new-tokens", 40, "--memory-budget", "2MiB");
        assertEquals(0, r.code(), r::toString);
        String out = r.out();
        assertTrue(out.contains("[1/1] " + uncheckedFirstPrompt()), r::toString);
        Matcher plan = Pattern.compile("Best-of-N fits N = (\\d+) in one wave; Speculative Rejection starts (\\d+);")
                .matcher(out);
        assertTrue(plan.find(), r::toString);
        int n = Integer.parseInt(plan.group(1));
        int n0 = Integer.parseInt(plan.group(2));
        assertTrue(n >= 1 && n0 > n, "the same memory holds more 8-token starts than 40-token responses: " + r);
        assertTrue(Pattern.compile("Best-of-" + n + "\\s+SpecRej\\s+Best-of-" + n0).matcher(out).find(), r::toString);
        // Speculative Rejection's first decision ranks all it started
        assertTrue(Pattern.compile("SpecRej decisions \\(tokens: ranked -> kept\\): \\d+: " + n0 + " -> ")
                .matcher(out).find(), r::toString);
        long[] tokens = row(out, "generated tokens");
        assertTrue(tokens[0] <= 40L * n, "Best-of-N runs N responses: " + r);
        assertTrue(tokens[1] <= tokens[2], "Speculative Rejection's responses are Best-of-N0's, some cut short: " + r);
        double[] total = scores(out.substring(out.indexOf("Total over 1 prompt(s), N = " + n + ", N0 = " + n0)));
        assertTrue(total[0] <= total[2], "Best-of-N's candidates are the first N of Best-of-N0's: " + r);
        String verdict = "In the same memory, Speculative Rejection (starting N0 = " + n0 + ") scored "
                + DemoVerdict.comparison(total[1], total[0]) + " Best-of-N (N = " + n + ")";
        assertTrue(out.contains(verdict), "the sentence must agree with the totals: " + verdict + "\n" + r);
    }

    /** The first "best score" row's three numbers. */
    private static double[] scores(String text) {
        Matcher m = Pattern.compile("best score\\s+(-?[0-9.]+)\\s+(-?[0-9.]+)\\s+(-?[0-9.]+)").matcher(text);
        assertTrue(m.find(), text);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                Double.parseDouble(m.group(3))};
    }

    private static long[] row(String text, String name) {
        Matcher m = Pattern.compile(name + "\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)").matcher(text);
        assertTrue(m.find(), name + " in " + text);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
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
