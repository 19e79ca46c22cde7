package io.specrej.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise activations as transformers defines them. */
public final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private Activations() {
    }

    /**
     * gate = silu(gate) * up over a [rows][width] block (the Llama family's gated MLP), rows split across threads.
     * In float like torch's {@code silu}: {@code g / (1 + exp(-g)) * u}, with {@link Exp}'s vector exp (the scalar
     * tail runs the same operations, so an element's bits do not depend on where it falls).
     */
    public static void siluMulRows(float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, (start, end) -> {
            int from = start * width;
            int stop = end * width;
            int i = from;
            for (int bound = from + S.loopBound(stop - from); i < bound; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                FloatVector sigmoidDenominator = Exp.exp(g.neg()).add(1f);
                g.div(sigmoidDenominator).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
            }
            for (; i < stop; i++) {
                float g = gate[i];
                gate[i] = g / (Exp.exp(-g) + 1f) * up[i];
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
