package io.specrej.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The pure-Java backend: Vector API register tiles, parallelised over weight rows with {@link Parallel}.
 *
 * <p>Design. Each output {@code (r, j)} is a dot product of input row r with weight row j (both contiguous in k),
 * accumulated in one vector register exactly as {@link VectorKernels} documents, so the value is the same whatever
 * tile, batch or thread computes it (the {@link MatmulBackend} contract; {@code WeightRows.dotRow} gives the same
 * bits too).
 * <ul>
 *   <li>Threads: the weight rows (= output columns) are split into contiguous ranges of whole 4-row groups, one
 *       per thread, so every thread reads a disjoint part of the weight once from memory.</li>
 *   <li>Cache blocking: a thread walks its range in blocks of weight rows sized to stay in L2 (~{@value
 *       #BLOCK_BYTES} bytes); for each block it runs over all input rows, 4 at a time, so a block is read from
 *       memory once per call however many rows the batch has, and the 4 input rows stay in L1/L2.</li>
 *   <li>Register tile: 4 input rows x 4 weight rows = 16 accumulators; per chunk of {@code LANES} k it loads 4
 *       weight vectors and 4 input vectors for 16 FMAs. Edges use 4x1, 1x4 and 1x1 tiles with the same
 *       per-element sequence.</li>
 *   <li>BF16 weights are widened in registers (shorts, zero-extend to ints, shift left 16), so they move half the
 *       bytes of F32. F16 weights (rare) are decoded block by block into a per-thread F32 scratch, then run
 *       through the F32 tiles; the products are identical because the decoding is exact.</li>
 * </ul>
 * The weight segment is only read, never written; it may be unaligned.
 *
 * <p>JIT note: the tiles are large Vector API methods. HotSpot's C1 profiled tier bails out of them ("out of virtual
 * registers"), after which the tiered policy can leave them for seconds in C1 tier 2, where the Vector API is not
 * intrinsified (100-1000x slower). Run with {@code -XX:-TieredCompilation} (interpreter, then C2) to reach full
 * speed within the first second.
 */
public final class VectorMatmul implements MatmulBackend {
    /** Target bytes of weight per cache block (Zen 5: 1 MiB L2 per core; leave room for the input rows). */
    static final int BLOCK_BYTES = 256 * 1024;

    /** Per-thread scratch for decoded F16 weight blocks (native, so the F32 tiles read it as a segment). */
    private static final ThreadLocal<MemorySegment[]> F16_SCRATCH = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    @Override
    public void multiply(float[] input, int rows, WeightMatrix weight, float[] output) {
        MatmulBackend.checkArguments(input, rows, weight, output);
        int n = weight.rows();
        if (rows == 0 || n == 0) {
            return;
        }
        int groups = (n + 3) >>> 2;
        // Small products are not worth waking the workers for.
        long work = (long) rows * n * weight.cols();
        if (work < 32_768 || Parallel.threads() == 1) {
            computeRange(input, rows, weight, output, 0, n);
            return;
        }
        Parallel.forRange(groups, (g0, g1) ->
                computeRange(input, rows, weight, output, g0 << 2, Math.min(g1 << 2, n)));
    }

    @Override
    public String name() {
        return "vector-api";
    }

    /** Rows of a weight per cache block: a multiple of 4, at least 4. */
    static int blockRows(int cols, int elementBytes) {
        long perRow = Math.max(1L, (long) cols * elementBytes);
        long rows = BLOCK_BYTES / perRow;
        return (int) Math.max(4, Math.min(1 << 20, rows & ~3L));
    }

    /** Computes output columns (weight rows) {@code [j0, j1)} for all input rows. */
    static void computeRange(float[] a, int m, WeightMatrix w, float[] out, int j0, int j1) {
        int k = w.cols();
        int n = w.rows();
        DType dtype = w.dtype();
        int nb = blockRows(k, dtype == DType.BF16 ? 2 : 4);
        MemorySegment data = w.data();
        for (int jb = j0; jb < j1; jb += nb) {
            int je = Math.min(jb + nb, j1);
            switch (dtype) {
                case F32 -> f32Block(a, m, k, data, (long) jb * k * 4, jb, je - jb, out, n);
                case BF16 -> bf16Block(a, m, k, data, (long) jb * k * 2, jb, je - jb, out, n);
                case F16 -> {
                    MemorySegment scratch = decodeF16(data, jb, je - jb, k);
                    f32Block(a, m, k, scratch, 0, jb, je - jb, out, n);
                }
            }
        }
    }

    /** One output element, the same bits {@link #multiply} produces for it. */
    static float dot(WeightMatrix w, int row, float[] x, int xOffset) {
        int k = w.cols();
        float[] out = new float[1];
        switch (w.dtype()) {
            case F32 -> VectorKernels.f32Tile1x1(x, xOffset, k, w.data(), (long) row * k * 4, out, 0, 1);
            case BF16 -> VectorKernels.bf16Tile1x1(x, xOffset, k, w.data(), (long) row * k * 2, out, 0, 1);
            case F16 -> VectorKernels.f32Tile1x1(x, xOffset, k, decodeF16(w.data(), row, 1, k), 0, out, 0, 1);
        }
        return out[0];
    }

    /** Weight rows {@code [j0, j0+nj)} (at byte {@code wo} of {@code w}) times all {@code m} input rows. */
    private static void f32Block(float[] a, int m, int k, MemorySegment w, long wo, int j0, int nj, float[] out,
            int n) {
        long rowBytes = (long) k * 4;
        int nj4 = nj & ~3;
        int r = 0;
        for (; r + 4 <= m; r += 4) {
            int ai = r * k;
            int oi = r * n + j0;
            int jj = 0;
            for (; jj < nj4; jj += 4) {
                VectorKernels.f32Tile4x4(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
            for (; jj < nj; jj++) {
                VectorKernels.f32Tile4x1(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
        }
        for (; r < m; r++) {
            int ai = r * k;
            int oi = r * n + j0;
            int jj = 0;
            for (; jj < nj4; jj += 4) {
                VectorKernels.f32Tile1x4(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
            for (; jj < nj; jj++) {
                VectorKernels.f32Tile1x1(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
        }
    }

    private static void bf16Block(float[] a, int m, int k, MemorySegment w, long wo, int j0, int nj, float[] out,
            int n) {
        long rowBytes = (long) k * 2;
        int nj4 = nj & ~3;
        int r = 0;
        for (; r + 4 <= m; r += 4) {
            int ai = r * k;
            int oi = r * n + j0;
            int jj = 0;
            for (; jj < nj4; jj += 4) {
                VectorKernels.bf16Tile4x4(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
            for (; jj < nj; jj++) {
                VectorKernels.bf16Tile4x1(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
        }
        for (; r < m; r++) {
            int ai = r * k;
            int oi = r * n + j0;
            int jj = 0;
            for (; jj < nj4; jj += 4) {
                VectorKernels.bf16Tile1x4(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
            for (; jj < nj; jj++) {
                VectorKernels.bf16Tile1x1(a, ai, k, w, wo + jj * rowBytes, out, oi + jj, n);
            }
        }
    }

    /** Decodes F16 weight rows {@code [j0, j0+nj)} into this thread's scratch, as little-endian floats from 0. */
    private static MemorySegment decodeF16(MemorySegment w, int j0, int nj, int k) {
        long count = (long) nj * k;
        MemorySegment[] holder = F16_SCRATCH.get();
        MemorySegment s = holder[0];
        if (s == null || s.byteSize() < count * 4) {
            s = Arena.ofAuto().allocate(Math.max(count * 4, 64), 64);
            holder[0] = s;
        }
        long src = (long) j0 * k * 2;
        for (long i = 0; i < count; i++) {
            s.set(WeightRows.F32_LE, i * 4, Float.float16ToFloat(w.get(WeightRows.I16_LE, src + i * 2)));
        }
        return s;
    }

}
