package io.specrej.engine.weights;

import io.specrej.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Widens little-endian F32/BF16/F16 tensor bytes to Java floats. */
final class FloatDecoding {
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FloatDecoding() {
    }

    /** Decodes the first {@code n} elements of {@code data} into a new array. */
    static float[] toFloats(MemorySegment data, DType dtype, int n) {
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32_LE, 0, out, 0, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = bf16ToFloat(data.get(U16_LE, 2L * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(data.get(U16_LE, 2L * i));
                }
            }
        }
        return out;
    }

    /** bfloat16 is the upper half of a float32, so widening is a shift (exact, NaN payloads kept). */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
