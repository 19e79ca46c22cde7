package io.specrej.decoding;

import io.specrej.engine.cache.KvCache;
import java.util.List;

/**
 * {@code --reward-model self}: the reward is the generator's own mean log-probability of the response so far (the
 * paper's self-evaluation variant). It needs no second model and no KV: the generator records each sampled token's
 * log-probability as it goes.
 */
public final class SelfRewardScorer implements RewardScorer {

    @Override
    public void begin(String promptText) {
    }

    @Override
    public KvCache cache() {
        return null;
    }

    @Override
    public long sharedBytes() {
        return 0;
    }

    @Override
    public void prefillShared() {
    }

    @Override
    public long bytesPerTrajectory(int generatedTokens) {
        return 0;
    }

    @Override
    public long bytesToCatchUp(Trajectory t, int generatedTokens) {
        return 0;
    }

    @Override
    public double[] score(List<Trajectory> trajectories, MemoryBudget budget) {
        double[] scores = new double[trajectories.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = trajectories.get(i).state().meanLogProb();
        }
        return scores;
    }

    @Override
    public void release(Trajectory t) {
    }

    @Override
    public boolean needsLogProbs() {
        return true;
    }

    @Override
    public long tokensProcessed() {
        return 0;
    }

    @Override
    public long tokensFullRescoring() {
        return 0;
    }

    @Override
    public void end() {
    }
}
