package io.specrej.decoding;

import static io.specrej.decoding.Checks.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.TransformerModel;
import org.junit.jupiter.api.Test;

/** --reward-model self: no second model, ranking by the generator's mean log-probability. */
class SelfRewardTest {

    @Test
    void bestOfNRanksByMeanLogProbability() {
        TestModels.Pair p = TestModels.fixture();
        Result r = new BestOfN(p.generation(), new SelfRewardScorer()).run(p.prompt(),
                DecodingSetup.of(6, 0, p.budget(6, 20, 1.0), 20, p.sampling(), 12));
        assertEquals(0, r.stats().rewardTokens());
        for (Result.Candidate c : r.trajectories()) {
            assertClose(meanLogProb(p.generation().model(), p.prompt().ids(), c.tokens()), c.score(),
                    "mean log-prob of " + c.id());
            assertTrue(c.score() <= r.best().score());
        }
    }

    @Test
    void speculativeRejectionWithSelfRewardUsesNoRewardKv() {
        TestModels.Pair p = TestModels.fixture();
        long budget = p.budget(16, 32, 0.25);
        Result r = new SpeculativeRejection(p.generation(), new SelfRewardScorer()).run(p.prompt(),
                DecodingSetup.of(null, 0.5, budget, 32, p.sampling(), 12).withMaxBatch(64));
        assertEquals(0, r.stats().rewardTokens());
        assertFalse(r.stats().decisions().isEmpty());
        assertTrue(r.stats().peakKvBytes() <= budget);
        for (Result.Candidate c : r.trajectories()) {
            for (Trajectory.PartialScore s : c.partialScores()) {
                assertClose(meanLogProb(p.generation().model(), p.prompt().ids(), Checks.prefix(c.tokens(),
                        s.tokens())), s.score(), "partial mean log-prob of " + c.id());
            }
        }
        Checks.assertRankingConsistent(r, 0.5);
    }

    /** Recomputed from scratch: the response's tokens fed after the prompt, log-softmax of the raw logits. */
    private static double meanLogProb(TransformerModel model, int[] prompt, int[] response) {
        int[] all = new int[prompt.length + response.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(response, 0, all, prompt.length, response.length);
        int[] outputs = new int[response.length];
        for (int i = 0; i < response.length; i++) {
            outputs[i] = prompt.length - 1 + i;
        }
        KvCache cache = model.newCache();
        float[] logits = model.forward(cache, new int[] {cache.newSequence()}, new int[] {0, all.length}, 1, all,
                outputs, outputs.length);
        int vocab = model.outputWidth();
        double sum = 0;
        for (int i = 0; i < response.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[i * vocab + v]);
            }
            double z = 0;
            for (int v = 0; v < vocab; v++) {
                z += Math.exp(logits[i * vocab + v] - max);
            }
            sum += logits[i * vocab + response[i]] - max - Math.log(z);
        }
        return sum / response.length;
    }
}
