package io.specrej.decoding;

/**
 * Speculative rejection (Sun et al., NeurIPS 2024): start as many responses as the memory budget holds, and whenever
 * the next decode step would not fit (or every {@code decideEvery} tokens) score the partial responses, keep the best
 * {@code round((1 - alpha) * count)} (at least one) and free the rest's KV at once; continue with the survivors.
 *
 * <p>Unlike the paper's code, survivors keep their generator KV (no re-prefill after a rejection) and the reward
 * model scores incrementally ({@link ModelRewardScorer}). A trajectory that finishes is scored once, at the next
 * decision or at the end, and then competes with its final score at every later decision.
 *
 * <p>"Would not fit" counts the exact generator bytes of the next step plus an estimate of the reward-model bytes
 * needed to score every running and newly finished trajectory afterwards, so the decision itself stays in budget.
 * When a decision frees nothing (alpha = 0, or too few trajectories for round() to drop one) and the next step still
 * does not fit, the running trajectories are stopped as finished with reason "length" and flagged
 * {@code stoppedByBudget}: the run always ends.
 */
public final class SpeculativeRejection extends OnePromptStrategy {
    public static final String NAME = "speculative-rejection";
    /** The initial batch is the largest whose sequences can each still generate this many tokens in the budget. */
    public static final int MIN_TOKENS_PER_SEQUENCE = 8;

    public SpeculativeRejection(Generation generation, RewardScorer scorer) {
        super(generation, scorer);
    }

    @Override
    public String name() {
        return NAME;
    }
}
