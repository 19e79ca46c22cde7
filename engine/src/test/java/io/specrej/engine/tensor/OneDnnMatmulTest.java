package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.onednn.OneDnnMatmul;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OneDnnMatmulTest {
    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    /** oneDNN computes sum_k bf16(x[k]) * w[k] exactly-multiplied, F32-accumulated: check against doubles. */
    @Test
    void matchesADoubleReferenceOnBf16RoundedInputs() {
        OneDnnMatmul onednn = OneDnnAvailability.requireOneDnn();
        for (int cols : new int[] {7, 64, 100, 896}) {
            for (int n : new int[] {1, 6, 37, 300}) {
                WeightMatrix w = TestWeights.random(DType.BF16, n, cols, cols * 31L + n, (n & 1) == 1);
                for (int m : new int[] {1, 3, 16, 17, 70}) {
                    float[] x = TestWeights.randomInput(m, cols, m * 7L + cols);
                    float[] got = new float[m * n];
                    Arrays.fill(got, Float.NaN); // must be overwritten
                    onednn.multiply(x, m, w, got);
                    for (int r = 0; r < m; r++) {
                        for (int j = 0; j < n; j++) {
                            double exact = 0;
                            double scale = 0;
                            for (int k = 0; k < cols; k++) {
                                double term = (double) Bf16.round(x[r * cols + k]) * WeightRows.get(w, j, k);
                                exact += term;
                                scale += Math.abs(term);
                            }
                            double tol = 4e-7 * Math.sqrt(cols) * scale + 1e-30;
                            float g = got[r * n + j];
                            if (!(Math.abs(g - exact) <= tol)) {
                                fail("m=" + m + " n=" + n + " k=" + cols + " [" + r + "][" + j + "]: got " + g
                                        + " want " + exact + " tol " + tol);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The MatmulBackend contract: a row's bits do not depend on the batch it is in, nor on the thread count. */
    @Test
    void everyRowIsBitIdenticalAloneInAnyBatchAndWithOneOrTwoThreads() {
        OneDnnMatmul onednn = OneDnnAvailability.requireOneDnn();
        // [n][cols] shapes of Qwen2.5-0.5B (k/v, q/o, gate/up, down): with 4864 columns and one row oneDNN splits
        // the reduction over threads, which padding to 16 rows must avoid.
        for (int[] shape : new int[][] {{128, 896}, {896, 896}, {4864, 896}, {896, 4864}}) {
            int n = shape[0];
            int cols = shape[1];
            WeightMatrix w = TestWeights.random(DType.BF16, n, cols, n, false);
            int maxRows = 300;
            float[] x = TestWeights.randomInput(maxRows, cols, n + 5L);
            Parallel.setThreads(1);
            float[] alone = new float[maxRows * n];
            float[] one = new float[n];
            for (int r = 0; r < maxRows; r++) {
                onednn.multiply(Arrays.copyOfRange(x, r * cols, (r + 1) * cols), 1, w, one);
                System.arraycopy(one, 0, alone, r * n, n);
            }
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int m : new int[] {2, 3, 5, 8, 14, 15, 16, 17, 64, 100, 255, 256, 257, 300}) {
                    float[] batch = new float[m * n];
                    onednn.multiply(x, m, w, batch);
                    for (int i = 0; i < m * n; i++) {
                        if (Float.floatToRawIntBits(batch[i]) != Float.floatToRawIntBits(alone[i])) {
                            fail("n=" + n + " batch of " + m + " with " + threads + " threads: row " + i / n
                                    + " col " + i % n + " is " + batch[i] + ", alone " + alone[i]);
                        }
                    }
                }
            }
        }
        assertTrue(onednn.batchInvariant(), "the first-call checks found a batch-size-dependent kernel");
    }

    @Test
    void otherWeightTypesAndHeapWeightsGoToTheVectorBackendUnchanged() {
        OneDnnMatmul onednn = OneDnnAvailability.requireOneDnn();
        MatmulBackend vector = MatmulBackends.vector();
        WeightMatrix bf16 = TestWeights.random(DType.BF16, 40, 96, 3, false);
        short[] heap = new short[40 * 96];
        MemorySegment.copy(bf16.data(), WeightRows.I16_LE, 0, heap, 0, heap.length);
        WeightMatrix onHeap = new WeightMatrix("heap", DType.BF16, 40, 96, MemorySegment.ofArray(heap));
        for (WeightMatrix w : new WeightMatrix[] {TestWeights.random(DType.F32, 40, 96, 1, false),
                TestWeights.random(DType.F16, 40, 96, 2, true), onHeap}) {
            float[] x = TestWeights.randomInput(5, 96, 9);
            float[] got = new float[5 * 40];
            float[] want = new float[5 * 40];
            onednn.multiply(x, 5, w, got);
            vector.multiply(x, 5, w, want);
            assertArrayEquals(want, got, w.name());
        }
    }

    @Test
    void theProcessWideBackendLeavesSmallWeightsToTheVectorKernelsAndTakesBigOnes() {
        OneDnnAvailability.requireOneDnn();
        OneDnnMatmul production = OneDnnMatmul.instance();
        MatmulBackend vector = MatmulBackends.vector();
        WeightMatrix small = TestWeights.random(DType.BF16, 200, 896, 21, false); // 179,200 elements
        WeightMatrix big = TestWeights.random(DType.BF16, 400, 896, 22, false); // 358,400 elements
        float[] x = TestWeights.randomInput(3, 896, 23);
        float[] viaProduction = new float[3 * 400];
        float[] viaVector = new float[3 * 400];
        production.multiply(x, 3, small, viaProduction);
        vector.multiply(x, 3, small, viaVector);
        assertArrayEquals(Arrays.copyOf(viaVector, 600), Arrays.copyOf(viaProduction, 600), "small weight");
        production.multiply(x, 3, big, viaProduction);
        vector.multiply(x, 3, big, viaVector);
        assertTrue(!Arrays.equals(viaVector, viaProduction), "a big weight must go through oneDNN (bf16 inputs)");
        production.release(big);
        WeightMatrix shortRows = TestWeights.random(DType.BF16, 2048, 256, 24, false); // 524,288 elements, k = 256
        float[] x2 = TestWeights.randomInput(3, 256, 25);
        float[] a = new float[3 * 2048];
        float[] b = new float[3 * 2048];
        production.multiply(x2, 3, shortRows, a);
        vector.multiply(x2, 3, shortRows, b);
        assertArrayEquals(b, a, "rows shorter than 512 stay with the vector kernels");
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyNativeCall() {
        OneDnnMatmul onednn = OneDnnAvailability.requireOneDnn();
        WeightMatrix w = TestWeights.random(DType.BF16, 8, 16, 4, false);
        assertThrows(IllegalArgumentException.class, () -> onednn.multiply(new float[15], 1, w, new float[8]));
        assertThrows(IllegalArgumentException.class, () -> onednn.multiply(new float[16], 1, w, new float[7]));
        assertThrows(IllegalArgumentException.class, () -> onednn.multiply(new float[16], -1, w, new float[8]));
        float[] out = {42f};
        onednn.multiply(new float[0], 0, w, out);
        assertEquals(42f, out[0], "zero rows must not write");
    }

    @Test
    void backendNamesAreParsedAndUnknownOnesRejected() {
        assertEquals("vector-api", MatmulBackends.select("vector").name());
        assertEquals("vector-api", MatmulBackends.select(" Vector ").name());
        BadInputException e = assertThrows(BadInputException.class, () -> MatmulBackends.select("blas"));
        assertTrue(e.getMessage().contains("auto, vector, onednn or q8_0"), e.getMessage());
        MatmulBackend auto = MatmulBackends.select("auto");
        assertTrue(auto.name().equals("auto:onednn") || auto.name().equals("auto:vector-api"), auto.name());
        assertTrue(!MatmulBackends.autoNote().isEmpty());
        // auto sends small and non-BF16 weights to the Vector API whatever it resolved to
        WeightMatrix small = TestWeights.random(DType.BF16, 40, 96, 3, false);
        float[] x = TestWeights.randomInput(5, 96, 9);
        float[] got = new float[5 * 40];
        float[] want = new float[5 * 40];
        auto.multiply(x, 5, small, got);
        MatmulBackends.vector().multiply(x, 5, small, want);
        assertArrayEquals(want, got);
    }
}
