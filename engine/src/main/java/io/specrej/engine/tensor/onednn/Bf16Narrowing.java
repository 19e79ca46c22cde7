package io.specrej.engine.tensor.onednn;

import io.specrej.engine.tensor.Bf16;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Narrows float activations to bfloat16 in native memory, bit for bit like {@link Bf16#fromFloat} (round to
 * nearest even, every NaN to the quiet NaN), 8 or 16 at a time. oneDNN's bf16 matmul reads bf16 sources.
 */
final class Bf16Narrowing {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED.withShape(
            jdk.incubator.vector.VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    private static final int LANES = FLOATS.length();
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
            ByteOrder.LITTLE_ENDIAN);

    private Bf16Narrowing() {
    }

    /** Writes {@code count} bfloat16 values of {@code src[from..]} to {@code dst} from byte offset {@code at}. */
    static void narrow(float[] src, int from, int count, MemorySegment dst, long at) {
        int i = 0;
        int bound = count - count % LANES;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(FLOATS, src, from + i);
            IntVector bits = v.reinterpretAsInts();
            IntVector bias = bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7FFF);
            IntVector rounded = bits.add(bias).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = v.test(VectorOperators.IS_NAN).cast(rounded.species());
            rounded = rounded.blend(Bf16.NAN & 0xFFFF, nan);
            ShortVector narrow = (ShortVector) rounded.convertShape(VectorOperators.I2S, SHORTS, 0);
            narrow.intoMemorySegment(dst, at + 2L * i, ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < count; i++) {
            dst.set(SHORT_LE, at + 2L * i, Bf16.fromFloat(src[from + i]));
        }
    }
}
