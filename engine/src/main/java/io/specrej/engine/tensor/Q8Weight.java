package io.specrej.engine.tensor;

import io.specrej.engine.BadInputException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix quantized to Q8_0 blocks, in native memory of its own: each run of {@value #BLOCK} consecutive
 * input features of a row is stored as {@value #BLOCK} signed bytes {@code q} and one float {@code scale}, and stands
 * for the weights {@code (float) q * scale} (llama.cpp's Q8_0, with an F32 instead of an F16 scale).
 *
 * <p>Layout (chosen so a kernel reads each row's bytes contiguously): {@code quants} holds the bytes row by row,
 * {@code rows * cols} of them (plus {@value #PAD} bytes of padding, so a 64-bit vector load of the last 4 bytes stays
 * inside); {@code scales} holds {@code rows * cols / BLOCK} little-endian floats, row by row. 1.125 bytes per weight:
 * 56 % of BF16, 28 % of F32.
 *
 * <p>Quantization of a block: {@code scale = max|w| / 127}, {@code q = round(w / scale)} (half up, clamped to
 * [-127, 127]; all zero for an all-zero block). The dequantized value {@code (float) q * scale} is what every kernel
 * multiplies by, so a Q8_0 product has the same bits as the F32 product with the dequantized matrix.
 */
final class Q8Weight {
    /** Weights per block (one scale each). */
    static final int BLOCK = 32;
    /** Rows below this stay unquantized: classifier heads (num_labels rows) are tiny and decide the reward. */
    static final int MIN_ROWS = 64;
    private static final int PAD = 16;
    private static final ValueLayout.OfFloat F32 = WeightRows.F32_LE;

    final String name;
    final int rows;
    final int cols;
    final MemorySegment quants;
    final MemorySegment scales;
    private final Arena arena;

    private Q8Weight(String name, int rows, int cols, Arena arena) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.arena = arena;
        this.quants = arena.allocate((long) rows * cols + PAD, 64);
        this.scales = arena.allocate((long) rows * (cols / BLOCK) * 4, 64);
    }

    /** Whether {@link Q8Matmul} quantizes this weight (whole blocks per row, and not a tiny head). */
    static boolean quantizable(WeightMatrix w) {
        return w.cols() % BLOCK == 0 && w.cols() > 0 && w.rows() >= MIN_ROWS;
    }

    /**
     * Quantizes {@code w} (any dtype), rows split across {@link Parallel}'s threads.
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
            Parallel.forRange(w.rows(), (r0, r1) -> {
                float[] row = new float[w.cols()];
                for (int r = r0; r < r1; r++) {
                    WeightRows.copyRow(w, r, row, 0);
                    q.quantizeRow(r, row);
                }
            });
            return q;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private void quantizeRow(int r, float[] row) {
        int blocks = cols / BLOCK;
        long qBase = (long) r * cols;
        for (int b = 0; b < blocks; b++) {
            int c0 = b * BLOCK;
            float max = 0f;
            for (int c = c0; c < c0 + BLOCK; c++) {
                float x = row[c];
                if (!Float.isFinite(x)) {
                    throw new BadInputException(name + ": row " + r + ", column " + c + " holds " + x
                            + "; Q8_0 cannot represent it (load with --matmul vector or auto instead)");
                }
                max = Math.max(max, Math.abs(x));
            }
            float scale = max / 127f;
            for (int c = c0; c < c0 + BLOCK; c++) {
                int v = scale == 0f ? 0 : Math.round(row[c] / scale);
                quants.set(ValueLayout.JAVA_BYTE, qBase + c, (byte) Math.max(-127, Math.min(127, v)));
            }
            scales.set(F32, ((long) r * blocks + b) * 4, scale);
        }
    }

    /** The dequantized weight [row][col], exactly the value the kernels multiply by. */
    float get(int row, int col) {
        return (float) quants.get(ValueLayout.JAVA_BYTE, (long) row * cols + col) * scale(row, col / BLOCK);
    }

    float scale(int row, int block) {
        return scales.get(F32, ((long) row * (cols / BLOCK) + block) * 4);
    }

    /** Bytes of quantized data (quants and scales, without padding). */
    long byteSize() {
        return (long) rows * cols + scales.byteSize();
    }

    /** Frees the native memory; the weight must not be used afterwards. */
    void free() {
        arena.close();
    }
}
