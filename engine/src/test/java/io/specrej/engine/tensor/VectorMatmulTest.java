package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VectorMatmulTest {
    private static final int[] ROWS = {1, 2, 3, 5, 16, 17, 64, 65};
    private static final int[] COLS = {7, 64, 100, 896};

    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    /**
     * Every tile (4x4, 4x1, 1x4, 1x1, with and without columns past the last whole vector), every dtype, one and two
     * threads, unaligned weights: the same bits as {@link ScalarKernels#dot}, the order the tiles document, and within
     * float accumulation error of the double-precision {@link NaiveMatmul} (so that order is a matrix multiply).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void equalsTheScalarReferenceBitForBitAndTheNaiveMathClosely(DType dtype) {
        VectorMatmul vector = new VectorMatmul();
        NaiveMatmul naive = new NaiveMatmul();
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int cols : COLS) {
                for (int n : new int[] {1, 6, 37}) {
                    WeightMatrix w = TestWeights.random(dtype, n, cols, cols * 31L + n, (n & 1) == 1);
                    for (int m : ROWS) {
                        float[] x = TestWeights.randomInput(m, cols, m * 7L + cols);
                        float[] got = new float[m * n];
                        Arrays.fill(got, Float.NaN); // must be overwritten
                        float[] want = new float[m * n];
                        vector.multiply(x, m, w, got);
                        naive.multiply(x, m, w, want);
                        for (int r = 0; r < m; r++) {
                            for (int j = 0; j < n; j++) {
                                double scale = 0;
                                for (int k = 0; k < cols; k++) {
                                    scale += Math.abs((double) x[r * cols + k] * WeightRows.get(w, j, k));
                                }
                                // fp32 accumulation: error grows ~ log/linear in cols times eps of the |terms| sum
                                double tol = 4e-7 * Math.sqrt(cols) * scale + 1e-30;
                                float g = got[r * n + j];
                                float e = want[r * n + j];
                                float scalar = ScalarKernels.dot(x, r * cols, w, j);
                                if (Float.floatToRawIntBits(g) != Float.floatToRawIntBits(scalar)) {
                                    fail(dtype + " m=" + m + " n=" + n + " k=" + cols + " threads=" + threads
                                            + " [" + r + "][" + j + "]: got " + g + " scalar reference " + scalar);
                                }
                                if (!(Math.abs(g - e) <= tol)) {
                                    fail(dtype + " m=" + m + " n=" + n + " k=" + cols + " threads=" + threads
                                            + " [" + r + "][" + j + "]: got " + g + " want " + e + " tol " + tol);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Exact products: small integers, so every backend must return the exact sum. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void exactOnIntegers(DType dtype) {
        int m = 5;
        int n = 9;
        int k = 67;
        WeightMatrix w = TestWeights.of(dtype, n, k, (j, c) -> ((j * 7 + c * 3) % 9) - 4, false);
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 5) - 2;
        }
        float[] got = new float[m * n];
        new VectorMatmul().multiply(x, m, w, got);
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < n; j++) {
                long sum = 0;
                for (int c = 0; c < k; c++) {
                    sum += (long) x[r * k + c] * (long) (((j * 7 + c * 3) % 9) - 4);
                }
                assertEquals((float) sum, got[r * n + j], "[" + r + "][" + j + "]");
            }
        }
    }

    /**
     * The MatmulBackend contract: a row's output bits do not depend on the batch it is in, on the other rows, or on
     * the thread count. The batch-of-1 references are computed first, while the code is still cold (interpreted or
     * C1), and compared after warm-up (C2), so this also catches a compiled/interpreted reduction-order mismatch.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void rowResultIndependentOfBatchAndThreads(DType dtype) {
        VectorMatmul mm = new VectorMatmul();
        int total = 64;
        for (int[] shape : new int[][] {{37, 100}, {64, 896}, {130, 7}}) {
            int n = shape[0];
            int k = shape[1];
            WeightMatrix w = TestWeights.random(dtype, n, k, n * 1000L + k, true);
            float[] x = TestWeights.randomInput(total, k, 99);
            Parallel.setThreads(1);
            int[][] ref = new int[total][];
            for (int r = 0; r < total; r++) {
                float[] out = new float[n];
                mm.multiply(Arrays.copyOfRange(x, r * k, (r + 1) * k), 1, w, out);
                ref[r] = bits(out, 0, n);
            }
            // warm up so the tiles get compiled
            float[] warm = new float[total * n];
            for (int i = 0; i < 300; i++) {
                mm.multiply(x, total, w, warm);
            }
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int batch : new int[] {1, 3, 16, 64}) {
                    // every start offset class, so each row sits at different tile positions
                    for (int start = 0; start + batch <= total; start += Math.max(1, batch / 2 + 1)) {
                        float[] in = Arrays.copyOfRange(x, start * k, (start + batch) * k);
                        float[] out = new float[batch * n];
                        mm.multiply(in, batch, w, out);
                        for (int b = 0; b < batch; b++) {
                            int[] got = bits(out, b * n, n);
                            if (!Arrays.equals(ref[start + b], got)) {
                                fail(dtype + " " + n + "x" + k + ": row " + (start + b) + " differs in batch "
                                        + batch + " at " + b + " with " + threads + " threads");
                            }
                        }
                    }
                }
                // a row alongside different neighbours: replace all other rows with other data
                float[] other = TestWeights.randomInput(16, k, 5);
                System.arraycopy(x, 9 * k, other, 6 * k, k);
                float[] out = new float[16 * n];
                mm.multiply(other, 16, w, out);
                assertTrue(Arrays.equals(ref[9], bits(out, 6 * n, n)), "row 9 among other neighbours");
            }
            // and dotRow gives the same bits
            for (int r = 0; r < total; r += 7) {
                for (int j = 0; j < n; j++) {
                    assertEquals(ref[r][j], Float.floatToRawIntBits(WeightRows.dotRow(w, j, x, r * k)),
                            "dotRow row " + r + " col " + j);
                }
            }
        }
    }

    @Test
    void bf16WeightsGiveTheSameBitsAsTheirF32Copy() {
        int n = 21;
        int k = 133;
        WeightMatrix bf = TestWeights.random(DType.BF16, n, k, 3, true);
        WeightMatrix f32 = TestWeights.of(DType.F32, n, k, (j, c) -> WeightRows.get(bf, j, c), false);
        float[] x = TestWeights.randomInput(6, k, 4);
        float[] a = new float[6 * n];
        float[] b = new float[6 * n];
        new VectorMatmul().multiply(x, 6, bf, a);
        new VectorMatmul().multiply(x, 6, f32, b);
        assertTrue(Arrays.equals(bits(a, 0, a.length), bits(b, 0, b.length)));
    }

    @Test
    void largeMatrixParallelMatchesSingleThread() {
        WeightMatrix w = TestWeights.random(DType.BF16, 1001, 896, 8, false);
        float[] x = TestWeights.randomInput(19, 896, 9);
        float[] one = new float[19 * 1001];
        float[] two = new float[19 * 1001];
        Parallel.setThreads(1);
        new VectorMatmul().multiply(x, 19, w, one);
        Parallel.setThreads(2);
        new VectorMatmul().multiply(x, 19, w, two);
        Parallel.setThreads(3);
        float[] three = new float[19 * 1001];
        new VectorMatmul().multiply(x, 19, w, three);
        assertTrue(Arrays.equals(bits(one, 0, one.length), bits(two, 0, two.length)));
        assertTrue(Arrays.equals(bits(one, 0, one.length), bits(three, 0, three.length)));
    }

    @Test
    void zeroRowsAndBadSizes() {
        WeightMatrix w = TestWeights.random(DType.F32, 4, 8, 1, false);
        new VectorMatmul().multiply(new float[0], 0, w, new float[0]);
        assertThrows(IllegalArgumentException.class, () -> new VectorMatmul().multiply(new float[7], 1, w,
                new float[4]));
        assertThrows(IllegalArgumentException.class, () -> new VectorMatmul().multiply(new float[8], 1, w,
                new float[3]));
        assertEquals("vector-api", new VectorMatmul().name());
    }

    @Test
    void copyRowDecodesEveryDtype() {
        for (DType dtype : DType.values()) {
            WeightMatrix w = TestWeights.random(dtype, 5, 37, 2, true);
            float[] dst = new float[40];
            WeightRows.copyRow(w, 3, dst, 2);
            for (int c = 0; c < 37; c++) {
                assertEquals(WeightRows.get(w, 3, c), dst[2 + c]);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> WeightRows.copyRow(w, 5, dst, 0));
        }
    }

    private static int[] bits(float[] v, int from, int len) {
        int[] b = new int[len];
        for (int i = 0; i < len; i++) {
            b[i] = Float.floatToRawIntBits(v[from + i]);
        }
        return b;
    }
}
