package io.specrej.engine.weights;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.DType;
import io.specrej.engine.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Finds NaN and infinite values in a weight matrix. One NaN in an output head makes every logit or reward NaN, and
 * then argmax picks token 0 and "best" is trajectory 0 with exit 0: a silently wrong run. Checking the heads at load
 * costs one pass over them (a fraction of a second per GB) and turns that into one line naming the tensor.
 */
public final class FiniteWeights {
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FiniteWeights() {
    }

    /**
     * Returns {@code m} after checking it.
     *
     * @throws BadInputException naming {@code directory}, the tensor and the first bad element's row and column
     */
    public static WeightMatrix require(WeightMatrix m, Path directory) {
        long first = firstNonFinite(m.data(), m.dtype(), (long) m.rows() * m.cols());
        if (first >= 0) {
            throw new BadInputException(directory + ": tensor " + m.name() + " holds NaN or infinite values (first at "
                    + "row " + first / m.cols() + ", column " + first % m.cols() + "); the checkpoint is corrupt or "
                    + "was saved after a diverged training step");
        }
        return m;
    }

    /**
     * Index of the first element whose exponent bits are all ones (NaN or ±inf), or -1. One thread: at load, before
     * any forward pass, and a call through Parallel here would change the JIT's profile of the kernels' call sites.
     */
    static long firstNonFinite(MemorySegment data, DType dtype, long elements) {
        return scan(data, dtype, 0, elements);
    }

    private static long scan(MemorySegment data, DType dtype, long from, long to) {
        if (dtype == DType.F32) {
            for (long i = from; i < to; i++) {
                if ((data.getAtIndex(U32, i) & 0x7F800000) == 0x7F800000) {
                    return i;
                }
            }
            return -1;
        }
        int exponent = dtype == DType.BF16 ? 0x7F80 : 0x7C00; // F16: 5 exponent bits
        long i = from;
        // Four 16-bit values per read; a lane whose exponent is all ones becomes zero after the xor.
        long mask = exponent * 0x0001000100010001L;
        for (; i + 4 <= to; i += 4) {
            long v = (data.get(U64, i * 2) & mask) ^ mask;
            if (((v - 0x0001000100010001L) & ~v & 0x8000800080008000L) != 0) {
                break; // a lane is bad: find which one below
            }
        }
        for (; i < to; i++) {
            if ((data.getAtIndex(U16, i) & exponent) == exponent) {
                return i;
            }
        }
        return -1;
    }
}
