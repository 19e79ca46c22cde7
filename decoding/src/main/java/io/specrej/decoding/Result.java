package io.specrej.decoding;

import java.util.List;

/**
 * What one prompt's run produced, as plain immutable data for the app to print or serialize.
 *
 * @param strategy     "best-of-n" or "speculative-rejection"
 * @param trajectories every candidate, in id order
 * @param best         the winner: highest final score among the kept, lowest id on ties
 */
public record Result(String strategy, List<Candidate> trajectories, Best best, Stats stats) {

    /**
     * One candidate response.
     *
     * @param finishReason "stop" or "length" for finished ones; null for one rejected while running
     * @param score        its final reward when finished and scored, else its last partial reward (NaN if none)
     * @param rejectedAt   index into {@link Stats#decisions()} of the decision that rejected it, or null
     */
    public record Candidate(int id, int[] tokens, String text, String finishReason, boolean stoppedByBudget,
                            double score, Integer rejectedAt, List<Trajectory.PartialScore> partialScores) {
    }

    public record Best(int id, int[] tokens, String text, double score) {
    }

    /**
     * One rejection decision.
     *
     * @param tokensSoFar           generated tokens of each running trajectory when it was taken
     * @param activeBefore          trajectories ranked (running ones plus kept finished ones)
     * @param kept                  of those, how many survived
     * @param memoryTriggered       true when the next step would not have fit the budget; false for a scheduled one
     * @param rewardTokens          reward-model tokens run for this decision
     * @param rewardTokensFull      tokens a full rescoring of the same responses would have run
     */
    public record Decision(int tokensSoFar, int activeBefore, int kept, boolean memoryTriggered, long rewardTokens,
                           long rewardTokensFull) {
    }

    /**
     * Costs of the run. Seconds split into prefill (generator prompt and the reward model's shared prompt),
     * generation (decode steps), reward (scoring) and rejection (ranking and freeing); wall covers all of it.
     *
     * @param rewardTokens         reward-model tokens run, shared prompt included
     * @param rewardTokensFull     tokens scoring every response from scratch would have run
     * @param peakKvBytes          most KV held at once, generator + reward model
     * @param initialBatch         sequences started together (Best-of-N: the wave size)
     * @param stoppedByBudget      trajectories cut short because no step fit the budget
     */
    public record Stats(double wallSeconds, double prefillSeconds, double generationSeconds, double rewardSeconds,
                        double rejectionSeconds, long generatedTokens, long rewardTokens, long rewardTokensFull,
                        long peakKvBytes, long memoryBudgetBytes, int initialBatch, int stoppedByBudget,
                        List<Decision> decisions) {
    }
}
