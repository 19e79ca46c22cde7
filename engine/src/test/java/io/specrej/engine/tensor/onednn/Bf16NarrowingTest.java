package io.specrej.engine.tensor.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.specrej.engine.tensor.Bf16;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Bf16NarrowingTest {
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void vectorNarrowingIsBitIdenticalToTheScalarRounding() {
        float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.intBitsToFloat(0x7F800001),
            Float.intBitsToFloat(0xFFC00001), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.MIN_VALUE, Float.MIN_NORMAL, Float.intBitsToFloat(0x3F808000),
            Float.intBitsToFloat(0x3F818000), Float.intBitsToFloat(0x3F80FFFF), Float.intBitsToFloat(0x7F7FFFFF)};
        SplittableRandom rnd = new SplittableRandom(11);
        for (int length : new int[] {0, 1, 7, 16, 17, 33, 1000}) {
            float[] src = new float[length + 3];
            for (int i = 0; i < src.length; i++) {
                src[i] = i < special.length && length > 16 ? special[i]
                        : Float.intBitsToFloat(rnd.nextInt());
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dst = arena.allocate(2L * length + 6);
                Bf16Narrowing.narrow(src, 3, length, dst, 6);
                for (int i = 0; i < length; i++) {
                    assertEquals(Bf16.fromFloat(src[3 + i]), dst.get(LE, 6 + 2L * i),
                            "length " + length + " index " + i + " value bits "
                                    + Integer.toHexString(Float.floatToRawIntBits(src[3 + i])));
                }
            }
        }
    }
}
