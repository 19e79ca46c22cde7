package io.specrej.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.tensor.Parallel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Same seed, same paths: a candidate's tokens depend on its id only, never on the strategy or the threads. */
class SameSeedsTest {

    @Test
    void speculativeWinnerIsOneOfBestOfNsCandidatesOnFixtures() {
        winnerIsABestOfNCandidate(TestModels.fixture(), 12, 32);
    }

    @Test
    void speculativeWinnerIsOneOfBestOfNsCandidatesOnMiniPair() {
        winnerIsABestOfNCandidate(TestModels.mini(), 8, 24);
    }

    private static void winnerIsABestOfNCandidate(TestModels.Pair p, int n, int maxNewTokens) {
        DecodingSetup setup = DecodingSetup.of(n, 0.5, p.budget(n, maxNewTokens, 0.4), maxNewTokens, p.sampling(), 11);
        Result bon = p.bestOfN().run(p.prompt(), setup);
        Result spr = p.speculativeRejection().run(p.prompt(), setup);

        assertEquals(n, spr.stats().initialBatch());
        assertFalse(spr.stats().decisions().isEmpty(), "the budget should force at least one decision");
        assertTrue(spr.stats().decisions().get(0).kept() < spr.stats().decisions().get(0).activeBefore());
        Result.Candidate same = Checks.candidate(bon, spr.best().id());
        assertArrayEquals(same.tokens(), spr.best().tokens(), "the winner's tokens under Best-of-N");
        // Incremental scoring is bit-exact: the engine's rows do not depend on chunking or batch.
        assertEquals(same.score(), spr.best().score(), "the winner's reward under Best-of-N");
        // Every token any speculative trajectory produced, rejected ones included, is a prefix of its twin's.
        for (Result.Candidate c : spr.trajectories()) {
            int[] twin = Checks.candidate(bon, c.id()).tokens();
            assertArrayEquals(Arrays.copyOf(twin, c.tokens().length), c.tokens(), "candidate " + c.id());
        }
        // The candidates really differ, or this test would prove little.
        assertNotEquals(Arrays.toString(bon.trajectories().get(0).tokens()),
                Arrays.toString(bon.trajectories().get(1).tokens()));
        Checks.assertRankingConsistent(spr, 0.5);
    }

    @Test
    void alphaZeroGivesBestOfNsWinner() {
        TestModels.Pair p = TestModels.fixture();
        // Decisions every 4 tokens score partial responses but, with alpha 0, reject nothing.
        DecodingSetup setup = DecodingSetup.of(10, 0.0, p.budget(10, 32, 2.0), 32, p.sampling(), 5).withDecideEvery(4);
        Result bon = p.bestOfN().run(p.prompt(), setup);
        Result spr = p.speculativeRejection().run(p.prompt(), setup);

        assertTrue(spr.stats().decisions().size() >= 3, "decisions: " + spr.stats().decisions());
        for (Result.Decision d : spr.stats().decisions()) {
            assertEquals(d.activeBefore(), d.kept());
        }
        assertEquals(bon.best().id(), spr.best().id());
        assertArrayEquals(bon.best().tokens(), spr.best().tokens());
        assertEquals(bon.best().score(), spr.best().score(), "winner's reward");
        for (Result.Candidate c : spr.trajectories()) {
            Result.Candidate twin = Checks.candidate(bon, c.id());
            assertArrayEquals(twin.tokens(), c.tokens());
            assertEquals(twin.finishReason(), c.finishReason());
            assertEquals(twin.score(), c.score(), "final reward of " + c.id());
        }
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalResults() {
        TestModels.Pair p = TestModels.fixture();
        DecodingSetup setup = DecodingSetup.of(null, 0.5, p.budget(8, 32, 0.5), 32, p.sampling(), 3).withMaxBatch(16);
        int before = Parallel.threads();
        Result one;
        Result two;
        try {
            Parallel.setThreads(1);
            one = p.speculativeRejection().run(p.prompt(), setup);
            Parallel.setThreads(2);
            two = p.speculativeRejection().run(p.prompt(), setup);
        } finally {
            Parallel.setThreads(before);
        }
        assertFalse(one.stats().decisions().isEmpty());
        assertEquals(one.stats().decisions(), two.stats().decisions());
        assertEquals(one.stats().initialBatch(), two.stats().initialBatch());
        assertEquals(one.trajectories().size(), two.trajectories().size());
        for (int i = 0; i < one.trajectories().size(); i++) {
            Result.Candidate a = one.trajectories().get(i);
            Result.Candidate b = two.trajectories().get(i);
            assertArrayEquals(a.tokens(), b.tokens(), "tokens of " + i);
            assertEquals(a.score(), b.score(), "score of " + i);
            assertEquals(a.partialScores(), b.partialScores(), "partial scores of " + i);
            assertEquals(a.rejectedAt(), b.rejectedAt());
        }
        assertEquals(one.best().id(), two.best().id());
    }
}
