package io.specrej.engine.tensor;

import io.specrej.engine.BadInputException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix quantized to Q8_0 blocks, in memory of its own: each run of {@value #BLOCK} consecutive input
 * features of a row is stored as {@value #BLOCK} signed bytes {@code q} and one float {@code scale}, and stands for the
 * weights {@code (float) q * scale} (llama.cpp's Q8_0, with an F32 instead of an F16 scale). 1.125 bytes per weight:
 * 56 % of BF16, 28 % of F32.
 *
 * <p>Layout: the rows are taken in groups of {@link #GROUP} (the vector width in floats), the last group padded with
 * zero rows, and a group's bytes are interleaved column by column: byte {@code (group * cols + k) * GROUP + lane} is
 * row {@code group * GROUP + lane}, column k. So one vector load at column k brings that column of GROUP rows, and a
 * kernel accumulates GROUP outputs lane by lane with no sum across lanes ({@link Q8Kernels}). The scales are
 * interleaved the same way, one float per row and block: {@code scales[(group * blocks + b) * GROUP + lane]}. The
 * bytes live in native memory ({@code quants}, with {@value #PAD} bytes of padding so a 64-bit load of the last 4
 * bytes stays inside), the scales in a heap array.
 *
 * <p>Quantization of a block, as llama.cpp's {@code quantize_row_q8_0}: {@code scale = max|w| / 127},
 * {@code q = round(w * (1 / scale))} (half away from zero, within [-127, 127]; all zero for an all-zero block).
 */
final class Q8Weight {
    /** Weights per block (one scale each). */
    static final int BLOCK = 32;
    /** Rows per interleaved group: one vector of floats. */
    static final int GROUP = VectorKernels.LANES;
    /** Rows below this stay unquantized: classifier heads (num_labels rows) are tiny and decide the reward. */
    static final int MIN_ROWS = 64;
    private static final int PAD = 16;

    final String name;
    final int rows;
    final int cols;
    /** Groups of {@link #GROUP} rows, the last one padded. */
    final int groups;
    final MemorySegment quants;
    final float[] scales;
    private final Arena arena;

    private Q8Weight(String name, int rows, int cols, Arena arena) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.arena = arena;
        this.groups = (rows + GROUP - 1) / GROUP;
        this.quants = arena.allocate((long) groups * GROUP * cols + PAD, 64);
        this.scales = new float[Math.multiplyExact(groups * GROUP, cols / BLOCK)];
    }

    /** Whether {@link Q8Matmul} quantizes this weight (whole blocks per row, and not a tiny head). */
    static boolean quantizable(WeightMatrix w) {
        return w.cols() % BLOCK == 0 && w.cols() > 0 && w.rows() >= MIN_ROWS;
    }

    /**
     * Quantizes {@code w} (any dtype), groups of rows split across {@link Parallel}'s threads.
     *
     * @throws BadInputException if the weight holds a NaN or an infinity (Q8_0 has no code for it)
     */
    static Q8Weight quantize(WeightMatrix w) {
        if (!quantizable(w)) {
            throw new IllegalArgumentException(w.name() + ": [" + w.rows() + ", " + w.cols()
                    + "] cannot be quantized to Q8_0 (needs a multiple of " + BLOCK + " columns and >= " + MIN_ROWS
                    + " rows)");
        }
        Arena arena = Arena.ofShared();
        try {
            Q8Weight q = new Q8Weight(w.name(), w.rows(), w.cols(), arena);
            Parallel.forRange(q.groups, (g0, g1) -> {
                float[][] rowsOfGroup = new float[GROUP][w.cols()];
                byte[] codes = new byte[GROUP * w.cols()];
                for (int g = g0; g < g1; g++) {
                    q.quantizeGroup(w, g, rowsOfGroup, codes);
                }
            });
            return q;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Quantizes the rows of group {@code g}, writing its interleaved codes in one copy. */
    private void quantizeGroup(WeightMatrix w, int g, float[][] rowsOfGroup, byte[] codes) {
        int real = Math.min(GROUP, rows - g * GROUP);
        java.util.Arrays.fill(codes, (byte) 0); // padding rows stay zero
        for (int lane = 0; lane < real; lane++) {
            int r = g * GROUP + lane;
            float[] row = rowsOfGroup[lane];
            WeightRows.copyRow(w, r, row, 0);
            quantizeRow(r, row, codes, lane);
        }
        MemorySegment.copy(codes, 0, quants, ValueLayout.JAVA_BYTE, (long) g * GROUP * cols, codes.length);
    }

    /**
     * Row r's codes into {@code codes[k * GROUP + lane]} and its scales into {@link #scales}. Written as plain loops
     * over the block (no per-element checks or calls) so C2 vectorizes them: a row streams at about 1 G weights/s.
     */
    private void quantizeRow(int r, float[] row, byte[] codes, int lane) {
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            int c0 = b * BLOCK;
            float max = 0f;
            for (int c = c0; c < c0 + BLOCK; c++) {
                max = Math.max(max, Math.abs(row[c])); // NaN and infinities propagate into max
            }
            if (!Float.isFinite(max)) {
                throw nonFinite(r, row, c0);
            }
            float scale = max / 127f;
            float inverse = scale == 0f ? 0f : 1f / scale;
            for (int c = c0; c < c0 + BLOCK; c++) {
                float t = row[c] * inverse;
                int v = (int) (t + Math.copySign(0.5f, t)); // half away from zero, as llama.cpp's roundf
                codes[c * GROUP + lane] = (byte) Math.max(-127, Math.min(127, v));
            }
            scales[scaleIndex(r, b)] = scale;
        }
    }

    private BadInputException nonFinite(int r, float[] row, int c0) {
        int c = c0;
        while (Float.isFinite(row[c])) {
            c++;
        }
        return new BadInputException(name + ": row " + r + ", column " + c + " holds " + row[c]
                + "; Q8_0 cannot represent it (load with --matmul vector or auto instead)");
    }

    private long byteOffset(int row, int col) {
        return ((long) (row / GROUP) * cols + col) * GROUP + row % GROUP;
    }

    private int scaleIndex(int row, int block) {
        return ((row / GROUP) * (cols / BLOCK) + block) * GROUP + row % GROUP;
    }

    /** The code (-127..127) of weight [row][col]. */
    int code(int row, int col) {
        return quants.get(ValueLayout.JAVA_BYTE, byteOffset(row, col));
    }

    /** The weight [row][col] the block stands for: {@code code * scale}. */
    float get(int row, int col) {
        return (float) code(row, col) * scale(row, col / BLOCK);
    }

    float scale(int row, int block) {
        return scales[scaleIndex(row, block)];
    }

    /** Bytes of quantized data (codes and scales of the real rows, without padding). */
    long byteSize() {
        return (long) rows * cols + (long) rows * (cols / BLOCK) * 4;
    }

    /** Frees the native memory; the weight must not be used afterwards. */
    void free() {
        arena.close();
    }
}
