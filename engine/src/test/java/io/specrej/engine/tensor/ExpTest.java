package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpTest {

    @Test
    void isWithinTwoUlpOfMathExpOverTheSoftmaxRange() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 1_000_000; i++) {
            float x = (float) (rnd.nextDouble() * 87 - 86.5 + (i % 2 == 0 ? 0 : 87)); // [-86.5, 87.5)
            double want = Math.exp(x);
            float got = Exp.exp(x);
            double ulp = Math.ulp((float) want);
            if (!(Math.abs(got - want) <= 2 * ulp)) {
                fail("exp(" + x + ") = " + got + ", Math.exp " + want + " (" + Math.abs(got - want) / ulp + " ulp)");
            }
        }
        assertEquals(1f, Exp.exp(0f));
        assertEquals(1f, Exp.exp(-0f));
    }

    @Test
    void clampsInsteadOfOverflowingOrGoingDenormal() {
        assertTrue(Exp.exp(-1000f) > 0f && Exp.exp(-1000f) < 2e-38f);
        assertTrue(Exp.exp(Float.NEGATIVE_INFINITY) < 2e-38f);
        assertTrue(Float.isFinite(Exp.exp(1000f)));
        assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
    }

    /** Vector lanes and the scalar tail give the same bits, wherever an element falls. */
    @Test
    void everyElementGetsTheSameBitsWhateverItsPositionAndTheSumIsTheirSum() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] values = new float[301];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextDouble() * 40 - 30);
        }
        for (int offset : new int[] {0, 1, 7}) {
            for (int count : new int[] {0, 1, 15, 16, 17, 64, 200, 294}) {
                float[] a = new float[offset + count];
                System.arraycopy(values, 0, a, offset, count);
                float sum = Exp.expShiftedInPlace(a, offset, count, 2.5f);
                double exactSum = 0;
                for (int i = 0; i < count; i++) {
                    float want = Exp.exp(values[i] - 2.5f);
                    if (Float.floatToRawIntBits(a[offset + i]) != Float.floatToRawIntBits(want)) {
                        fail("count " + count + " offset " + offset + " index " + i + ": " + a[offset + i]
                                + " vs scalar " + want);
                    }
                    exactSum += want;
                }
                assertEquals(exactSum, sum, 1e-5 * Math.max(1, exactSum), "count " + count);
            }
        }
    }
}
