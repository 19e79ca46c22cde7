package io.specrej.decoding;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.text.ChatMessage;
import java.util.List;

/**
 * Scores responses, partial or finished, for one prompt at a time. Implementations may keep state per trajectory
 * (the reward model's KV) so that scoring a response again after it grew costs only the new tokens.
 *
 * <p>Lifecycle per prompt: {@link #begin}, {@link #prefillShared} once the strategy has checked the budget, any
 * number of {@link #prepare}/{@link #score} and {@link #release} calls, then {@link #end}. Not thread-safe: a
 * scheduler gives each request a scorer of its own, and scorers of one reward model share that model's cache and
 * forward passes ({@link RewardService}).
 */
public interface RewardScorer extends AutoCloseable {

    /** Starts a prompt given as one user turn (forgetting the previous prompt). */
    default void begin(String promptText) {
        begin(List.of(ChatMessage.user(promptText)));
    }

    /** Starts a prompt given as the conversation the response follows: prepares, but does not compute, shared state. */
    void begin(List<ChatMessage> context);

    /** The account of this scorer's KV (it counts against the memory budget), or null when it keeps none. */
    KvCache.Account account();

    /** Bytes that {@link #prefillShared} will add: state every trajectory of this prompt shares, counted once. */
    long sharedBytes();

    /** Computes the shared state (e.g. the reward model's KV of the rendered prompt) in one pass of its own. */
    void prefillShared();

    /**
     * Tokens of shared state still to compute; a scorer that has some ({@link ModelRewardScorer}) runs them in
     * chunks of a {@link RewardService}'s passes instead of {@link #prefillShared}.
     */
    default int sharedRemaining() {
        return 0;
    }

    /**
     * An estimate of the KV bytes one trajectory needs beyond the shared ones once its response has
     * {@code generatedTokens} tokens; used to size batches before anything is generated.
     */
    long bytesPerTrajectory(int generatedTokens);

    /** An estimate of the KV bytes that scoring {@code t} with {@code generatedTokens} generated tokens would add. */
    long bytesToCatchUp(Trajectory t, int generatedTokens);

    /**
     * Prepares scoring the trajectories' responses as they are now: either done at once (a scorer that needs no
     * model, or a batch that had to be scored in parts to fit the budget), or rows for one reward-model forward pass,
     * which a {@link RewardService} may share with other requests' jobs. KV kept for a trajectory stays within
     * {@code budget}.
     *
     * @throws io.specrej.engine.BadInputException when not even one response can be scored within the budget
     */
    ScoreJob prepare(List<Trajectory> trajectories, MemoryBudget budget);

    /** Scores in one batch where the budget allows (a pass of its own) and returns the rewards in list order. */
    default double[] score(List<Trajectory> trajectories, MemoryBudget budget) {
        ScoreJob job = prepare(trajectories, budget);
        if (!job.complete()) {
            RewardService.runTogether(List.of(job));
        }
        return job.scores();
    }

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
