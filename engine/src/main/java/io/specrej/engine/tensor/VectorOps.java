package io.specrej.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small dense-vector kernels on float arrays. Each reduces in one fixed order (vector lanes over the full-width
 * prefix, then a scalar tail), so a result depends only on its inputs, never on batch shape or threads.
 */
public final class VectorOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** As many shorts as {@link #S} has floats (half its width), for widening bfloat16. */
    private static final VectorSpecies<Short> HALF_SHORTS = ShortVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /**
     * Rows at least this long (a real model's vocabulary) are worth the vector code that scans a logit row once per
     * sampled token (top-k, log-probabilities); shorter rows cost little in scalar code and would only pay the vector
     * code's warm-up (Vector API code runs slowly until C2 compiles it, which showed in the mini pair's first prompt).
     */
    public static final int LONG_ROW = 16_384;

    private VectorOps() {
    }

    /**
     * {@code y[yOff+i] += alpha * x[xOff+i]} for bfloat16 bits {@code x}: {@link #axpy} of the floats they denote
     * (widened exactly), the same bits.
     */
    public static void axpyBf16(float alpha, short[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < bound; i += S.length()) {
            bf16(x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, Bf16.toFloat(x[xOff + i]), y[yOff + i]);
        }
    }

    /** As many bfloat16 bit patterns of {@code a} from {@code at} as a float vector has lanes, widened exactly. */
    public static FloatVector bf16(short[] a, int at) {
        return ShortVector.fromArray(HALF_SHORTS, a, at)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, INTS, 0)
                .reinterpretAsInts()
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /** sum_i a[aOff+i] * b[bOff+i]. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum = 0f;
        int bound = S.loopBound(n);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += S.length()) {
                acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
            }
            sum = Lanes.sum(acc);
        }
        for (; i < n; i++) {
            sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        }
        return sum;
    }

    /** y[yOff+i] += alpha * x[xOff+i]. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    /** {@code x[xOff + i] *= factor} for {@code i < n}: one rounding per element, as the scalar product. */
    public static void scale(float[] x, int xOff, int n, float factor) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector f = FloatVector.broadcast(S, factor);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).mul(f).intoArray(x, xOff + i);
        }
        for (; i < n; i++) {
            x[xOff + i] *= factor;
        }
    }

    /** y[yOff+i] += x[xOff+i]. */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).add(FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }

    /** Adds {@code bias} to each of {@code rows} rows of width bias.length in x. */
    public static void addBiasRows(float[] x, int rows, float[] bias) {
        int n = bias.length;
        for (int r = 0; r < rows; r++) {
            add(bias, 0, x, r * n, n);
        }
    }

    /** The largest element ({@link Math#max} semantics: NaN if any is NaN), the same whichever way it runs. */
    public static float max(float[] x, int off, int n) {
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        int bound = S.loopBound(n);
        if (bound > 0) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < bound; i += S.length()) {
                m = m.max(FloatVector.fromArray(S, x, off + i));
            }
            for (int lane = 0; lane < S.length(); lane++) {
                max = Math.max(max, m.lane(lane));
            }
        }
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }

    /** Index of the largest element; the lowest index wins a tie (torch.argmax does the same). */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        float bestValue = x[off];
        for (int i = 1; i < n; i++) {
            float v = x[off + i];
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return best;
    }
}
