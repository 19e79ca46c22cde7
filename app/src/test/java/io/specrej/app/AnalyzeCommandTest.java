package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyzeCommandTest {
    private static final double EPS = 1e-12;

    @TempDir
    Path temp;

    private static SyntheticRuns.Traj t(int id, int tokens, double score, Integer rejectedAt, double[]... partial) {
        return new SyntheticRuns.Traj(id, tokens, true, score, rejectedAt, partial);
    }

    private static double[] at(int tokens, double score) {
        return new double[] {tokens, score};
    }

    /**
     * Four prompts, one decision each, at a different length each: partial rewards that order the finished
     * trajectories exactly as their final rewards (rho 1), in reverse (rho -1), with a tie, and a real rejection.
     */
    private Path synthetic() throws IOException {
        SyntheticRuns run = new SyntheticRuns("specrej", 4, 0.5);
        // 4 tokens: trajectory 0 finished early (3 tokens, final 10) and is ranked at its final reward
        run.add(0, List.of(t(0, 3, 10, null), t(1, 9, 20, null, at(4, 2)), t(2, 9, 30, null, at(4, 3)),
                t(3, 9, 40, null, at(4, 4))), 3, 40, 1, 1, 1, List.of(new SyntheticRuns.Decision(4, 4, 4)));
        // 8 tokens: partial order reversed; the winner (3) ranks last
        run.add(1, List.of(t(0, 9, 10, null, at(8, 4)), t(1, 9, 20, null, at(8, 3)), t(2, 9, 30, null, at(8, 2)),
                t(3, 9, 40, null, at(8, 1))), 3, 40, 1, 1, 1, List.of(new SyntheticRuns.Decision(8, 4, 4)));
        // 12 tokens: a tie in the partial rewards -> ranks 1.5, 1.5, 3, 4 against 1, 2, 3, 4
        run.add(2, List.of(t(0, 20, 1, null, at(12, 1)), t(1, 20, 2, null, at(12, 1)), t(2, 20, 3, null, at(12, 2)),
                t(3, 20, 4, null, at(12, 3))), 3, 4, 1, 1, 1, List.of(new SyntheticRuns.Decision(12, 4, 4)));
        // 2 tokens: two rejected (no final reward), the two survivors finish in the opposite order
        run.add(3, List.of(new SyntheticRuns.Traj(0, 2, false, 0.1, 0, at(2, 0.1)),
                new SyntheticRuns.Traj(1, 2, false, 0.2, 0, at(2, 0.2)), t(2, 9, 5, null, at(2, 0.5)),
                t(3, 9, 3, null, at(2, 0.9))), 2, 5, 1, 1, 1, List.of(new SyntheticRuns.Decision(2, 4, 2)));
        return run.write(temp.resolve("spr.jsonl"));
    }

    @Test
    void spearmanIsOneForTheSameOrderMinusOneReversedAndAveragesTies() {
        assertEquals(1.0, Spearman.rho(new double[] {1, 2, 3, 4}, new double[] {10, 20, 35, 400}), EPS);
        assertEquals(-1.0, Spearman.rho(new double[] {1, 2, 3, 4}, new double[] {9, 8, 7, -1}), EPS);
        // ranks (1.5, 1.5, 3, 4) vs (1, 2, 3, 4): cov 4.5, variances 4.5 and 5
        assertEquals(4.5 / Math.sqrt(4.5 * 5), Spearman.rho(new double[] {1, 1, 2, 3}, new double[] {1, 2, 3, 4}),
                EPS);
        assertEquals(List.of(1.5, 1.5, 3.0, 4.0),
                java.util.Arrays.stream(Spearman.ranks(new double[] {7, 7, 8, 9})).boxed().toList());
        assertTrue(Double.isNaN(Spearman.rho(new double[] {1, 1, 1}, new double[] {1, 2, 3})), "all tied");
        assertTrue(Double.isNaN(Spearman.rho(new double[] {1}, new double[] {1})), "one pair");
    }

    @Test
    void correlationAndWinnerPerDecisionLength() throws IOException {
        Cli.Result r = Cli.run("analyze", synthetic(), "--json");
        assertEquals(0, r.code(), r::toString);
        assertEquals("", r.err(), "the rebuilt rankings match the recorded decisions");
        JsonNode root = TestData.JSON.readTree(r.out());
        assertEquals(4, root.get("prompts_with_decisions").asInt());
        JsonNode c = root.get("correlation");
        assertEquals(List.of("2", "4", "8", "12"), c.findValuesAsText("tokens"));
        assertEquals(-1.0, c.get(0).get("mean_spearman").asDouble(), EPS); // survivors 2, 3: partial up, final down
        assertEquals(1.0, c.get(1).get("mean_spearman").asDouble(), EPS);
        assertEquals(-1.0, c.get(2).get("mean_spearman").asDouble(), EPS);
        assertEquals(4.5 / Math.sqrt(22.5), c.get(3).get("mean_spearman").asDouble(), EPS);

        JsonNode w = root.get("winner");
        // kept: by construction at the run's own alpha; ranked first only at 12 tokens
        for (JsonNode row : w) {
            assertEquals(1.0, row.get("kept_rate").asDouble(), EPS);
        }
        assertEquals(List.of(0.0, 0.0, 0.0, 1.0), w.findValues("ranked_first_rate").stream()
                .map(JsonNode::asDouble).toList());
        // position = rank / (active - 1): 2 tokens second of 4; 4 tokens second (the early finisher's final 10
        // outranks partials 2-4); 8 tokens last; 12 tokens first
        List<Double> positions = w.findValues("mean_rank_position").stream().map(JsonNode::asDouble).toList();
        double[] expected = {1 / 3.0, 1 / 3.0, 1.0, 0.0};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], positions.get(i), EPS, "bucket " + i);
        }
        // within the best round(0.5 * 4) = 2 by partial reward: all but the reversed prompt
        assertEquals(List.of(1.0, 1.0, 0.0, 1.0), w.findValues("in_top_rate").stream()
                .map(JsonNode::asDouble).toList());

        JsonNode lenient = TestData.JSON.readTree(Cli.run("analyze", synthetic(), "--json", "--alpha", 0).out());
        assertEquals(List.of(1.0, 1.0, 1.0, 1.0), lenient.get("winner").findValues("in_top_rate").stream()
                .map(JsonNode::asDouble).toList());
    }

    @Test
    void tablesSayWhichTrajectoriesEnterTheCorrelation() throws IOException {
        Cli.Result r = Cli.run("analyze", synthetic());
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("(a) Spearman rho, partial vs final reward (trajectories that finished"),
                r::toString);
        assertTrue(r.out().lines().anyMatch(l -> l.matches("12\\s+1\\s+0\\s+0\\.949")), r::toString);
        assertTrue(r.out().lines().anyMatch(l -> l.matches("8\\s+1\\s+100\\.0%\\s+0\\.0%\\s+1\\.000\\s+0\\.0%")),
                r::toString);
    }

    @Test
    void aBestOfNRunHasNothingToAnalyze() throws IOException {
        Path bon = new SyntheticRuns("bon", 2, 0.5).bon(0, 1, 1, 1, 1.0, 2.0).write(temp.resolve("bon.jsonl"));
        Cli.Result r = Cli.run("analyze", bon);
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("a bon run has no decisions"), r::toString);
    }
}
