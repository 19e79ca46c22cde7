package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Bf16Test {
    private static short bf(float f) {
        return Bf16.fromFloat(f);
    }

    private static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    private static void assertBits(int expected, short actual, String what) {
        assertEquals(expected & 0xFFFF, actual & 0xFFFF,
                what + ": want 0x" + Integer.toHexString(expected & 0xFFFF) + " got 0x"
                        + Integer.toHexString(actual & 0xFFFF));
    }

    @Test
    void exactValuesTruncate() {
        assertBits(0x3F80, bf(1.0f), "1.0");
        assertBits(0xBF80, bf(-1.0f), "-1.0");
        assertBits(0x0000, bf(0.0f), "+0");
        assertBits(0x8000, bf(-0.0f), "-0");
        assertBits(0x4049, bf(f(0x40490000)), "exact 3.140625");
    }

    @Test
    void roundsToNearestTiesToEven() {
        // halfway between 0x3F80 and 0x3F81: lower is even -> down
        assertBits(0x3F80, bf(f(0x3F808000)), "tie, even below");
        // halfway between 0x3F81 and 0x3F82: upper is even -> up
        assertBits(0x3F82, bf(f(0x3F818000)), "tie, even above");
        assertBits(0x3F81, bf(f(0x3F808001)), "just above half");
        assertBits(0x3F80, bf(f(0x3F807FFF)), "just below half");
        assertBits(0xBF82, bf(f(0xBF818000)), "negative tie");
        // rounding carries into the exponent: 0x3FFF8000 -> 0x4000 (1.9921875 ties up to 2, even)
        assertBits(0x4000, bf(f(0x3FFF8000)), "carry into exponent");
        // largest finite float rounds to infinity (as PyTorch does)
        assertBits(0x7F80, bf(Float.MAX_VALUE), "max float");
        assertBits(0x7F7F, bf(f(0x7F7F7FFF)), "just below the overflow tie");
        assertBits(0x7F80, bf(f(0x7F7F8000)), "overflow tie goes to even = inf");
    }

    @Test
    void infinitiesAndNaN() {
        assertBits(0x7F80, bf(Float.POSITIVE_INFINITY), "+inf");
        assertBits(0xFF80, bf(Float.NEGATIVE_INFINITY), "-inf");
        assertBits(0x7FC0, bf(Float.NaN), "canonical NaN");
        // a NaN whose payload is only in the low bits would become infinity if rounded naively
        assertBits(0x7FC0, bf(f(0x7F800001)), "signaling NaN, low payload");
        assertBits(0x7FC0, bf(f(0x7FFFFFFF)), "NaN, all ones (naive rounding overflows to -0)");
        assertBits(0x7FC0, bf(f(0xFFC00000)), "negative NaN");
        assertTrue(Float.isNaN(Bf16.toFloat(bf(f(0x7F800001)))));
        assertEquals(Float.POSITIVE_INFINITY, Bf16.toFloat((short) 0x7F80));
        assertEquals(Float.NEGATIVE_INFINITY, Bf16.toFloat((short) 0xFF80));
    }

    @Test
    void subnormals() {
        assertBits(0x0000, bf(Float.MIN_VALUE), "smallest float subnormal rounds to 0");
        assertBits(0x0000, bf(f(0x00008000)), "tie at zero goes to even 0");
        assertBits(0x0001, bf(f(0x00008001)), "above the tie");
        assertBits(0x0002, bf(f(0x00018000)), "tie goes up to even");
        assertBits(0x8001, bf(f(0x80010000)), "negative exact subnormal");
        assertBits(0x0080, bf(f(0x007F8000)), "rounds up into the smallest normal");
        // smallest bf16 subnormal is 2^-133
        assertEquals(Math.scalb(1.0f, -133), Bf16.toFloat((short) 0x0001));
        assertEquals(Math.scalb(1.0f, -126), Bf16.toFloat((short) 0x0080));
    }

    @Test
    void toFloatIsExactWideningForAllPatterns() {
        for (int b = 0; b < 0x10000; b++) {
            float v = Bf16.toFloat((short) b);
            assertEquals(b << 16, Float.floatToRawIntBits(v));
            if (!Float.isNaN(v)) {
                assertBits(b, bf(v), "round trip");
            }
        }
    }

    /** Independent reference: the nearer of the two bf16 neighbours, compared in double (exact), ties to even. */
    @Test
    void randomValuesRoundToNearest() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            int bits = rnd.nextInt();
            if (i % 4 == 0) {
                bits = (bits & 0xFFFF0000) | 0x8000; // force ties
            }
            float v = f(bits);
            if (Float.isNaN(v) || Float.isInfinite(v)) {
                continue;
            }
            int lo = bits & 0xFFFF0000; // toward zero
            double dv = v;
            double dlo = f(lo);
            double dhi = (lo & 0x7FFFFFFF) == 0x7F7F0000
                    ? Math.copySign(Math.scalb(1.0, 128), dv) // the value after max bf16 finite, for rounding
                    : f(lo + 0x10000);
            double dLo = Math.abs(dv - dlo);
            double dHi = Math.abs(dhi - dv);
            int want;
            if (dLo < dHi) {
                want = lo >>> 16;
            } else if (dHi < dLo) {
                want = (lo + 0x10000) >>> 16;
            } else {
                want = ((lo >>> 16) & 1) == 0 ? lo >>> 16 : (lo + 0x10000) >>> 16;
            }
            assertBits(want, bf(v), "0x" + Integer.toHexString(bits));
        }
    }
}
