package io.specrej.decoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A fixed decision interval: decisions at multiples of K, plus earlier ones only when memory runs out. */
class DecideEveryTest {

    @Test
    void decisionsFallOnMultiplesOfK() {
        TestModels.Pair p = TestModels.fixture();
        for (int k : new int[] {3, 7}) {
            Result r = p.speculativeRejection().run(p.prompt(),
                    DecodingSetup.of(12, 0.3, p.budget(12, 36, 2.0), 36, p.sampling(), 6).withDecideEvery(k));
            assertTrue(r.stats().decisions().size() >= 2, "decisions: " + r.stats().decisions());
            for (Result.Decision d : r.stats().decisions()) {
                assertFalse(d.memoryTriggered());
                assertEquals(0, d.tokensSoFar() % k, "decision at " + d.tokensSoFar() + " with K=" + k);
            }
            // One decision per multiple of K until the survivors finish.
            int longest = r.trajectories().stream().mapToInt(c -> c.tokens().length).max().orElseThrow();
            int expected = 0;
            for (int t = k; t < longest; t += k) {
                expected++;
            }
            assertTrue(r.stats().decisions().size() == expected || r.stats().decisions().size() == expected + 1,
                    "decisions " + r.stats().decisions().size() + " for longest " + longest + " and K=" + k);
            Checks.assertRankingConsistent(r, 0.3);
        }
    }

    @Test
    void memoryStillForcesEarlierDecisions() {
        TestModels.Pair p = TestModels.fixture();
        int k = 16;
        long budget = p.budget(16, 40, 0.25);
        Result r = p.speculativeRejection().run(p.prompt(),
                DecodingSetup.of(16, 0.5, budget, 40, p.sampling(), 6).withDecideEvery(k));
        assertTrue(r.stats().peakKvBytes() <= budget);
        assertTrue(r.stats().decisions().stream().anyMatch(Result.Decision::memoryTriggered));
        for (Result.Decision d : r.stats().decisions()) {
            assertTrue(d.memoryTriggered() || d.tokensSoFar() % k == 0, "decision " + d);
        }
    }
}
