package io.specrej.engine.tensor.onednn;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.specrej.engine.tensor.DType;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.VectorMatmul;
import io.specrej.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Large BF16 weights (see {@link #MIN_ELEMENTS}) multiplied by oneDNN's matmul (on AVX512-BF16 / AMX CPUs
 * its kernels use the bf16 dot-product instructions, twice the multiply-adds per instruction of F32 FMAs); every
 * other weight goes to the fallback.
 *
 * <p>Numerics: like PyTorch's bf16 linear layers, the activations are rounded to bf16 (round to nearest even), the
 * products are exact and accumulate in F32. So results differ from the Vector API backend's (F32 activations) by
 * about one bf16 rounding of the inputs, and match what transformers computes for a bf16 checkpoint more closely.
 *
 * <p>Batch invariance (the {@link MatmulBackend} contract). oneDNN chooses its blocking, and sometimes a split of
 * the k-reduction over threads, from the problem shape, so a row's result could depend on how many rows are in the
 * batch. This backend therefore only ever asks oneDNN for row counts that are multiples of {@value #ROW_QUANTUM}, up
 * to {@value #MAX_ROWS} (larger batches are cut into pieces of {@value #MAX_ROWS}), or, below 16 rows, multiples of
 * {@value #SMALL_ROW_QUANTUM} (never 1: a 1-row product reduces in another order here); on the machines measured
 * (docs/PERFORMANCE.md) every such count reduces each output in the same order. Because that is a property of
 * oneDNN's heuristics and not a promise, the first call of every (shape, row count) is checked against the
 * {@value #ROW_QUANTUM}-row kernel on the same input, bit for bit. A small-row kernel that differs is replaced by the
 * 16-row result at once (that shape then pads to 16); a larger one that differs is reported once on stderr and by
 * {@link #batchInvariant()}.
 *
 * <p>Weights: before first use each weight is copied once into the blocked layout oneDNN's kernels read (chosen by
 * oneDNN for the 256-row problem and then used for every row count, so all row counts share one copy). Without
 * this, every call re-blocks the weight on the fly, which costs more than the multiply itself at 16 rows. The
 * copy is as big as the weight; the checkpoint's mapped pages are then dropped from memory ({@code unload}), so a
 * model's resident memory stays about its file size. {@link #release} frees a copy when its model closes.
 *
 * <p>Calls are serialised (oneDNN already uses every engine thread for one multiply). Activations are copied into
 * native scratch (bf16) and results out of it; for decode shapes that is a few percent of the multiply.
 */
public final class OneDnnMatmul implements MatmulBackend {
    static final int ROW_QUANTUM = 16;
    /**
     * Batches of fewer than {@link #ROW_QUANTUM} rows are padded to a multiple of this instead (so one sequence does
     * not pay for sixteen), provided the kernel for that row count gives the 16-row kernel's bits: checked on its
     * first call, and if it does not, that call returns the 16-row result and the shape pads to 16 from then on.
     * One row is never used: oneDNN reduces a 1-row product in another order (measured, docs/PERFORMANCE.md).
     */
    static final int SMALL_ROW_QUANTUM = 2;
    static final int MAX_ROWS = 256;
    /**
     * Smaller weights stay with the fallback: a oneDNN call costs tens of microseconds besides the multiply (handles,
     * an OpenMP fork and join, copies in and out), more than a 512 x 512 multiply takes, and every new (shape, row
     * count) costs a kernel generation on first use. So oneDNN takes a weight only when it has at least this many
     * elements and rows of at least {@link #MIN_COLS} (the embedded 4M-parameter models stay entirely on the Vector
     * API; Qwen2.5-0.5B's k/v projections too). The choice depends only on the weight, never on the batch, so batch
     * invariance is kept. {@code -Dspecrej.onednn.min-elements} overrides the count.
     */
    static final long MIN_ELEMENTS = Long.getLong("specrej.onednn.min-elements", 1L << 18);
    static final int MIN_COLS = 512;

    private static Object loaded;

    private final OneDnnApi api;
    private final MatmulBackend fallback;
    private final long minElements;
    private final int minCols;
    private final int smallRowQuantum;
    private final Map<Long, Shape> shapes = new HashMap<>();
    private final Map<WeightMatrix, Packed> packed = new IdentityHashMap<>();
    private final MemorySegment args = Arena.global().allocate(3 * OneDnnApi.EXEC_ARG_BYTES, 8);
    private MemorySegment src = MemorySegment.NULL;
    private MemorySegment dst = MemorySegment.NULL;
    private MemorySegment check = MemorySegment.NULL;
    private volatile boolean batchInvariant = true;

    private OneDnnMatmul(OneDnnApi api, MatmulBackend fallback, long minElements, int minCols, int smallRowQuantum) {
        this.api = api;
        this.fallback = fallback;
        this.minElements = minElements;
        this.minCols = minCols;
        this.smallRowQuantum = smallRowQuantum;
    }

    /**
     * A backend over the same oneDNN library that sends every BF16 weight to oneDNN, however small (tests run the
     * tiny fixture models through it). Its primitives and weight copies are its own.
     */
    public OneDnnMatmul forEveryWeight() {
        return new OneDnnMatmul(api, fallback, 0, 0, SMALL_ROW_QUANTUM);
    }

    /**
     * A backend like {@link #forEveryWeight} padding small batches to multiples of {@code quantum} rows (tests: with
     * 1, the 1-row kernels that disagree with the 16-row ones must be caught and replaced).
     */
    OneDnnMatmul withSmallRowQuantum(int quantum) {
        return new OneDnnMatmul(api, fallback, 0, 0, quantum);
    }

    /** Shapes whose small-row kernels gave other bits than their 16-row kernel (and now pad to 16 rows). */
    int shapesPaddedToSixteen() {
        synchronized (api) {
            int count = 0;
            for (Shape shape : shapes.values()) {
                count += shape.smallRowsDiffer ? 1 : 0;
            }
            return count;
        }
    }

    /**
     * The weights of one (k, n) shape share primitives, one per padded row count, and one blocked layout
     * ({@code packedDesc}) with the reorder that produces it from the checkpoint's [n][k] rows.
     */
    private static final class Shape {
        final int k;
        final int n;
        final MemorySegment packedDesc;
        final MemorySegment plainMemory;
        final MemorySegment reorder;
        final Kernel[] kernels = new Kernel[MAX_ROWS / ROW_QUANTUM];
        /** Kernels for fewer than 16 rows, indexed by row count. */
        final Kernel[] smallKernels = new Kernel[ROW_QUANTUM];
        /** A small-row kernel gave other bits than the 16-row kernel: every small batch pads to 16 from then on. */
        boolean smallRowsDiffer;

        Shape(int k, int n, MemorySegment packedDesc, MemorySegment plainMemory, MemorySegment reorder) {
            this.k = k;
            this.n = n;
            this.packedDesc = packedDesc;
            this.plainMemory = plainMemory;
            this.reorder = reorder;
        }
    }

    /** A weight in its blocked layout (native memory of its own, freed by {@link #release}) and its shape. */
    private record Packed(Arena arena, MemorySegment memory, Shape shape) {
    }

    private static final class Kernel {
        final int rows;
        final OneDnnApi.Primitive primitive;
        final MemorySegment srcMemory;
        final MemorySegment dstMemory;
        boolean checked;

        Kernel(int rows, OneDnnApi.Primitive primitive, MemorySegment srcMemory, MemorySegment dstMemory) {
            this.rows = rows;
            this.primitive = primitive;
            this.srcMemory = srcMemory;
            this.dstMemory = dstMemory;
        }
    }

    /**
     * The process-wide oneDNN backend, loading the libraries on first use; weights it does not take go to the Vector
     * API kernels.
     *
     * @throws IllegalStateException with the reason when oneDNN cannot be loaded here (kept for later calls)
     */
    public static synchronized OneDnnMatmul instance() {
        if (loaded == null) {
            try {
                loaded = new OneDnnMatmul(new OneDnnApi(OneDnnNatives.load()), new VectorMatmul(), MIN_ELEMENTS,
                        MIN_COLS, SMALL_ROW_QUANTUM);
            } catch (OneDnnNatives.UnavailableException | RuntimeException | LinkageError e) {
                loaded = "oneDNN is not available: " + e.getMessage();
            }
        }
        if (loaded instanceof OneDnnMatmul backend) {
            return backend;
        }
        throw new IllegalStateException((String) loaded);
    }

    /**
     * Whether oneDNN runs bf16 multiplies natively on this CPU (AVX512-BF16 or AMX). Without them it emulates bf16
     * and is no faster than the Vector API kernels.
     */
    public boolean hasNativeBf16() {
        int avx512Bf16 = 0xE7;
        return (api.effectiveIsa() & avx512Bf16) == avx512Bf16;
    }

    /** The library binding (shared with {@link PrefixGemms}). */
    OneDnnApi api() {
        return api;
    }

    /** False once a first-call check found a row count whose results differ from the 16-row primitive's. */
    public boolean batchInvariant() {
        return batchInvariant;
    }

    @Override
    public String name() {
        return "onednn";
    }

    /** Whether the process-wide backend sends this weight to oneDNN (large BF16 weights in native memory). */
    public static boolean takes(WeightMatrix weight) {
        return takes(weight, MIN_ELEMENTS, MIN_COLS);
    }

    private static boolean takes(WeightMatrix weight, long minElements, int minCols) {
        return weight.dtype() == DType.BF16 && weight.data().isNative()
                && (long) weight.rows() * weight.cols() >= minElements && weight.cols() >= minCols;
    }

    @Override
    public long copyBytes(WeightMatrix weight) {
        return takes(weight, minElements, minCols) ? weight.byteSize() : 0; // bf16 in, bf16 blocked out
    }

    @Override
    public boolean roundsToBf16(WeightMatrix weight) {
        return takes(weight, minElements, minCols);
    }

    @Override
    public void multiply(float[] input, int rows, WeightMatrix weight, float[] output) {
        if (!takes(weight, minElements, minCols)) {
            fallback.multiply(input, rows, weight, output);
            return;
        }
        MatmulBackend.checkArguments(input, rows, weight, output);
        if (rows == 0 || weight.rows() == 0) {
            return;
        }
        multiplyBf16(input, rows, weight, output);
    }

    private void multiplyBf16(float[] input, int rows, WeightMatrix weight, float[] output) {
        synchronized (api) { // every instance shares the library's one stream
            multiplyLocked(input, rows, weight, output);
        }
    }

    private void multiplyLocked(float[] input, int rows, WeightMatrix weight, float[] output) {
        int k = weight.cols();
        int n = weight.rows();
        api.setThreads(Parallel.threads());
        Packed packedWeight = packed(weight);
        Shape shape = packedWeight.shape();
        MemorySegment weightMemory = packedWeight.memory();
        // At least 16 rows of scratch: the first-call check runs the 16-row kernel on the same input.
        ensureScratch(k, n, Math.min(MAX_ROWS, (rows + ROW_QUANTUM - 1) / ROW_QUANTUM * ROW_QUANTUM));
        for (int first = 0; first < rows; first += MAX_ROWS) {
            int count = Math.min(MAX_ROWS, rows - first);
            Bf16Narrowing.narrow(input, first * k, count * k, src, 0);
            Kernel kernel = kernel(shape, paddedRows(shape, count));
            run(kernel, weightMemory, dst);
            MemorySegment result = kernel.checked ? dst : checkAgainstSixteenRows(shape, kernel, weightMemory);
            MemorySegment.copy(result, JAVA_FLOAT, 0, output, first * n, count * n);
        }
    }

    /** The row count oneDNN is asked for: a multiple of 2 below 16 rows (unless the shape failed that), else of 16. */
    private int paddedRows(Shape shape, int count) {
        if (count < ROW_QUANTUM && !shape.smallRowsDiffer) {
            int padded = (count + smallRowQuantum - 1) / smallRowQuantum * smallRowQuantum;
            if (padded < ROW_QUANTUM) {
                return padded;
            }
        }
        return (count + ROW_QUANTUM - 1) / ROW_QUANTUM * ROW_QUANTUM;
    }

    private void run(Kernel kernel, MemorySegment weightMemory, MemorySegment out) {
        api.setData(kernel.srcMemory, src);
        api.setData(kernel.dstMemory, out);
        setArg(0, OneDnnApi.ARG_SRC, kernel.srcMemory);
        setArg(1, OneDnnApi.ARG_WEIGHTS, weightMemory);
        setArg(2, OneDnnApi.ARG_DST, kernel.dstMemory);
        api.execute(kernel.primitive.handle(), args, 3);
    }

    private void setArg(int index, int argument, MemorySegment memory) {
        OneDnnApi.setArg(args, index, argument, memory);
    }

    /**
     * First call of a kernel: recomputes the same input with the 16-row kernel and compares the rows both computed,
     * bit for bit. Returns the buffer whose rows are the answer: a small-row kernel that disagrees is replaced by the
     * 16-row result (and its shape pads to 16 from then on), so results never depend on the batch size; a larger
     * kernel that disagrees cannot be replaced (no smaller kernel covers its rows) and is reported on stderr.
     */
    private MemorySegment checkAgainstSixteenRows(Shape shape, Kernel kernel, MemorySegment weightMemory) {
        kernel.checked = true;
        if (kernel.rows == ROW_QUANTUM) {
            return dst;
        }
        Kernel sixteen = kernel(shape, ROW_QUANTUM);
        run(sixteen, weightMemory, check);
        long bytes = (long) Math.min(kernel.rows, ROW_QUANTUM) * shape.n * Float.BYTES;
        if (MemorySegment.mismatch(dst, 0, bytes, check, 0, bytes) == -1) {
            return dst;
        }
        if (kernel.rows < ROW_QUANTUM) {
            shape.smallRowsDiffer = true;
            return check;
        }
        batchInvariant = false;
        System.err.println("warning: oneDNN's kernel for a [" + kernel.rows + " x " + shape.k + "] x ["
                + shape.k + " x " + shape.n + "] multiply (" + kernel.primitive.implementation()
                + ") gives different bits than for 16 rows on this machine, so results can depend on the batch "
                + "size; use --matmul vector for batch-invariant results");
        return dst;
    }

    private Shape shape(int k, int n) {
        return shapes.computeIfAbsent(((long) k << 32) | n, key -> {
            // Let oneDNN pick the weights layout for the largest problem; every row count then uses that layout.
            MemorySegment srcDesc = api.desc(MAX_ROWS, k, OneDnnApi.DATA_BF16, k, 1);
            MemorySegment anyDesc = api.anyLayout(k, n, OneDnnApi.DATA_BF16);
            MemorySegment dstDesc = api.desc(MAX_ROWS, n, OneDnnApi.DATA_F32, n, 1);
            MemorySegment plainDesc = api.desc(k, n, OneDnnApi.DATA_BF16, 1, k);
            try {
                OneDnnApi.Primitive largest = api.matmul(srcDesc, anyDesc, dstDesc);
                Shape shape = new Shape(k, n, largest.weightsDesc(), api.memory(plainDesc),
                        api.reorder(plainDesc, largest.weightsDesc()));
                MemorySegment srcMemory = api.memory(srcDesc);
                MemorySegment dstMemory = api.memory(dstDesc);
                shape.kernels[MAX_ROWS / ROW_QUANTUM - 1] = new Kernel(MAX_ROWS, largest, srcMemory, dstMemory);
                return shape;
            } finally {
                api.destroyDesc(srcDesc);
                api.destroyDesc(anyDesc);
                api.destroyDesc(dstDesc);
                api.destroyDesc(plainDesc);
            }
        });
    }

    /** Makes the blocked copies of the weights this backend multiplies, largest first (see the interface). */
    @Override
    public void prepare(java.util.List<WeightMatrix> weights) {
        java.util.List<WeightMatrix> mine = MatmulBackend.largestFirst(weights, w -> takes(w, minElements, minCols));
        synchronized (api) {
            for (WeightMatrix w : mine) {
                packed(w);
            }
        }
    }

    /** The weight's blocked copy, made by {@link #prepare} or else on first use. */
    private Packed packed(WeightMatrix weight) {
        Packed p = packed.get(weight);
        if (p == null) {
            Shape shape = shape(weight.cols(), weight.rows());
            Arena arena = Arena.ofShared();
            try {
                MemorySegment data = arena.allocate(api.size(shape.packedDesc), 64);
                MemorySegment memory = api.memory(shape.packedDesc);
                api.setData(memory, data);
                api.setData(shape.plainMemory, weight.data());
                setArg(0, OneDnnApi.ARG_FROM, shape.plainMemory);
                setArg(1, OneDnnApi.ARG_TO, memory);
                api.execute(shape.reorder, args, 2);
                p = new Packed(arena, memory, shape);
            } catch (RuntimeException | Error e) {
                arena.close();
                throw e;
            }
            packed.put(weight, p);
            weight.dropMappedPages(); // the copy is what we read from now on
        }
        return p;
    }

    /** Frees the blocked copy of a weight (its model is closing); a later multiply would make a new one. */
    @Override
    public void release(WeightMatrix weight) {
        synchronized (api) {
            Packed p = packed.remove(weight);
            if (p != null) {
                api.destroyMemory(p.memory());
                p.arena().close();
            }
        }
    }

    private Kernel kernel(Shape shape, int rows) {
        boolean small = rows < ROW_QUANTUM;
        Kernel kernel = small ? shape.smallKernels[rows] : shape.kernels[rows / ROW_QUANTUM - 1];
        if (kernel == null) {
            MemorySegment srcDesc = api.desc(rows, shape.k, OneDnnApi.DATA_BF16, shape.k, 1);
            MemorySegment dstDesc = api.desc(rows, shape.n, OneDnnApi.DATA_F32, shape.n, 1);
            try {
                OneDnnApi.Primitive primitive = api.matmul(srcDesc, shape.packedDesc, dstDesc);
                api.destroyDesc(primitive.weightsDesc());
                kernel = new Kernel(rows, primitive, api.memory(srcDesc), api.memory(dstDesc));
            } catch (IllegalStateException e) {
                throw new IllegalStateException("oneDNN has no " + rows + "-row kernel for the blocked layout it "
                        + "chose for " + shape.k + " x " + shape.n + " weights (" + e.getMessage()
                        + "); use --matmul vector", e);
            } finally {
                api.destroyDesc(srcDesc);
                api.destroyDesc(dstDesc);
            }
            if (small) {
                shape.smallKernels[rows] = kernel;
            } else {
                shape.kernels[rows / ROW_QUANTUM - 1] = kernel;
            }
        }
        return kernel;
    }

    /** Grows the native scratch to hold {@code rows} rows of this shape; it never shrinks (reused every call). */
    private void ensureScratch(int k, int n, int rows) {
        long srcBytes = (long) rows * k * 2;
        long dstBytes = (long) rows * n * Float.BYTES;
        if (src.byteSize() < srcBytes) {
            src = Arena.ofAuto().allocate(srcBytes, 64);
        }
        if (dst.byteSize() < dstBytes) {
            dst = Arena.ofAuto().allocate(dstBytes, 64);
        }
        long checkBytes = (long) ROW_QUANTUM * n * Float.BYTES;
        if (check.byteSize() < checkBytes) {
            check = Arena.ofAuto().allocate(checkBytes, 64);
        }
    }
}
