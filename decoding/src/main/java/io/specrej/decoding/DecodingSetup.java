package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import io.specrej.engine.sample.SamplingParams;

/**
 * What one decoding run is asked to do. Validated on construction so a bad value fails before any model runs, with a
 * message that names the command-line option a person would change.
 *
 * @param n                 Best-of-N: number of candidates (required). Speculative rejection: the initial batch
 *                          when given; null lets the memory budget choose it (capped by {@code maxBatch})
 * @param alpha             speculative rejection: fraction of the ranked trajectories dropped at each decision,
 *                          in [0, 1); ignored by Best-of-N
 * @param memoryBudgetBytes KV bytes of generator and reward model together that a run may hold at any moment
 * @param maxNewTokens      generated tokens per response at most (the stop token included)
 * @param sampling          how each token is drawn
 * @param seed              sequence i draws from RandomStream(seed, i), whatever the strategy
 * @param decideEvery       speculative rejection: also decide every this many generated tokens; null = only when
 *                          memory runs out
 * @param maxBatch          speculative rejection: cap on the budget-chosen initial batch; Best-of-N: cap on a wave
 */
public record DecodingSetup(Integer n, double alpha, long memoryBudgetBytes, int maxNewTokens, SamplingParams sampling,
                            long seed, Integer decideEvery, int maxBatch) {
    public static final int DEFAULT_MAX_BATCH = 1000;

    public DecodingSetup {
        if (n != null && n < 1) {
            throw new BadInputException("--n must be at least 1, got " + n);
        }
        if (!(alpha >= 0 && alpha < 1)) {
            throw new BadInputException("--alpha must be in [0, 1), got " + alpha);
        }
        if (memoryBudgetBytes <= 0) {
            throw new BadInputException("--memory-budget must be a positive number of bytes, got " + memoryBudgetBytes);
        }
        if (maxNewTokens < 1) {
            throw new BadInputException("--max-new-tokens must be at least 1, got " + maxNewTokens);
        }
        if (sampling == null) {
            throw new BadInputException("sampling parameters are missing");
        }
        if (decideEvery != null && decideEvery < 1) {
            throw new BadInputException("--decide-every must be at least 1 token, got " + decideEvery);
        }
        if (maxBatch < 1) {
            throw new BadInputException("--max-batch must be at least 1, got " + maxBatch);
        }
    }

    /** A setup with the usual defaults: budget-chosen batch, memory-driven decisions, maxBatch 1000. */
    public static DecodingSetup of(Integer n, double alpha, long memoryBudgetBytes, int maxNewTokens,
                                   SamplingParams sampling, long seed) {
        return new DecodingSetup(n, alpha, memoryBudgetBytes, maxNewTokens, sampling, seed, null, DEFAULT_MAX_BATCH);
    }

    public DecodingSetup withN(Integer value) {
        return new DecodingSetup(value, alpha, memoryBudgetBytes, maxNewTokens, sampling, seed, decideEvery, maxBatch);
    }

    public DecodingSetup withAlpha(double value) {
        return new DecodingSetup(n, value, memoryBudgetBytes, maxNewTokens, sampling, seed, decideEvery, maxBatch);
    }

    public DecodingSetup withMemoryBudget(long bytes) {
        return new DecodingSetup(n, alpha, bytes, maxNewTokens, sampling, seed, decideEvery, maxBatch);
    }

    public DecodingSetup withMaxNewTokens(int value) {
        return new DecodingSetup(n, alpha, memoryBudgetBytes, value, sampling, seed, decideEvery, maxBatch);
    }

    public DecodingSetup withSeed(long value) {
        return new DecodingSetup(n, alpha, memoryBudgetBytes, maxNewTokens, sampling, value, decideEvery, maxBatch);
    }

    public DecodingSetup withDecideEvery(Integer tokens) {
        return new DecodingSetup(n, alpha, memoryBudgetBytes, maxNewTokens, sampling, seed, tokens, maxBatch);
    }

    public DecodingSetup withMaxBatch(int value) {
        return new DecodingSetup(n, alpha, memoryBudgetBytes, maxNewTokens, sampling, seed, decideEvery, value);
    }
}
