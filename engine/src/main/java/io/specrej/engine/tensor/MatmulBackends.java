package io.specrej.engine.tensor;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.onednn.OneDnnMatmul;
import java.util.Locale;

/**
 * Chooses the matrix-multiply backend models are loaded with: {@code vector} (the portable Vector API kernels),
 * {@code onednn} (oneDNN for BF16 weights, the Vector API for the rest), {@code auto} (the default: oneDNN where it
 * loads and the CPU has bf16 dot-product instructions, else the Vector API) or {@code q8_0} (the Vector API on 8-bit
 * copies of the weights, {@link Q8Matmul}; changes the numbers, opt-in). The choice comes from
 * {@link #setDefault} (the CLI's {@code --matmul}) or the system property {@code specrej.matmul}.
 */
public final class MatmulBackends {
    private static final MatmulBackend VECTOR = new VectorMatmul();
    private static volatile MatmulBackend configured;
    private static volatile String autoNote = "";

    private MatmulBackends() {
    }

    /** The backend chosen by {@link #setDefault} or {@code -Dspecrej.matmul} (default {@code auto}). */
    public static MatmulBackend defaultBackend() {
        MatmulBackend backend = configured;
        if (backend == null) {
            synchronized (MatmulBackends.class) {
                if (configured == null) {
                    configured = select(System.getProperty("specrej.matmul", "auto"));
                }
                backend = configured;
            }
        }
        return backend;
    }

    /**
     * Sets the backend later model loads use (see {@link #select}); null goes back to {@code -Dspecrej.matmul} (or
     * auto).
     */
    public static void setDefault(String choice) {
        MatmulBackend backend = choice == null ? null : select(choice);
        synchronized (MatmulBackends.class) {
            configured = backend;
        }
    }

    /** The portable Vector API backend: always available, bit-identical for every batch size and thread count. */
    public static MatmulBackend vector() {
        return VECTOR;
    }

    /**
     * The backend for {@code auto}, {@code vector}, {@code onednn} or {@code q8_0}.
     *
     * @throws BadInputException for an unknown name, or {@code onednn} where it cannot be loaded (with the reason)
     */
    public static MatmulBackend select(String choice) {
        String name = choice == null ? "auto" : choice.trim().toLowerCase(Locale.ROOT);
        switch (name) {
            case "vector", "vector-api":
                return VECTOR;
            case "onednn":
                try {
                    return OneDnnMatmul.instance();
                } catch (IllegalStateException e) {
                    throw new BadInputException("--matmul onednn: " + e.getMessage());
                }
            case "auto":
                return auto();
            case "q8_0", "q8":
                return new Q8Matmul(VECTOR);
            default:
                throw new BadInputException("unknown matmul backend '" + choice
                        + "' (expected auto, vector, onednn or q8_0)");
        }
    }

    /** Why {@code auto} chose what it chose, for {@code bench}; empty until it has had to choose. */
    public static String autoNote() {
        return autoNote;
    }

    private static MatmulBackend auto() {
        return new Auto();
    }

    /**
     * {@code auto}: weights oneDNN would take (large BF16) go to oneDNN if it loads and the CPU has bf16 dot
     * products, everything else to the Vector API. oneDNN's libraries are loaded on the first such weight, so models
     * that never need them (F32, the small embedded models) do not pay the load. Which backend a weight gets depends
     * only on the weight and the machine, so batch invariance holds.
     */
    private static final class Auto implements MatmulBackend {
        private volatile MatmulBackend resolved;

        @Override
        public void multiply(float[] input, int rows, WeightMatrix weight, float[] output) {
            (OneDnnMatmul.takes(weight) ? resolve() : VECTOR).multiply(input, rows, weight, output);
        }

        @Override
        public boolean roundsToBf16(WeightMatrix weight) {
            return OneDnnMatmul.takes(weight) && resolve().roundsToBf16(weight);
        }

        @Override
        public void prepare(java.util.List<WeightMatrix> weights) {
            java.util.List<WeightMatrix> large = weights.stream().filter(OneDnnMatmul::takes).toList();
            if (!large.isEmpty()) {
                resolve().prepare(large);
            }
        }

        @Override
        public long copyBytes(WeightMatrix weight) {
            return OneDnnMatmul.takes(weight) ? resolve().copyBytes(weight) : 0;
        }

        @Override
        public void release(WeightMatrix weight) {
            MatmulBackend r = resolved;
            if (r != null) {
                r.release(weight);
            }
        }

        @Override
        public String choice() {
            return "auto";
        }

        /** "auto:" and the backend large BF16 weights go to (resolving it loads oneDNN). */
        @Override
        public String name() {
            return "auto:" + resolve().name();
        }

        private MatmulBackend resolve() {
            MatmulBackend r = resolved;
            if (r == null) {
                synchronized (this) {
                    if (resolved == null) {
                        resolved = chooseForLargeBf16();
                    }
                    r = resolved;
                }
            }
            return r;
        }
    }

    private static MatmulBackend chooseForLargeBf16() {
        try {
            OneDnnMatmul onednn = OneDnnMatmul.instance();
            if (onednn.hasNativeBf16()) {
                autoNote = "auto: oneDNN for large bf16 weights (the CPU has bf16 dot-product instructions)";
                return onednn;
            }
            autoNote = "auto: Vector API (this CPU has no bf16 dot-product instructions for oneDNN)";
        } catch (IllegalStateException e) {
            autoNote = "auto: Vector API (" + e.getMessage() + ")";
        }
        return VECTOR;
    }
}
