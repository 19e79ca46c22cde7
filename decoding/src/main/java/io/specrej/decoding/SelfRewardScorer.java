package io.specrej.decoding;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.text.ChatMessage;
import java.util.List;

/**
 * {@code --reward-model self}: the reward is the generator's own mean log-probability of the response so far (the
 * paper's self-evaluation variant). It needs no second model and no KV: the generator records each sampled token's
 * log-probability as it goes.
 */
public final class SelfRewardScorer implements RewardScorer {

    @Override
    public void begin(List<ChatMessage> context) {
    }

    @Override
    public KvCache.Account account() {
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
    public ScoreJob prepare(List<Trajectory> trajectories, MemoryBudget budget) {
        double[] scores = new double[trajectories.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = trajectories.get(i).state().meanLogProb();
        }
        return ScoreJob.done(trajectories, scores);
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
