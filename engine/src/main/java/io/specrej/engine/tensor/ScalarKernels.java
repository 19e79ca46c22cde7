package io.specrej.engine.tensor;

/**
 * The math of the matrix-multiply tiles as plain scalar loops: what every tile of {@link VectorKernels} (F32, BF16,
 * and F16 decoded to F32) and of {@link Q8Kernels} computes for one output, in the same order, so with the same bits.
 * Read these before the tiles: a tile is one of these loops unrolled over registers for several outputs at once
 * (scripts/gen-vector-kernels.py and scripts/gen-q8-kernels.py write them), and VectorMatmulTest and Q8MatmulTest
 * check every tile against these, bit for bit. Slow: for reading and for tests.
 */
final class ScalarKernels {
    private ScalarKernels() {
    }

    /**
     * Input row {@code x[xOffset..]} times weight row {@code row}, summed as {@link VectorKernels} sums it:
     * {@link VectorKernels#LANES} running sums (lane l takes columns l, l + LANES, l + 2 LANES, ...) of fused
     * multiply-adds over the whole chunks of LANES columns; then the lanes added in a fixed pairwise tree (lane i +=
     * lane i + s for s = LANES/2, ..., 2, 1), because the Vector API leaves the order of its own lane sum unspecified;
     * then the remaining columns one by one. Every weight is widened exactly to float first.
     */
    static float dot(float[] x, int xOffset, WeightMatrix w, int row) {
        int lanes = VectorKernels.LANES;
        int cols = w.cols();
        int whole = cols - cols % lanes;
        float[] lane = new float[lanes];
        for (int k0 = 0; k0 < whole; k0 += lanes) {
            for (int l = 0; l < lanes; l++) {
                lane[l] = Math.fma(x[xOffset + k0 + l], WeightRows.get(w, row, k0 + l), lane[l]);
            }
        }
        for (int s = lanes / 2; s >= 1; s /= 2) {
            for (int i = 0; i < s; i++) {
                lane[i] += lane[i + s];
            }
        }
        float sum = lane[0];
        for (int k = whole; k < cols; k++) {
            sum = Math.fma(x[xOffset + k], WeightRows.get(w, row, k), sum);
        }
        return sum;
    }

    /**
     * Input row {@code x[xOffset..]} times row {@code row} of an 8-bit weight, summed as {@link Q8Kernels} sums it:
     * per block of {@link Q8Weight#BLOCK} columns, in increasing order, a block sum of fused multiply-adds of input
     * times code (the code exactly as a float), then one fused multiply-add of that block sum by the block's scale
     * into the total. One lane per output in the tiles, so no sum across lanes and nothing depends on the vector
     * width.
     */
    static float q8Dot(float[] x, int xOffset, Q8Weight q, int row) {
        float acc = 0f;
        for (int k0 = 0; k0 < q.cols; k0 += Q8Weight.BLOCK) {
            float p = 0f;
            for (int k = k0; k < k0 + Q8Weight.BLOCK; k++) {
                p = Math.fma(x[xOffset + k], (float) q.code(row, k), p);
            }
            acc = Math.fma(p, q.scale(row, k0 / Q8Weight.BLOCK), acc);
        }
        return acc;
    }
}
