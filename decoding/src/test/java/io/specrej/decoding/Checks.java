package io.specrej.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

/** Assertions several tests share: they recompute from a result what the algorithm should have done. */
final class Checks {
    private Checks() {
    }

    static void assertClose(double expected, double actual, String what) {
        assertTrue(Math.abs(expected - actual) <= 1e-4 * Math.max(1, Math.abs(expected)),
                what + ": expected " + expected + ", got " + actual);
    }

    /**
     * The score a candidate had when decision {@code d} ranked it. All trajectories start together and every decision
     * scores every running one, so a trajectory still running at decision d has its d-th partial score from it;
     * one that had finished is ranked with its final score.
     */
    static double scoreAt(Result.Candidate c, int d, Result.Decision decision) {
        if (c.partialScores().size() > d) {
            assertEquals(decision.tokensSoFar(), c.partialScores().get(d).tokens(), "partial score " + d);
            return c.partialScores().get(d).score();
        }
        return c.score();
    }

    /**
     * Every decision kept round((1 - alpha) * count) (at least one), and every trajectory it rejected scored no
     * higher than every one it kept; the winner is the best finished survivor.
     */
    static void assertRankingConsistent(Result r, double alpha) {
        List<Result.Decision> decisions = r.stats().decisions();
        for (int d = 0; d < decisions.size(); d++) {
            Result.Decision decision = decisions.get(d);
            assertEquals(Math.max(1, Math.round((1 - alpha) * decision.activeBefore())), decision.kept(),
                    "kept at decision " + d);
            double lowestKept = Double.POSITIVE_INFINITY;
            double highestRejected = Double.NEGATIVE_INFINITY;
            int rejected = 0;
            for (Result.Candidate c : r.trajectories()) {
                if (c.rejectedAt() != null && c.rejectedAt() < d) {
                    continue;
                }
                double s = scoreAt(c, d, decision);
                if (c.rejectedAt() != null && c.rejectedAt() == d) {
                    highestRejected = Math.max(highestRejected, s);
                    rejected++;
                } else {
                    lowestKept = Math.min(lowestKept, s);
                }
            }
            assertEquals(decision.activeBefore() - decision.kept(), rejected, "rejected at decision " + d);
            assertTrue(highestRejected <= lowestKept, "decision " + d + " rejected a score " + highestRejected
                    + " above a kept one " + lowestKept);
        }
        Result.Candidate best = r.trajectories().get(r.best().id());
        assertEquals(null, best.rejectedAt());
        for (Result.Candidate c : r.trajectories()) {
            if (c.rejectedAt() == null) {
                assertTrue(c.score() < r.best().score() || c.score() == r.best().score() && c.id() >= best.id(),
                        "candidate " + c.id() + " beats the winner");
            }
        }
        assertArrayEquals(best.tokens(), r.best().tokens());
    }

    static Result.Candidate candidate(Result r, int id) {
        return r.trajectories().stream().filter(c -> c.id() == id).findFirst().orElseThrow();
    }

    static int[] prefix(int[] tokens, int length) {
        return Arrays.copyOf(tokens, length);
    }
}
