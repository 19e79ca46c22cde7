package io.specrej.decoding;

import io.specrej.engine.cache.KvCache;
import java.util.List;

/**
 * Scores responses, partial or finished, for one prompt at a time. Implementations may keep state per trajectory
 * (the reward model's KV) so that scoring a response again after it grew costs only the new tokens.
 *
 * <p>Lifecycle per prompt: {@link #begin}, {@link #prefillShared} once the strategy has checked the budget, any
 * number of {@link #score} and {@link #release} calls, then {@link #end}. Not thread-safe.
 */
public interface RewardScorer extends AutoCloseable {

    /** Starts a prompt (forgetting the previous one): prepares, but does not yet compute, shared state. */
    void begin(String promptText);

    /** The cache holding this scorer's KV (it counts against the memory budget), or null when it keeps none. */
    KvCache cache();

    /** Bytes that {@link #prefillShared} will add: state every trajectory of this prompt shares, counted once. */
    long sharedBytes();

    /** Computes the shared state (e.g. the reward model's KV of the rendered prompt). */
    void prefillShared();

    /**
     * An estimate of the KV bytes one trajectory needs beyond the shared ones once its response has
     * {@code generatedTokens} tokens; used to size batches before anything is generated.
     */
    long bytesPerTrajectory(int generatedTokens);

    /** An estimate of the KV bytes that scoring {@code t} with {@code generatedTokens} generated tokens would add. */
    long bytesToCatchUp(Trajectory t, int generatedTokens);

    /**
     * Scores the trajectories' responses as they are now, all in one batch where the budget allows, and returns the
     * rewards in list order. KV kept for a trajectory stays within {@code budget}; when the whole batch does not fit
     * the scorer may score in parts and drop the kept KV of some trajectories (they are then rescored from the
     * shared state next time).
     *
     * @throws io.specrej.engine.BadInputException when not even one response can be scored within the budget
     */
    double[] score(List<Trajectory> trajectories, MemoryBudget budget);

    /** Frees what the scorer keeps for {@code t} (its KV); harmless when it keeps nothing. */
    void release(Trajectory t);

    /** Whether the generator must record log-probabilities for this scorer. */
    boolean needsLogProbs();

    /** Reward-model tokens run through the model since {@link #begin}. */
    long tokensProcessed();

    /** Tokens that scoring every response so far from scratch (RewardModel.score) would have run. */
    long tokensFullRescoring();

    /** Ends the prompt: frees all KV. */
    void end();

    @Override
    default void close() {
        end();
    }
}
