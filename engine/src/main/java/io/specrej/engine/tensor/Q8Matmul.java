package io.specrej.engine.tensor;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --matmul q8_0}: the Vector API kernels on 8-bit copies of the weights ({@link Q8Weight}: blocks of 32
 * signed bytes with one float scale, 1.125 bytes per weight).
 *
 * <p>What it is for: a decode step with few sequences streams every weight from memory once, so its speed is the
 * memory bandwidth divided by the weights' bytes; Q8_0 moves 56 % of BF16's bytes. With many sequences a step is
 * bound by the multiply-add rate instead, and oneDNN's bf16 dot products ({@code --matmul auto}) win there.
 * Quantization changes the numbers (each weight is rounded to 1 of 255 levels of its block's maximum), so this is
 * opt-in; docs/PERFORMANCE.md has the accuracy measured against the unquantized model.
 *
 * <p>Which weights: every weight a model multiplies by whose rows are whole blocks and that has at least
 * {@value Q8Weight#MIN_ROWS} rows (so a classifier's score head keeps its stored dtype), quantized once before the
 * model's first forward pass ({@link #prepare}, largest first; the checkpoint's pages of a copied weight are then
 * dropped from memory as oneDNN's copies do). Everything else goes to {@link VectorMatmul}. Embedding lookups read the
 * checkpoint, so a tied lm_head is quantized for the head only.
 *
 * <p>Batch invariance holds as for {@link VectorMatmul}: one reduction order for every tile ({@link Q8Kernels}), and
 * here it does not even depend on the vector width.
 */
public final class Q8Matmul implements MatmulBackend {
    /** Per-thread outputs of a padded group (4 input rows x GROUP lanes). */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[4 * Q8Weight.GROUP]);

    private final MatmulBackend fallback;
    /** Copy-on-write, so {@link #multiply} reads it without a lock. */
    private volatile Map<WeightMatrix, Q8Weight> copies = new IdentityHashMap<>();

    public Q8Matmul(MatmulBackend fallback) {
        this.fallback = fallback;
    }

    /** Whether this backend multiplies {@code weight} in Q8_0 (else it passes it to the Vector API unchanged). */
    @Override
    public long copyBytes(WeightMatrix weight) {
        // Per 32 weights: 32 signed bytes and a float scale.
        return quantizes(weight) ? (long) weight.rows() * weight.cols() / 32 * (32 + Float.BYTES) : 0;
    }

    public static boolean quantizes(WeightMatrix weight) {
        return Q8Weight.quantizable(weight);
    }

    @Override
    public void multiply(float[] input, int rows, WeightMatrix weight, float[] output) {
        MatmulBackend.checkArguments(input, rows, weight, output);
        if (!quantizes(weight)) {
            fallback.multiply(input, rows, weight, output);
            return;
        }
        Q8Weight q = copy(weight);
        if (rows == 0) {
            return;
        }
        long work = (long) rows * weight.rows() * weight.cols();
        if (work < 32_768 || Parallel.threads() == 1) {
            computeRange(input, rows, q, output, 0, q.groups);
            return;
        }
        Parallel.forRange(q.groups, (g0, g1) -> computeRange(input, rows, q, output, g0, g1));
    }

    @Override
    public void prepare(List<WeightMatrix> weights) {
        for (WeightMatrix w : MatmulBackend.largestFirst(weights, Q8Matmul::quantizes)) {
            copy(w);
        }
    }

    @Override
    public synchronized void release(WeightMatrix weight) {
        Q8Weight q = copies.get(weight);
        if (q != null) {
            Map<WeightMatrix, Q8Weight> next = new IdentityHashMap<>(copies);
            next.remove(weight);
            copies = next;
            q.free();
        }
    }

    @Override
    public String name() {
        return "q8_0";
    }

    /** Bytes of all Q8_0 copies held now (for reports). */
    public long quantizedBytes() {
        long bytes = 0;
        for (Q8Weight q : copies.values()) {
            bytes += q.byteSize();
        }
        return bytes;
    }

    /** The weight's Q8_0 copy, made by {@link #prepare} or else on first use. */
    private Q8Weight copy(WeightMatrix weight) {
        Q8Weight q = copies.get(weight);
        if (q != null) {
            return q;
        }
        synchronized (this) {
            q = copies.get(weight);
            if (q == null) {
                q = Q8Weight.quantize(weight);
                Map<WeightMatrix, Q8Weight> next = new IdentityHashMap<>(copies);
                next.put(weight, q);
                copies = next;
                weight.dropMappedPages();
            }
            return q;
        }
    }

    /**
     * Groups {@code [g0, g1)} of weight rows for all input rows: in cache blocks of groups (~{@value
     * VectorMatmul#BLOCK_BYTES} bytes) so a block is read from memory once however many rows the batch has.
     */
    private static void computeRange(float[] a, int m, Q8Weight w, float[] out, int g0, int g1) {
        int k = w.cols;
        int n = w.rows;
        int group = Q8Weight.GROUP;
        int full = n / group; // groups whose rows are all real; group `full` (if any) is padded
        int nb = Math.max(8, VectorMatmul.BLOCK_BYTES / (k * group));
        float[] scratch = SCRATCH.get();
        for (int gb = g0; gb < g1; gb += nb) {
            int ge = Math.min(gb + nb, g1);
            int fe = Math.min(ge, full);
            boolean padded = ge > fe;
            int r = 0;
            for (; r + 4 <= m; r += 4) {
                int ai = r * k;
                int oi = r * n;
                int g = gb;
                for (; g + 3 <= fe; g += 3) {
                    Q8Kernels.tile4x3(a, ai, k, w, g, out, oi + g * group, n);
                }
                if (g + 2 <= fe) {
                    Q8Kernels.tile4x2(a, ai, k, w, g, out, oi + g * group, n);
                    g += 2;
                }
                for (; g < fe; g++) {
                    Q8Kernels.tile4x1(a, ai, k, w, g, out, oi + g * group, n);
                }
                if (padded) {
                    Q8Kernels.tile4x1(a, ai, k, w, full, scratch, 0, group);
                    copyRealRows(scratch, 4, out, r, n, full * group);
                }
            }
            for (; r < m; r++) {
                int ai = r * k;
                int oi = r * n;
                int g = gb;
                for (; g + 8 <= fe; g += 8) {
                    Q8Kernels.tile1x8(a, ai, k, w, g, out, oi + g * group, n);
                }
                for (; g < fe; g++) {
                    Q8Kernels.tile1x1(a, ai, k, w, g, out, oi + g * group, n);
                }
                if (padded) {
                    Q8Kernels.tile1x1(a, ai, k, w, full, scratch, 0, group);
                    copyRealRows(scratch, 1, out, r, n, full * group);
                }
            }
        }
    }

    /** Copies the outputs of the padded group's real rows ({@code [j0, n)}) for {@code count} input rows from r. */
    private static void copyRealRows(float[] scratch, int count, float[] out, int r, int n, int j0) {
        int group = Q8Weight.GROUP;
        for (int i = 0; i < count; i++) {
            System.arraycopy(scratch, i * group, out, (r + i) * n + j0, n - j0);
        }
    }
}
