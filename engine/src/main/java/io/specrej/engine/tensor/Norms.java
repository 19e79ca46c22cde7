package io.specrej.engine.tensor;

import jdk.incubator.vector.FloatVector;

/** RMSNorm and LayerNorm over one row, computed as transformers computes them in float32. */
public final class Norms {
    private Norms() {
    }

    /** out = weight * (x * rsqrt(mean(x^2) + eps)); out may alias x. */
    public static void rmsNorm(float[] x, int xOff, float[] weight, float[] out, int outOff, int n, float eps) {
        float meanSquare = VectorOps.dot(x, xOff, x, xOff, n) / n;
        float inv = (float) (1.0 / Math.sqrt(meanSquare + eps));
        int i = 0;
        int bound = VectorOps.S.loopBound(n);
        for (; i < bound; i += VectorOps.S.length()) {
            FloatVector.fromArray(VectorOps.S, x, xOff + i).mul(inv)
                    .mul(FloatVector.fromArray(VectorOps.S, weight, i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = weight[i] * (x[xOff + i] * inv);
        }
    }

    /** out = (x - mean) / sqrt(var + eps) * weight + bias, biased variance; out may alias x. */
    public static void layerNorm(float[] x, int xOff, float[] weight, float[] bias, float[] out, int outOff, int n,
                                 float eps) {
        float mean = sum(x, xOff, n) / n;
        float var = 0f;
        int i = 0;
        int bound = VectorOps.S.loopBound(n);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(VectorOps.S);
            for (; i < bound; i += VectorOps.S.length()) {
                FloatVector d = FloatVector.fromArray(VectorOps.S, x, xOff + i).sub(mean);
                acc = d.fma(d, acc);
            }
            var = Lanes.sum(acc);
        }
        for (; i < n; i++) {
            float d = x[xOff + i] - mean;
            var = Math.fma(d, d, var);
        }
        var /= n;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        for (i = 0; i < n; i++) {
            out[outOff + i] = (x[xOff + i] - mean) * inv * weight[i] + bias[i];
        }
    }

    private static float sum(float[] x, int off, int n) {
        int i = 0;
        float s = 0f;
        int bound = VectorOps.S.loopBound(n);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(VectorOps.S);
            for (; i < bound; i += VectorOps.S.length()) {
                acc = acc.add(FloatVector.fromArray(VectorOps.S, x, off + i));
            }
            s = Lanes.sum(acc);
        }
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }
}
