package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.specrej.engine.BadInputException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class Q8MatmulTest {
    private static final int[] ROWS = {1, 2, 3, 4, 5, 7, 16, 17, 65};

    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    /**
     * Every tile (4x3, 4x2, 4x1, 1x8, 1x1, the padded last group), one and two threads, unaligned weights: the same
     * bits as {@link ScalarKernels#q8Dot}, which depends on nothing but the row and the weight row.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void equalsTheDocumentedArithmeticBitForBit(DType dtype) {
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int cols : new int[] {32, 96, 896}) {
                for (int n : new int[] {64, 67, 130, 200}) {
                    WeightMatrix w = TestWeights.random(dtype, n, cols, cols * 17L + n, (n & 1) == 1);
                    Q8Matmul q8 = new Q8Matmul(new VectorMatmul());
                    Q8Weight quantized = Q8Weight.quantize(w);
                    for (int m : ROWS) {
                        float[] x = TestWeights.randomInput(m, cols, m * 5L + cols);
                        float[] got = new float[m * n];
                        Arrays.fill(got, Float.NaN); // must be overwritten
                        float[] want = new float[m * n];
                        q8.multiply(x, m, w, got);
                        for (int r = 0; r < m; r++) {
                            for (int j = 0; j < n; j++) {
                                want[r * n + j] = ScalarKernels.q8Dot(x, r * cols, quantized, j);
                            }
                        }
                        assertSameBits(want, got, dtype + " m=" + m + " n=" + n + " k=" + cols + " threads=" + threads);
                    }
                    q8.release(w);
                    quantized.free();
                }
            }
        }
    }

    /** A row's output alone equals its output inside a batch of 65, bit for bit. */
    @Test
    void aRowGetsTheSameBitsAloneAndInABatch() {
        int m = 65;
        int n = 68;
        int k = 256;
        WeightMatrix w = TestWeights.random(DType.BF16, n, k, 3, false);
        Q8Matmul q8 = new Q8Matmul(new VectorMatmul());
        float[] x = TestWeights.randomInput(m, k, 4);
        float[] batch = new float[m * n];
        q8.multiply(x, m, w, batch);
        for (int r = 0; r < m; r++) {
            float[] alone = new float[n];
            q8.multiply(Arrays.copyOfRange(x, r * k, (r + 1) * k), 1, w, alone);
            assertSameBits(alone, Arrays.copyOfRange(batch, r * n, (r + 1) * n), "row " + r);
        }
    }

    /** Each block: scale = max|w| / 127, codes in [-127, 127], every weight within half a step of its original. */
    @Test
    void quantizationRoundsEachWeightToTheNearestStepOfItsBlock() {
        int n = 64;
        int k = 96;
        WeightMatrix w = TestWeights.of(DType.F32, n, k, (j, c) -> j == 5 && c < 32 ? 0f
                : (float) Math.sin(j * 131.0 + c * 7.0) * (1 + c % 3) * (j == 9 ? 1e-20f : 1f), false);
        Q8Weight q = Q8Weight.quantize(w);
        for (int j = 0; j < n; j++) {
            for (int b = 0; b < k / Q8Weight.BLOCK; b++) {
                float max = 0;
                for (int c = b * Q8Weight.BLOCK; c < (b + 1) * Q8Weight.BLOCK; c++) {
                    max = Math.max(max, Math.abs(WeightRows.get(w, j, c)));
                }
                float scale = q.scale(j, b);
                assertEquals(max / 127f, scale, "scale of row " + j + " block " + b);
                for (int c = b * Q8Weight.BLOCK; c < (b + 1) * Q8Weight.BLOCK; c++) {
                    float original = WeightRows.get(w, j, c);
                    float got = q.get(j, c);
                    assertTrue(Math.abs(got - original) <= scale * 0.5f * (1 + 1e-5f),
                            "[" + j + "][" + c + "]: " + original + " -> " + got + " (step " + scale + ")");
                    assertTrue(Math.abs(got) <= max, "[" + j + "][" + c + "] exceeds the block's max");
                }
            }
        }
        for (int c = 0; c < 32; c++) {
            assertEquals(0f, q.get(5, c), "an all-zero block stays zero");
        }
    }

    /** Weights that are not whole blocks or have few rows (classifier heads) keep their dtype: the Vector API's bits. */
    @Test
    void weightsItDoesNotQuantizeGoThroughTheFallbackUnchanged() {
        Q8Matmul q8 = new Q8Matmul(new VectorMatmul());
        for (int[] shape : new int[][] {{64, 100}, {1, 896}, {63, 64}}) {
            WeightMatrix w = TestWeights.random(DType.BF16, shape[0], shape[1], shape[1], false);
            assertFalse(Q8Matmul.quantizes(w), Arrays.toString(shape));
            float[] x = TestWeights.randomInput(3, shape[1], 9);
            float[] got = new float[3 * shape[0]];
            float[] want = new float[3 * shape[0]];
            q8.multiply(x, 3, w, got);
            new VectorMatmul().multiply(x, 3, w, want);
            assertSameBits(want, got, Arrays.toString(shape));
        }
        assertEquals(0, q8.quantizedBytes());
    }

    @Test
    void prepareQuantizesOnceAndReleaseFrees() {
        Q8Matmul q8 = new Q8Matmul(new VectorMatmul());
        WeightMatrix big = TestWeights.random(DType.BF16, 128, 256, 1, false);
        WeightMatrix head = TestWeights.random(DType.BF16, 2, 256, 2, false);
        q8.prepare(List.of(head, big));
        assertEquals(128L * 256 + 128L * (256 / 32) * 4, q8.quantizedBytes());
        float[] x = TestWeights.randomInput(2, 256, 3);
        float[] before = new float[2 * 128];
        q8.multiply(x, 2, big, before);
        q8.release(big);
        assertEquals(0, q8.quantizedBytes());
        float[] after = new float[2 * 128];
        q8.multiply(x, 2, big, after); // quantized again on first use: same bits
        assertSameBits(before, after, "after release");
    }

    @Test
    void aNonFiniteWeightIsAClearError() {
        WeightMatrix w = TestWeights.of(DType.F32, 64, 64, (j, c) -> j == 3 && c == 40 ? Float.NaN : 0.5f, false);
        BadInputException e = assertThrows(BadInputException.class, () -> Q8Weight.quantize(w));
        assertTrue(e.getMessage().contains("row 3, column 40 holds NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("--matmul"), e.getMessage());
    }

    @Test
    void selectedByName() {
        assertEquals("q8_0", MatmulBackends.select("q8_0").name());
        assertEquals("q8_0", MatmulBackends.select("Q8").name());
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + " [" + i + "]: got " + got[i] + " want " + want[i]);
            }
        }
    }
}
