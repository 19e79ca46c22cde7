package io.specrej.engine.tensor;

import io.specrej.engine.BadInputException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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
    private static final VectorSpecies<Float> SP = VectorKernels.SP;
    /** Bytes for one column's GROUP codes; at least 64 bits (the smallest byte vector), extra lanes overwritten. */
    private static final VectorSpecies<Byte> CODES =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, GROUP * 8)));
    /** Room after a group's codes for the extra lanes of the last column's store. */
    private static final int CODE_PAD = 8;

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
                float[] row = new float[w.cols()];
                float[] columns = new float[GROUP * w.cols()];
                byte[] codes = new byte[GROUP * w.cols() + CODE_PAD];
                for (int g = g0; g < g1; g++) {
                    q.quantizeGroup(w, g, row, columns, codes);
                }
            });
            return q;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Quantizes the rows of group {@code g}: the rows are first laid out column by column ({@code columns[c * GROUP +
     * lane]}, the codes' own order), so every step below is a whole vector of the group's rows: a block's maxima by
     * lanewise max over its 32 columns, then each column scaled, rounded and narrowed to bytes, written in order.
     * Same arithmetic per weight as a scalar loop ({@code scale = max / 127}, {@code t = w * (1 / scale)}, {@code
     * (int) (t + copySign(0.5, t))}).
     */
    private void quantizeGroup(WeightMatrix w, int g, float[] row, float[] columns, byte[] codes) {
        int real = Math.min(GROUP, rows - g * GROUP);
        if (real < GROUP) {
            java.util.Arrays.fill(columns, 0f); // padding rows quantize to zero codes with zero scales
        }
        for (int lane = 0; lane < real; lane++) {
            WeightRows.copyRow(w, g * GROUP + lane, row, 0);
            for (int c = 0, i = lane; c < cols; c++, i += GROUP) {
                columns[i] = row[c];
            }
        }
        int blocks = cols / BLOCK;
        FloatVector half = FloatVector.broadcast(SP, 0.5f);
        FloatVector minusHalf = FloatVector.broadcast(SP, -0.5f);
        for (int b = 0; b < blocks; b++) {
            int c0 = b * BLOCK;
            FloatVector max = FloatVector.zero(SP);
            for (int c = c0; c < c0 + BLOCK; c++) {
                max = max.max(FloatVector.fromArray(SP, columns, c * GROUP).abs()); // NaN/infinity propagate
            }
            if (!max.test(VectorOperators.IS_FINITE).allTrue()) {
                throw nonFinite(g, real, columns, c0);
            }
            FloatVector scale = max.div(127f);
            VectorMask<Float> zero = scale.eq(0f);
            FloatVector inverse = FloatVector.broadcast(SP, 1f).div(scale).blend(0f, zero);
            for (int c = c0; c < c0 + BLOCK; c++) {
                FloatVector t = FloatVector.fromArray(SP, columns, c * GROUP).mul(inverse);
                IntVector v = (IntVector) t.add(half.blend(minusHalf, t.lt(0f))).convert(VectorOperators.F2I, 0);
                v.max(-127).min(127).convertShape(VectorOperators.I2B, CODES, 0).reinterpretAsBytes()
                        .intoArray(codes, c * GROUP);
            }
            scale.intoArray(scales, (g * blocks + b) * GROUP);
        }
        MemorySegment.copy(codes, 0, quants, ValueLayout.JAVA_BYTE, (long) g * GROUP * cols, GROUP * cols);
    }

    /** The first NaN or infinity of block {@code c0} in group {@code g}, as the error a user sees. */
    private BadInputException nonFinite(int g, int real, float[] columns, int c0) {
        for (int lane = 0; lane < real; lane++) {
            for (int c = c0; c < c0 + BLOCK; c++) {
                float x = columns[c * GROUP + lane];
                if (!Float.isFinite(x)) {
                    return new BadInputException(name + ": row " + (g * GROUP + lane) + ", column " + c + " holds "
                            + x + "; Q8_0 cannot represent it (load with --matmul vector or auto instead)");
                }
            }
        }
        throw new IllegalStateException("no non-finite value in block " + c0 + " of group " + g);
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
