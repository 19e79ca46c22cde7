package io.specrej.decoding;

import io.specrej.engine.cache.KvCache;

/**
 * The KV bytes a run may hold, generator and reward model together, and the exact account of what it holds.
 *
 * <p>The account is per run: the caches may hold other runs' sequences too (a server's requests share one cache per
 * model), which this budget neither counts nor limits.
 *
 * <p>Memory only grows inside forward passes (pages are reserved there), and each forward touches one cache. So
 * callers bracket every forward with {@link #beforeGrowth()} / {@link #afterGrowth()}: the caches' own peaks are
 * reset before, and after it the peak of the sum is the changed cache's peak plus the other's (unchanged) use —
 * exact, not sampled. Exceeding the budget is a bug in the caller's planning, so it fails loudly.
 */
public final class MemoryBudget {
    private final long budgetBytes;
    private final KvCache.Account generator;
    private final KvCache.Account reward;
    private long peakBytes;

    /**
     * @param generator the generator KV this run holds (its account in a cache other runs may share)
     * @param reward    the reward model KV it holds, or null when the reward needs none
     */
    public MemoryBudget(long budgetBytes, KvCache.Account generator, KvCache.Account reward) {
        this.budgetBytes = budgetBytes;
        this.generator = generator;
        this.reward = reward;
        this.peakBytes = inUse();
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    public long generatorBytes() {
        return generator.bytesInUse();
    }

    public long rewardBytes() {
        return reward == null ? 0 : reward.bytesInUse();
    }

    public long inUse() {
        return generatorBytes() + rewardBytes();
    }

    public long free() {
        return budgetBytes - inUse();
    }

    /** Whether {@code extraBytes} more (e.g. the next step's exact need) would stay within the budget. */
    public boolean fits(long extraBytes) {
        return inUse() + extraBytes <= budgetBytes;
    }

    /** Pages of {@code cache} needed to hold {@code tokens} tokens in one unshared sequence, in bytes. */
    public static long bytesFor(KvCache cache, long tokens) {
        return (tokens + KvCache.PAGE_TOKENS - 1) / KvCache.PAGE_TOKENS * cache.pageBytes();
    }

    public void beforeGrowth() {
        generator.resetPeak();
        if (reward != null) {
            reward.resetPeak();
        }
    }

    public void afterGrowth() {
        long peak = generator.peakBytesInUse() + (reward == null ? 0 : reward.peakBytesInUse());
        peakBytes = Math.max(peakBytes, peak);
        if (peak > budgetBytes) {
            throw new IllegalStateException("KV memory reached " + peak + " bytes, over the budget of " + budgetBytes
                    + " bytes: a step or scoring was not planned against the budget");
        }
    }

    /** The most KV bytes (generator + reward model) held at any moment since creation. */
    public long peakBytes() {
        return peakBytes;
    }
}
