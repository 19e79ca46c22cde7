package io.specrej.decoding;

/**
 * The KV memory of a whole process (generator and reward model together) split into per-request quotas. A request
 * is admitted with a quota from its minimum up to what it would use fully; the quotas never add up to more than the
 * budget, and each request keeps its own KV within its quota ({@link MemoryBudget}), so the caches together never
 * exceed the budget. Reservation fails softly: the caller keeps the request waiting. Thread-safe.
 */
public final class KvPool {
    private final long budgetBytes;
    private long reservedBytes;

    public KvPool(long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("a KV budget must be positive, got " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    public synchronized long reservedBytes() {
        return reservedBytes;
    }

    /**
     * Reserves as much of {@code [minimum, wanted]} as is free: the granted bytes, or -1 when not even the minimum
     * is free now.
     */
    public synchronized long tryReserve(long minimum, long wanted) {
        long free = budgetBytes - reservedBytes;
        if (minimum > free) {
            return -1;
        }
        long granted = Math.min(Math.max(minimum, wanted), free);
        reservedBytes += granted;
        return granted;
    }

    public synchronized void release(long bytes) {
        if (bytes < 0 || bytes > reservedBytes) {
            throw new IllegalStateException("releasing " + bytes + " of " + reservedBytes + " reserved bytes");
        }
        reservedBytes -= bytes;
    }
}
