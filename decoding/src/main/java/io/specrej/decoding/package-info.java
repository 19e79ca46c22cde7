/**
 * Reward-guided Best-of-N decoding on top of the engine.
 *
 * <p>Entry points: {@link io.specrej.decoding.Generation} (generator + tokenizer + stop tokens),
 * {@link io.specrej.decoding.PromptEncoder} (prompt text to ids), a {@link io.specrej.decoding.RewardScorer}
 * ({@link io.specrej.decoding.ModelRewardScorer} over a reward model, or {@link io.specrej.decoding.SelfRewardScorer}),
 * a {@link io.specrej.decoding.Strategy} ({@link io.specrej.decoding.BestOfN},
 * {@link io.specrej.decoding.SpeculativeRejection}) and a {@link io.specrej.decoding.DecodingSetup}; a run returns a
 * plain {@link io.specrej.decoding.Result}.
 *
 * <p>Invariants the tests hold the code to: candidate i draws from random stream (seed, i) in every strategy, so the
 * strategies are comparable token for token; generator and reward-model KV together never exceed the memory budget
 * ({@link io.specrej.decoding.MemoryBudget}); incremental reward scores equal scoring from scratch.
 */
package io.specrej.decoding;
