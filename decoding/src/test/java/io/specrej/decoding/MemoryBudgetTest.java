package io.specrej.decoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.cache.KvCache;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The budget bounds generator + reward-model KV at every moment, and a tight one still ends the run. */
class MemoryBudgetTest {

    @Test
    void speculativeRejectionStaysWithinBudgetWhileRejecting() {
        TestModels.Pair p = TestModels.fixture();
        for (double fraction : new double[] {0.15, 0.3, 0.6}) {
            long budget = p.budget(16, 40, fraction);
            Result r = p.speculativeRejection().run(p.prompt(),
                    DecodingSetup.of(null, 0.5, budget, 40, p.sampling(), 4).withMaxBatch(64));
            Result.Stats s = r.stats();
            assertTrue(s.peakKvBytes() <= budget, "peak " + s.peakKvBytes() + " over budget " + budget);
            // The budget is really what limits the run: it fills most of it before deciding.
            assertTrue(s.peakKvBytes() > budget / 2, "peak " + s.peakKvBytes() + " of " + budget);
            assertTrue(s.decisions().stream().anyMatch(d -> d.memoryTriggered() && d.kept() < d.activeBefore()),
                    "a memory-driven decision with rejections at " + fraction + ": " + s.decisions());
            assertTrue(s.rewardTokens() > 0);
            Checks.assertRankingConsistent(r, 0.5);
        }
    }

    @Test
    void bestOfNRunsInWavesWithinBudget() {
        TestModels.Pair p = TestModels.fixture();
        long budget = p.budget(12, 32, 0.3);
        Result r = p.bestOfN().run(p.prompt(), DecodingSetup.of(12, 0, budget, 32, p.sampling(), 4));
        assertTrue(r.stats().initialBatch() < 12, "wave " + r.stats().initialBatch());
        assertEquals(12, r.trajectories().size());
        assertTrue(r.stats().peakKvBytes() <= budget);
        for (Result.Candidate c : r.trajectories()) {
            assertTrue(c.finishReason() != null && !Double.isNaN(c.score()), "candidate " + c.id());
        }
    }

    @Test
    void memoryBudgetAccountsBothCachesAtTheirPeak() {
        KvCache gen = new KvCache(2, 8);
        KvCache rm = new KvCache(1, 8);
        MemoryBudget m = new MemoryBudget(100 * gen.pageBytes(), gen.defaultAccount(), rm.defaultAccount());
        int a = gen.newSequence();
        m.beforeGrowth();
        gen.reserve(a, 40); // three pages
        gen.commit(a, 40);
        m.afterGrowth();
        int b = rm.newSequence();
        m.beforeGrowth();
        rm.reserve(b, 17); // two pages
        rm.commit(b, 17);
        m.afterGrowth();
        assertEquals(3 * gen.pageBytes() + 2 * rm.pageBytes(), m.peakBytes());
        gen.remove(a);
        assertEquals(2 * rm.pageBytes(), m.inUse());
        assertEquals(3 * gen.pageBytes() + 2 * rm.pageBytes(), m.peakBytes());
        assertTrue(m.fits(m.free()) && !m.fits(m.free() + 1));
    }

    /** Exactly enough for the shared prompts and one sequence of {@code tokens} tokens, by the strategies' own sums. */
    private static long oneSequenceBudget(TestModels.Pair p, int tokens) {
        PromptRun run = new PromptRun(p.generation(), p.scorer(), p.prompt(),
                DecodingSetup.of(1, 0, Long.MAX_VALUE / 4, 48, p.sampling(), 0),
                p.generation().model().newCache(), RequestOptions.NONE);
        try {
            return run.sharedBytes() + run.bytesPerSequence(tokens);
        } finally {
            run.close();
        }
    }

    /**
     * A budget that holds one sequence of a few tokens but not the horizon: the run must end, the last survivors
     * stopped for the budget with reason "length", never over budget.
     */
    @Test
    void aBudgetTooSmallForTheHorizonStopsInsteadOfLooping() {
        TestModels.Pair p = TestModels.fixture();
        for (double alpha : new double[] {0.0, 0.5}) {
            long budget = oneSequenceBudget(p, 20);
            Result r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> p.speculativeRejection().run(
                    p.prompt(), DecodingSetup.of(4, alpha, budget, 48, p.sampling(), 8)));
            assertTrue(r.stats().peakKvBytes() <= budget);
            assertTrue(r.stats().stoppedByBudget() >= 1, "stopped: " + r.stats());
            Result.Candidate best = r.trajectories().get(r.best().id());
            assertEquals("length", best.finishReason());
            for (Result.Candidate c : r.trajectories()) {
                if (c.stoppedByBudget()) {
                    assertEquals("length", c.finishReason());
                    assertTrue(c.tokens().length < 48);
                }
            }
        }
    }
}
