package io.specrej.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums the lanes of a vector in one fixed butterfly order (lane i + lane i^half, then i^(half/2), ...).
 *
 * <p>{@code reduceLanes(ADD)} leaves the order unspecified, and HotSpot's intrinsic and its pure-Java fallback
 * (used before the JIT compiles a method) do differ, so a dot product could change in its last bit depending on
 * JIT timing. Lane-wise adds and permutes are exact in both, so this sum is the same bits whenever it runs.
 */
final class Lanes {
    private static final VectorSpecies<Float> S = VectorOps.S;
    private static final VectorShuffle<Float>[] BUTTERFLIES = butterflies();

    private Lanes() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] butterflies() {
        int lanes = S.length();
        int steps = Integer.numberOfTrailingZeros(lanes);
        VectorShuffle<Float>[] out = new VectorShuffle[steps];
        for (int s = 0, half = lanes / 2; half >= 1; s++, half /= 2) {
            final int h = half;
            out[s] = VectorShuffle.fromOp(S, i -> i ^ h);
        }
        return out;
    }

    static float sum(FloatVector v) {
        for (VectorShuffle<Float> butterfly : BUTTERFLIES) {
            v = v.add(v.rearrange(butterfly));
        }
        return v.lane(0);
    }
}
