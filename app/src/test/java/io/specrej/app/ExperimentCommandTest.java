package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** experiments/quick.yaml end to end, a rerun that resumes, the report's relations, and bad specs. */
class ExperimentCommandTest {
    @TempDir
    Path dir;

    @Test
    void theQuickSpecRunsReportsAndResumes() throws Exception {
        Path spec = TestData.root().resolve("experiments/quick.yaml");
        Path out = dir.resolve("quick");
        Cli.Result r = Cli.run("experiment", spec, "--out", out);
        assertEquals(0, r.code(), r.toString());
        for (String f : List.of("report.md", "report.json", "compare.png", "prompts.jsonl", "arms/bon-4.jsonl",
                "arms/bon-8.jsonl", "arms/specrej-a0.5.jsonl")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertEquals(3, Files.readAllLines(out.resolve("prompts.jsonl")).size(), "sample: 3 prompts");
        JsonNode report = TestData.JSON.readTree(Files.readString(out.resolve("report.json")));
        JsonNode arms = report.get("arms");
        assertEquals(3, arms.size());
        JsonNode base = arms.get(0);
        assertEquals(100.0, base.get("improvement_score").asDouble(), 1e-9);
        assertEquals(1.0, base.get("relative_compute_tokens").asDouble(), 1e-9);
        assertEquals(1, base.get("machines").asInt(), "the budget holds the smallest Best-of-N in one wave");
        assertEquals(2, arms.get(1).get("machines").asInt(), "Best-of-8 needs two waves of 4");
        JsonNode spr = arms.get(2);
        assertEquals(1, spr.get("machines").asInt());
        // Its BoN-equivalents hold together: where both are stated, reaching its score costs Best-of-N its factor.
        assertTrue(spr.get("n").asInt() > 4, "Speculative Rejection starts more than Best-of-N holds");
        long tokens = 0;
        for (String line : Files.readAllLines(out.resolve("arms/specrej-a0.5.jsonl"))) {
            tokens += TestData.JSON.readTree(line).get("stats").get("generated_tokens").asLong();
        }
        assertEquals(tokens, spr.get("generated_tokens").asLong());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| Speculative Rejection alpha=0.5 |"), md);
        byte[] before = Files.readAllBytes(out.resolve("arms/bon-8.jsonl"));
        Cli.Result again = Cli.run("experiment", spec, "--out", out);
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.err().contains("nothing to do"), again.err());
        assertEquals(new String(before), Files.readString(out.resolve("arms/bon-8.jsonl")), "complete arms kept");
    }

    @Test
    void badSpecsAreOneLineNamingTheKey() throws Exception {
        Path prompts = TestData.root().resolve("testdata/alpaca_farm_dev50.json");
        String[][] cases = {
            {"prompts: " + prompts + "\nbest_of_n: [4]\nfrobnicate: 1\n", "frobnicate is not a known key"},
            {"prompts: " + prompts + "\nbest_of_n: []\n", "best_of_n needs at least one N"},
            {"prompts: " + prompts + "\nbest_of_n: [4]\nspeculative_rejection: {alpha: [1.5]}\n",
                "speculative_rejection.alpha values must be numbers in [0, 1)"},
            {"prompts: " + prompts + "\nbest_of_n: [4]\ngenerator: /no/such/model\n", "generator names"},
            {"best_of_n: [4]\n", "prompts is required"},
            {"prompts: " + prompts + "\nbest_of_n: [4, 8]\nbaseline: 16\n", "baseline 16 is not one of best_of_n"},
            {"prompts: " + prompts + "\nbest_of_n: [4]\nlimit: 2\nmemory_budget: 1000\n", "--memory-budget"},
        };
        for (String[] c : cases) {
            Path spec = Files.writeString(dir.resolve("spec.yaml"), c[0]);
            Cli.Result r = Cli.run("experiment", spec, "--out", dir.resolve("out"));
            assertEquals(2, r.code(), c[0] + " -> " + r);
            assertTrue(r.err().contains(c[1]), c[1] + " in " + r.err());
        }
    }
}
