package io.specrej.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Row-wise access to a {@link WeightMatrix} of any dtype (embedding lookups, tied lm_head, references). */
public final class WeightRows {
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightRows() {
    }

    /** Element [row][col] of {@code w}, widened to float (exact for every dtype). */
    public static float get(WeightMatrix w, int row, int col) {
        long index = (long) row * w.cols() + col;
        MemorySegment d = w.data();
        return switch (w.dtype()) {
            case F32 -> d.get(F32_LE, index * 4);
            case BF16 -> Bf16.toFloat(d.get(I16_LE, index * 2));
            case F16 -> Float.float16ToFloat(d.get(I16_LE, index * 2));
        };
    }

    /** Decodes row {@code row} of {@code w} (all {@code w.cols()} elements) into {@code dst[dstOffset...]}. */
    public static void copyRow(WeightMatrix w, int row, float[] dst, int dstOffset) {
        int cols = w.cols();
        if (row < 0 || row >= w.rows()) {
            throw new IndexOutOfBoundsException(w.name() + ": row " + row + " outside [0, " + w.rows() + ")");
        }
        java.util.Objects.checkFromIndexSize(dstOffset, cols, dst.length);
        MemorySegment d = w.data();
        long base = (long) row * cols;
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(d, F32_LE, base * 4, dst, dstOffset, cols);
            case BF16 -> {
                for (int c = 0; c < cols; c++) {
                    dst[dstOffset + c] = Bf16.toFloat(d.get(I16_LE, (base + c) * 2));
                }
            }
            case F16 -> {
                for (int c = 0; c < cols; c++) {
                    dst[dstOffset + c] = Float.float16ToFloat(d.get(I16_LE, (base + c) * 2));
                }
            }
        }
    }

    /**
     * {@code sum_k x[xOffset + k] * w[row][k]}, bitwise equal to the element {@link VectorMatmul} computes for that
     * input row and weight row.
     */
    public static float dotRow(WeightMatrix w, int row, float[] x, int xOffset) {
        if (row < 0 || row >= w.rows()) {
            throw new IndexOutOfBoundsException(w.name() + ": row " + row + " outside [0, " + w.rows() + ")");
        }
        java.util.Objects.checkFromIndexSize(xOffset, w.cols(), x.length);
        return VectorMatmul.dot(w, row, x, xOffset);
    }
}
