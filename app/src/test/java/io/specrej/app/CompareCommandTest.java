package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @TempDir
    Path temp;

    // Baseline final scores per prompt (prompt 2: all equal, so it cannot be normalized and is skipped).
    private static final double[][] BASE = {{1.0, 3.0, 2.0, 0.0}, {-2.0, -1.0, 0.5, -0.5}, {4.0, 4.0, 4.0, 4.0},
            {0.25, 0.75, 0.5, 1.25}};
    private static final double[] BASE_WALL = {2.0, 3.0, 4.0, 1.0};
    private static final long[] BASE_GEN = {400, 380, 420, 300};
    private static final long[] BASE_RM = {500, 450, 480, 360};
    // The run's best score, wall, generated and RM tokens for prompts 0..2 (prompt 3 is missing from it).
    private static final double[] RUN_BEST = {2.5, 0.5, 4.0};
    private static final double[] RUN_WALL = {1.0, 1.5, 1.0};
    private static final long[] RUN_GEN = {200, 150, 160};
    private static final long[] RUN_RM = {300, 210, 200};

    private Path baseline() throws IOException {
        SyntheticRuns b = new SyntheticRuns("bon", 4, 0.5);
        for (int i = 0; i < BASE.length; i++) {
            b.bon(i, BASE_WALL[i], BASE_GEN[i], BASE_RM[i], BASE[i]);
        }
        return b.write(temp.resolve("bon4.jsonl"));
    }

    private Path specrej() throws IOException {
        SyntheticRuns r = new SyntheticRuns("specrej", 4, 0.5);
        for (int i = 0; i < RUN_BEST.length; i++) {
            r.add(i, List.of(new SyntheticRuns.Traj(0, 10, true, RUN_BEST[i], null)), 0, RUN_BEST[i], RUN_WALL[i],
                    RUN_GEN[i], RUN_RM[i], List.of());
        }
        return r.write(temp.resolve("spr.jsonl"));
    }

    @Test
    void improvementScoreAndRelativeComputeMatchAHandComputation() throws IOException {
        Path base = baseline();
        Path run = specrej();
        Cli.Result r = Cli.run("compare", "--baseline", base, "--runs", run, "--json");
        assertEquals(0, r.code(), r::toString);
        JsonNode runs = TestData.JSON.readTree(r.out()).get("runs");
        assertEquals(2, runs.size());

        // Expected, by another route: 100 * (1 + (b - max) / (max - min)) == 100 * (b - min) / (max - min),
        // averaged over the prompts both files hold whose baseline scores are not all equal (0 and 1).
        double sum = 0;
        int used = 0;
        double baseWall = 0;
        double runWall = 0;
        double baseGen = 0;
        double runGen = 0;
        double baseRm = 0;
        double runRm = 0;
        for (int i = 0; i < RUN_BEST.length; i++) {
            double[] sorted = BASE[i].clone();
            Arrays.sort(sorted);
            double min = sorted[0];
            double max = sorted[sorted.length - 1];
            if (max > min) {
                sum += 100 * (RUN_BEST[i] - min) / (max - min);
                used++;
            }
            baseWall += BASE_WALL[i];
            runWall += RUN_WALL[i];
            baseGen += BASE_GEN[i];
            runGen += RUN_GEN[i];
            baseRm += BASE_RM[i];
            runRm += RUN_RM[i];
        }
        assertEquals(2, used);
        JsonNode spr = runs.get(1);
        assertEquals("specrej", spr.get("strategy").asText());
        assertEquals(3, spr.get("prompts").asInt());
        assertEquals(1, spr.get("skipped").asInt());
        assertEquals(sum / used, spr.get("improvement_score").asDouble(), 1e-9);
        assertEquals(runWall / baseWall, spr.get("relative_wall_time").asDouble(), 1e-12);
        assertEquals(runGen / baseGen, spr.get("generated_token_ratio").asDouble(), 1e-12);
        assertEquals(runRm / baseRm, spr.get("reward_token_ratio").asDouble(), 1e-12);
        // by hand: prompt 0 (2.5 - 0) / 3 = 0.8333, prompt 1 (0.5 + 2) / 2.5 = 1.0 -> 91.67
        assertEquals(100 * (2.5 / 3 + 1.0) / 2, spr.get("improvement_score").asDouble(), 1e-9);

        JsonNode self = runs.get(0);
        assertEquals("bon", self.get("strategy").asText());
        assertEquals(4, self.get("prompts").asInt());
        assertEquals(100.0, self.get("improvement_score").asDouble(), 1e-12);
        assertEquals(1.0, self.get("relative_wall_time").asDouble(), 1e-12);
        assertTrue(r.err().contains("warning: " + run + ": 0 prompt(s) not in the baseline, 1 baseline prompt(s) "
                + "missing; comparing over the 3 in both"), r::toString);
    }

    @Test
    void tableNamesEachRunAndThePlotIsAValidPng() throws IOException {
        Path png = temp.resolve("compare.png");
        Cli.Result r = Cli.run("compare", "--baseline", baseline(), "--runs", specrej(), "--plot", png);
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("bon4.jsonl (baseline) [bon N=4]"), r::toString);
        assertTrue(r.out().contains("spr.jsonl [specrej N=4 alpha=0.5]"), r::toString);
        assertTrue(r.out().contains("91.7"), r::toString);
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
                Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image);
        assertTrue(image.getWidth() > 0 && image.getHeight() > 0);
    }

    @Test
    void disjointFilesAndBrokenFilesAreBadInput() throws IOException {
        SyntheticRuns other = new SyntheticRuns("bon", 4, 0.5);
        other.bon(17, 1.0, 10, 10, 1.0, 2.0);
        Path disjoint = other.write(temp.resolve("other.jsonl"));
        Cli.Result r = Cli.run("compare", "--baseline", baseline(), "--runs", disjoint);
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: " + disjoint + " shares no prompt_index"), r::toString);

        Path broken = RunFixtures.write(temp.resolve("broken.jsonl"), "{\"prompt_index\": 0}\n");
        Cli.Result b = Cli.run("compare", "--baseline", broken, "--runs", disjoint);
        assertEquals(2, b.code());
        assertTrue(b.err().startsWith("error: " + broken + " line 1: field \"prompt\" must be a string"),
                b::toString);
    }

    /** The file with {@code field} set to {@code value} in every record's params. */
    private Path withParam(Path file, String field, Object value, String name) throws IOException {
        List<String> out = new java.util.ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(file)) {
            com.fasterxml.jackson.databind.node.ObjectNode o =
                    (com.fasterxml.jackson.databind.node.ObjectNode) TestData.JSON.readTree(line);
            com.fasterxml.jackson.databind.node.ObjectNode params =
                    (com.fasterxml.jackson.databind.node.ObjectNode) o.get("params");
            params.set(field, TestData.JSON.valueToTree(value));
            out.add(TestData.JSON.writeValueAsString(o));
        }
        return java.nio.file.Files.write(temp.resolve(name), out);
    }

    @Test
    void runsOfAnotherRewardModelOrLengthAreRefusedUnlessAllowed() throws IOException {
        Path base = withParam(baseline(), "reward_model", "/models/rm-a", "base-a.jsonl");
        Path other = withParam(withParam(specrej(), "reward_model", "/models/rm-b", "spr-b.jsonl"), "max_new_tokens",
                64, "spr-b64.jsonl");
        Cli.Result refused = Cli.run("compare", "--baseline", base, "--runs", other);
        assertEquals(2, refused.code(), refused::toString);
        assertTrue(refused.err().contains("differs from --baseline") && refused.err().contains("reward_model")
                && refused.err().contains("--allow-mismatch"), refused.err());
        assertEquals(1, refused.err().lines().filter(l -> l.startsWith("error:")).count(), "one error line");
        Cli.Result allowed = Cli.run("compare", "--baseline", base, "--runs", other, "--allow-mismatch", "--json");
        assertEquals(0, allowed.code(), allowed::toString);
        JsonNode row = TestData.JSON.readTree(allowed.out()).get("runs").get(1);
        assertEquals("reward_model", row.get("differs").get(0).asText());
        Path sameRm = withParam(specrej(), "reward_model", "/models/rm-a", "spr-a.jsonl");
        assertEquals(0, Cli.run("compare", "--baseline", base, "--runs", sameRm).code());
    }

    @Test
    void intervalsAndTheBaselineWinnerSurvivingAreReported() throws IOException {
        Path base = withParam(baseline(), "seed", 3, "base-seed.jsonl");
        SyntheticRuns r = new SyntheticRuns("specrej", 4, 0.5);
        // Prompt 0: the baseline's winner (id 1) survives; prompt 1: it is rejected (id 2 was its winner).
        r.add(0, List.of(new SyntheticRuns.Traj(1, 10, true, 2.5, null), new SyntheticRuns.Traj(0, 5, false, 0.1, 0)),
                1, 2.5, 1.0, 100, 100, List.of());
        r.add(1, List.of(new SyntheticRuns.Traj(2, 5, false, 0.0, 0), new SyntheticRuns.Traj(3, 10, true, 0.2, null)),
                3, 0.2, 1.0, 100, 100, List.of());
        Path run = withParam(r.write(temp.resolve("spr-seed.jsonl")), "seed", 3, "spr-seed3.jsonl");
        JsonNode rows = TestData.JSON.readTree(Cli.run("compare", "--baseline", base, "--runs", run, "--json").out())
                .get("runs");
        JsonNode row = rows.get(1);
        assertEquals(0.5, row.get("bon_winner_kept").asDouble(), 1e-12);
        double score = row.get("improvement_score").asDouble();
        assertTrue(row.get("improvement_ci_low").asDouble() <= score && score <= row.get("improvement_ci_high")
                .asDouble(), row.toString());
        Path otherSeed = withParam(run, "seed", 4, "spr-seed4.jsonl");
        JsonNode unseeded = TestData.JSON.readTree(Cli.run("compare", "--baseline", base, "--runs", otherSeed,
                "--json").out()).get("runs").get(1);
        assertTrue(unseeded.get("bon_winner_kept").isNull(), "no claim across different seeds");
    }

    @Test
    void theLog2AxisReadsAsMultiples() {
        assertEquals("1x", ComparePlot.multiple(0));
        assertEquals("4x", ComparePlot.multiple(2));
        assertEquals("1/2x", ComparePlot.multiple(-1));
        assertEquals("1.4x", ComparePlot.multiple(0.5));
    }
}
