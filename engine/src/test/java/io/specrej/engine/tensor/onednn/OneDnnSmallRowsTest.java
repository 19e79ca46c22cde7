package io.specrej.engine.tensor.onednn;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.specrej.engine.tensor.DType;
import io.specrej.engine.tensor.OneDnnAvailability;
import io.specrej.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The safety net under small batches: a kernel for fewer than 16 rows that reduces in another order than the 16-row
 * kernel must never leak its bits. Asked to pad small batches to multiples of 1 (single-row kernels, which reduce
 * differently from 2-row ones on this machine's oneDNN for the 4864-wide down projection), the backend must still
 * give every row the bits it gets inside any batch.
 */
class OneDnnSmallRowsTest {
    @Test
    void aSmallRowKernelThatDisagreesIsReplacedByTheSixteenRowResult() {
        OneDnnMatmul onednn = OneDnnAvailability.requireOneDnn().withSmallRowQuantum(1);
        SplittableRandom random = new SplittableRandom(7);
        for (int[] shape : new int[][] {{896, 4864}, {4864, 896}, {896, 896}}) {
            int n = shape[0];
            int k = shape[1];
            WeightMatrix w = randomBf16(n, k, random);
            int rows = 40;
            float[] x = new float[rows * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            float[] batch = new float[rows * n];
            onednn.multiply(x, rows, w, batch);
            for (int m : new int[] {1, 2, 3, 7, 15}) {
                float[] small = new float[m * n];
                // Twice: the first call of a row count is checked, the second runs whatever the check decided.
                for (int call = 0; call < 2; call++) {
                    onednn.multiply(Arrays.copyOfRange(x, 0, m * k), m, w, small);
                    for (int i = 0; i < m * n; i++) {
                        if (Float.floatToRawIntBits(small[i]) != Float.floatToRawIntBits(batch[i])) {
                            fail(n + " x " + k + ", " + m + " rows, call " + call + ": row " + i / n + " col " + i % n
                                    + " is " + small[i] + ", in a batch of " + rows + " " + batch[i]);
                        }
                    }
                }
            }
        }
        // The bit checks above are the assertion; this says whether the replacement was exercised here at all.
        assumeTrue(onednn.shapesPaddedToSixteen() > 0,
                "every small-row kernel agreed with the 16-row one on this machine: the replacement was not needed");
    }

    private static WeightMatrix randomBf16(int n, int k, SplittableRandom random) {
        MemorySegment data = Arena.ofAuto().allocate((long) n * k * 2, 64);
        for (long i = 0; i < (long) n * k; i++) {
            float v = (float) (random.nextGaussian() * 0.05);
            data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
        }
        return new WeightMatrix("test", DType.BF16, n, k, data);
    }
}
