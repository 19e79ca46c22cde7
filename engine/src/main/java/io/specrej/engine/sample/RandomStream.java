package io.specrej.engine.sample;

/**
 * A sequence's own random numbers: SplitMix64 seeded from (seed, sequence index). Written out here rather than
 * borrowed from the JDK so the stream, and so every sampled token, stays the same across Java versions.
 */
public final class RandomStream {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private long state;

    public RandomStream(long seed, long sequenceIndex) {
        this.state = mix(mix(seed) ^ mix(sequenceIndex + GOLDEN_GAMMA));
    }

    /** A uniform double in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
