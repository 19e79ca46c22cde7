package io.specrej.engine.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.LongStream;

/**
 * Copies a row-major matrix into its transpose, element bytes unchanged (no widening).
 *
 * <p>Works in square tiles so that both the rows read and the rows written stay in cache; a naive loop writes one
 * element per cache line and is several times slower on the 100M-element matrices of real checkpoints. Bands of
 * tiles run in parallel for large matrices; each destination byte is written by exactly one task.
 */
final class Transpose {
    private static final int TILE = 64;
    private static final long PARALLEL_THRESHOLD = 1L << 20;

    private Transpose() {
    }

    /** {@code dst[c][r] = src[r][c]} for a {@code src} of {@code rows x cols} elements of {@code elementBytes}. */
    static void transpose(MemorySegment src, MemorySegment dst, long rows, long cols, int elementBytes) {
        long bands = (rows + TILE - 1) / TILE;
        LongStream range = LongStream.range(0, bands);
        if (rows * cols >= PARALLEL_THRESHOLD) {
            range = range.parallel();
        }
        range.forEach(band -> {
            long r0 = band * TILE;
            long r1 = Math.min(rows, r0 + TILE);
            for (long c0 = 0; c0 < cols; c0 += TILE) {
                long c1 = Math.min(cols, c0 + TILE);
                switch (elementBytes) {
                    case 2 -> tile16(src, dst, rows, cols, r0, r1, c0, c1);
                    case 4 -> tile32(src, dst, rows, cols, r0, r1, c0, c1);
                    default -> tileBytes(src, dst, rows, cols, r0, r1, c0, c1, elementBytes);
                }
            }
        });
    }

    // Native order on both sides: the bits move unchanged whatever the file's byte order.
    private static void tile16(MemorySegment src, MemorySegment dst, long rows, long cols,
            long r0, long r1, long c0, long c1) {
        ValueLayout.OfShort l = ValueLayout.JAVA_SHORT_UNALIGNED;
        for (long r = r0; r < r1; r++) {
            long srcRow = r * cols;
            for (long c = c0; c < c1; c++) {
                dst.setAtIndex(l, c * rows + r, src.getAtIndex(l, srcRow + c));
            }
        }
    }

    private static void tile32(MemorySegment src, MemorySegment dst, long rows, long cols,
            long r0, long r1, long c0, long c1) {
        ValueLayout.OfInt l = ValueLayout.JAVA_INT_UNALIGNED;
        for (long r = r0; r < r1; r++) {
            long srcRow = r * cols;
            for (long c = c0; c < c1; c++) {
                dst.setAtIndex(l, c * rows + r, src.getAtIndex(l, srcRow + c));
            }
        }
    }

    private static void tileBytes(MemorySegment src, MemorySegment dst, long rows, long cols,
            long r0, long r1, long c0, long c1, int size) {
        for (long r = r0; r < r1; r++) {
            for (long c = c0; c < c1; c++) {
                MemorySegment.copy(src, (r * cols + c) * size, dst, (c * rows + r) * size, size);
            }
        }
    }
}
