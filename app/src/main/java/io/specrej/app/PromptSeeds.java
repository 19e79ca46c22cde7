package io.specrej.app;

/**
 * The seed of one prompt, a pure function of the run's --seed and the prompt's index in the file: a run split into
 * shards, or resumed after a kill, draws exactly the samples one uninterrupted run would.
 */
final class PromptSeeds {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private PromptSeeds() {
    }

    static long forPrompt(long runSeed, int promptIndex) {
        return mix(mix(runSeed) + GOLDEN * (promptIndex + 1L)) & Long.MAX_VALUE;
    }

    /** SplitMix64's finalizer: every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
