package io.specrej.decoding;

import io.specrej.engine.generate.FinishReason;
import io.specrej.engine.generate.SequenceState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One candidate response: the engine's sequence (tokens, finish state, generator KV) plus what the strategies add —
 * scores, the decision that rejected it, and the reward model's incremental state for it.
 *
 * <p>Its id is the sequence index, which fixes its random stream: the same id under the same seed generates the same
 * tokens in Best-of-N and in speculative rejection.
 */
public final class Trajectory {
    /** A reward computed on the first {@code tokens} generated tokens (a partial response, or the whole one). */
    public record PartialScore(int tokens, double score) {
    }

    private final SequenceState state;
    private FinishReason stoppedByBudget;
    private double score = Double.NaN;
    private boolean finalScored;
    private Integer rejectedAt;
    private final List<PartialScore> partialScores = new ArrayList<>();
    // Reward-model state, owned by the scorer: the cache sequence and the tokens whose KV it holds.
    private int rewardCacheId = -1;
    private int[] rewardTokens = new int[0];
    private int rewardLength;

    Trajectory(SequenceState state) {
        this.state = state;
    }

    public int id() {
        return state.index();
    }

    /** Generated tokens so far (the prompt excluded), a final stop token included. */
    public int[] tokens() {
        return state.tokens();
    }

    public int length() {
        return state.length();
    }

    /** The newest generated token. */
    public int lastToken() {
        return state.lastToken();
    }

    public boolean finished() {
        return state.finished() || stoppedByBudget != null;
    }

    /** null while running or when rejected before finishing. */
    public FinishReason finishReason() {
        return stoppedByBudget != null ? stoppedByBudget : state.finishReason();
    }

    /** True when it stopped because the memory budget left no room for one more step, not by itself. */
    public boolean stoppedByBudget() {
        return stoppedByBudget != null;
    }

    /** Still generating: neither finished nor rejected. */
    public boolean active() {
        return !finished() && rejectedAt == null;
    }

    /** The latest reward: of the finished response when {@link #finalScored()}, else of the last partial one. */
    public double score() {
        return score;
    }

    public boolean finalScored() {
        return finalScored;
    }

    /** Index of the decision that rejected it, or null. */
    public Integer rejectedAt() {
        return rejectedAt;
    }

    public List<PartialScore> partialScores() {
        return Collections.unmodifiableList(partialScores);
    }

    /** Its sequence in the reward model's KV cache, or -1 when it holds none. */
    public int rewardCacheId() {
        return rewardCacheId;
    }

    SequenceState state() {
        return state;
    }

    /** Records the reward of the response as it is now; a finished response's reward is final. */
    void recordScore(double value) {
        score = value;
        if (finished()) {
            finalScored = true;
        } else {
            partialScores.add(new PartialScore(length(), value));
        }
    }

    void reject(int decision) {
        rejectedAt = decision;
    }

    void stopForBudget() {
        stoppedByBudget = FinishReason.LENGTH;
    }

    void setRewardCache(int cacheId, int[] tokens, int length) {
        rewardCacheId = cacheId;
        rewardTokens = tokens;
        rewardLength = length;
    }

    int[] rewardTokens() {
        return rewardTokens;
    }

    int rewardLength() {
        return rewardLength;
    }
}
