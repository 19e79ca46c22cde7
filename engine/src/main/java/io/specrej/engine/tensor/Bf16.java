package io.specrej.engine.tensor;

/**
 * Scalar bfloat16 conversions. A bfloat16 is the upper 16 bits of an IEEE-754 binary32, so widening is exact and
 * narrowing only has to round the low 16 bits away.
 */
public final class Bf16 {
    /** The quiet NaN every NaN narrows to, as in PyTorch's {@code c10::BFloat16} ({@code 0x7FC0}). */
    public static final short NAN = (short) 0x7FC0;

    private Bf16() {
    }

    /** Widens a bfloat16 bit pattern to the float it denotes (exact). */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * Narrows a float to bfloat16 with round-to-nearest, ties to even — what PyTorch's {@code .to(torch.bfloat16)}
     * does: finite values that round past the largest bfloat16 become infinities, infinities and signed zeros are
     * kept, subnormals round like any other value (no flush to zero), and every NaN becomes the quiet NaN
     * {@link #NAN} (a NaN stays a NaN; it never rounds into an infinity).
     */
    public static short fromFloat(float value) {
        if (value != value) {
            return NAN;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** {@code fromFloat} then {@code toFloat}: the float nearest to {@code value} that bfloat16 can hold. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }
}
