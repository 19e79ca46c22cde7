package io.specrej.engine.tensor;

/** Element-wise activations as transformers defines them. */
public final class Activations {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private Activations() {
    }

    /** gate = silu(gate) * up over a [rows][width] block (the Llama family's gated MLP), rows split across threads. */
    public static void siluMulRows(float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, (start, end) -> {
            for (int i = start * width, stop = end * width; i < stop; i++) {
                float g = gate[i];
                gate[i] = (float) (g / (1.0 + Math.exp(-g))) * up[i];
            }
        });
    }

    /** GPT-2's gelu_new (tanh approximation), in place over x[off, off+n). */
    public static void geluNew(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1.0 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
        }
    }

    /** The exact erf GELU (hidden_act "gelu"), in place over x[off, off+n). */
    public static void geluErf(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1.0 + Erf.erf(v / Math.sqrt(2.0))));
        }
    }
}
