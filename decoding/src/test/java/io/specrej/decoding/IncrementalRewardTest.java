package io.specrej.decoding;

import static io.specrej.decoding.Checks.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.DecodeBatch;
import io.specrej.engine.generate.SequenceState;
import io.specrej.engine.text.HfTokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The incremental reward model gives what scoring each response from scratch gives, for a fraction of the tokens. */
class IncrementalRewardTest {

    @Test
    void incrementalScoresEqualFullRescoringOnFixtures() {
        incrementalEqualsFull(TestModels.fixture(), 10, 32);
    }

    @Test
    void incrementalScoresEqualFullRescoringOnMiniPair() {
        incrementalEqualsFull(TestModels.mini(), 8, 24);
    }

    @Test
    void incrementalScoresEqualFullRescoringWithArmoRmsGatingHead() {
        incrementalEqualsFull(TestModels.gating(), 8, 24);
    }

    /** Decisions every 4 tokens under a tight budget: scheduled and memory-driven ones, partial and final scores. */
    private static void incrementalEqualsFull(TestModels.Pair p, int n, int maxNewTokens) {
        DecodingSetup setup = DecodingSetup.of(n, 0.25, p.budget(n, maxNewTokens, 0.5), maxNewTokens, p.sampling(), 2)
                .withDecideEvery(4);
        Result r = p.speculativeRejection().run(p.prompt(), setup);
        assertTrue(r.stats().decisions().size() >= 3, "decisions: " + r.stats().decisions());
        int checked = 0;
        for (Result.Candidate c : r.trajectories()) {
            for (Trajectory.PartialScore s : c.partialScores()) {
                assertClose(fullScore(p, Checks.prefix(c.tokens(), s.tokens())), s.score(),
                        "candidate " + c.id() + " after " + s.tokens() + " tokens");
                checked++;
            }
            if (c.finishReason() != null && c.rejectedAt() == null) {
                assertClose(fullScore(p, c.tokens()), c.score(), "final reward of " + c.id());
                checked++;
            }
        }
        assertTrue(checked > 2 * n, "checked " + checked);
        long processed = r.stats().rewardTokens();
        long full = r.stats().rewardTokensFull();
        assertTrue(processed < full, "incremental " + processed + " vs full " + full);
        assertEquals(full, r.stats().decisions().stream().mapToLong(Result.Decision::rewardTokensFull).sum()
                + finalScoringTokens(p, r), "full-rescoring tokens add up over decisions and final scoring");
        Checks.assertRankingConsistent(r, 0.25);
    }

    private static double fullScore(TestModels.Pair p, int[] response) {
        return p.reward().score(List.of(p.conversation().encode(p.prompt().text(), response)))[0];
    }

    /** Tokens that the scoring after the last decision would run from scratch: finished ones scored at the end. */
    private static long finalScoringTokens(TestModels.Pair p, Result r) {
        long tokens = 0;
        int decisions = r.stats().decisions().size();
        for (Result.Candidate c : r.trajectories()) {
            boolean scoredAtEnd = c.rejectedAt() == null && c.finishReason() != null
                    && (decisions == 0 || c.tokens().length > r.stats().decisions().get(decisions - 1).tokensSoFar());
            if (scoredAtEnd) {
                tokens += p.conversation().encode(p.prompt().text(), c.tokens()).length;
            }
        }
        return tokens;
    }

    @Test
    void miniRewardModelReadsTheClosedAssistantTurn() {
        TestModels.Pair p = TestModels.mini();
        HfTokenizer rm = HfTokenizer.load(TestModels.repoRoot().resolve("models/mini-alpaca-rm"));
        int[] response = p.generation().tokenizer().encode("Drink water.", false);
        int[] withEos = java.util.Arrays.copyOf(response, response.length + 1);
        withEos[response.length] = 2; // <|im_end|>, the generator's stop token
        String rendered = rm.decode(p.conversation().encode(p.prompt().text(), withEos), false);
        assertEquals("<|im_start|>user\n" + p.prompt().text() + "<|im_end|>\n<|im_start|>assistant\nDrink water."
                + "<|im_end|>\n", rendered);
        rm.close();
    }

    /**
     * Scoring the same trajectory again without new tokens (the cache already holds the whole input) re-feeds the
     * pooled token and gives the same reward; growing it by a token or by many gives the full rescoring's reward.
     */
    @Test
    void rescoringWithNothingNewAndAfterGrowthMatchesFullScoring() {
        TestModels.Pair p = TestModels.fixture();
        ModelRewardScorer scorer = p.scorer();
        KvCache cache = p.generation().model().newCache();
        DecodeBatch batch = new DecodeBatch(p.generation().model(), cache, p.sampling(), p.generation().stop(), 9, 40);
        batch.prefill(p.prompt().ids());
        List<Trajectory> ts = new ArrayList<>();
        List<SequenceState> running = new ArrayList<>();
        for (SequenceState s : batch.fork(0, 3)) {
            ts.add(new Trajectory(s));
            running.add(s);
        }
        scorer.begin(p.prompt().text());
        MemoryBudget budget = new MemoryBudget(Long.MAX_VALUE / 4, cache.defaultAccount(), scorer.account());
        scorer.prefillShared();
        for (int round = 0; round < 5; round++) {
            double[] first = scorer.score(ts, budget);
            long processedBefore = scorer.tokensProcessed();
            double[] again = scorer.score(ts, budget);
            assertEquals(3, scorer.tokensProcessed() - processedBefore, "only the pooled tokens run again");
            for (int i = 0; i < ts.size(); i++) {
                assertClose(first[i], again[i], "rescoring " + i);
                assertClose(fullScore(p, ts.get(i).tokens()), first[i], "round " + round + " trajectory " + i);
            }
            for (int step = 0; step < 1 + 3 * round; step++) {
                batch.step(running);
            }
        }
        scorer.end();
    }

    /**
     * When a decision's batch does not fit next to what is held, the scorer drops the kept KV and scores in parts
     * from the shared prompt: same rewards, never over budget, nothing kept afterwards.
     */
    @Test
    void scoringInPartsWhenTheBatchDoesNotFit() {
        TestModels.Pair p = TestModels.fixture();
        ModelRewardScorer scorer = p.scorer();
        KvCache cache = p.generation().model().newCache();
        DecodeBatch batch = new DecodeBatch(p.generation().model(), cache, p.sampling(), p.generation().stop(), 4, 40);
        batch.prefill(p.prompt().ids());
        List<Trajectory> ts = new ArrayList<>();
        List<SequenceState> running = new ArrayList<>();
        for (SequenceState s : batch.fork(0, 6)) {
            ts.add(new Trajectory(s));
            running.add(s);
        }
        for (int step = 0; step < 20; step++) {
            batch.step(running);
        }
        scorer.begin(p.prompt().text());
        scorer.prefillShared();
        long page = scorer.cache().pageBytes();
        // Room for the shared prompt and about two responses' reward KV at a time, not six.
        long budgetBytes = cache.bytesInUse() + scorer.account().bytesInUse() + 2 * scorer.bytesPerTrajectory(20) + page;
        MemoryBudget budget = new MemoryBudget(budgetBytes, cache.defaultAccount(), scorer.account());
        double[] scores = scorer.score(ts, budget);
        assertTrue(budget.peakBytes() <= budgetBytes);
        for (int i = 0; i < ts.size(); i++) {
            assertClose(fullScore(p, ts.get(i).tokens()), scores[i], "trajectory " + i);
            assertEquals(-1, ts.get(i).rewardCacheId(), "scored in parts: no KV kept");
        }
        scorer.end();
    }
}
