package io.specrej.engine.tensor;

/**
 * Optional wall-clock timers around the engine's big regions (matrix multiplies, attention, sampling), for
 * {@code specrej bench}. Off unless the JVM starts with {@code -Dspecrej.profile=true} (or the property is set
 * before this class is first used): {@link #ENABLED} is a static final, so when off the JIT folds every timer away.
 *
 * <p>Timers are read and written only by the thread that calls the forward pass (regions are timed around whole
 * parallel loops, not inside them), so plain fields suffice.
 */
public final class Profile {
    public static final boolean ENABLED = Boolean.getBoolean("specrej.profile");

    /** Every matrix multiply of the blocks (q/k/v/o, MLP), bias included. */
    public static final int MATMUL = 0;
    /** The head's multiply (lm_head or score). */
    public static final int HEAD = 1;
    /** Cached attention (scores, softmax, weighted values). */
    public static final int ATTENTION = 2;
    /** Sampling the next token of every sequence. */
    public static final int SAMPLING = 3;
    private static final String[] NAMES = {"matmul", "head", "attention", "sampling"};

    private static final long[] NANOS = new long[NAMES.length];

    private Profile() {
    }

    /** A start time for {@link #stop}, or 0 when profiling is off. */
    public static long start() {
        return ENABLED ? System.nanoTime() : 0L;
    }

    public static void stop(int region, long start) {
        if (ENABLED) {
            NANOS[region] += System.nanoTime() - start;
        }
    }

    public static long nanos(int region) {
        return NANOS[region];
    }

    public static String name(int region) {
        return NAMES[region];
    }

    public static int regions() {
        return NAMES.length;
    }

    public static void reset() {
        java.util.Arrays.fill(NANOS, 0L);
    }
}
