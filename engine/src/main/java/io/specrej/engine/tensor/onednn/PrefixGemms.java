package io.specrej.engine.tensor.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.specrej.engine.cache.KvCache;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention's two products over a long prompt prefix, in bfloat16 through oneDNN: scores {@code Q · Kᵀ} and outputs
 * {@code P · V} for up to {@link #ROWS} query rows (tokens times the query heads of one kv head) at a time, against a
 * {@link Block}, an immutable copy of the prefix's keys and values per (layer, kv head) in the blocked layout oneDNN's
 * kernels read. Sequences forked from one prompt all read the same block, so these are matrix products with many rows
 * where the float32 kernels of the attention would do one dot product per row; with the CPU's bf16 dot-product
 * instructions they run at about twice the float32 multiply-add rate (measured in docs/PERFORMANCE.md).
 *
 * <p>Numerics: queries, keys, values and probabilities are rounded to bfloat16 (round to nearest even), products are
 * exact and accumulate in float32: what PyTorch's CPU attention computes for a bfloat16 model. Only models whose
 * projections already go through oneDNN's bf16 products use it (see the model's attention).
 *
 * <p>Batch invariance: every call multiplies exactly {@link #ROWS} rows (unused rows are padding) with the one
 * primitive of its prefix length, so a row's bits do not depend on how many rows the batch has; rows are independent
 * in a matrix product, and PrefixGemmsTest checks that a row gives the same bits at every position of the tile.
 *
 * <p>Threads: each thread multiplies with its own stream, scratchpad and one OpenMP thread ({@link Tile}), so the
 * attention's work items run on every core at once (oneDNN's library scratchpad is shared in this build, hence the
 * user scratchpad).
 */
public final class PrefixGemms {
    /** Query rows of every call: 64 (one oneDNN kernel per prefix length; 8 tokens of 7 heads per kv head fit). */
    public static final int ROWS = 64;
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(
            ByteOrder.LITTLE_ENDIAN);

    private static Object loaded;

    private final OneDnnApi api;
    /** Primitives per (head size, prefix length), shared by every block of that shape. */
    private final Map<Long, Kernels> kernels = new HashMap<>();
    private final ThreadLocal<Tile> tiles = ThreadLocal.withInitial(Tile::new);

    private PrefixGemms(OneDnnApi api) {
        this.api = api;
    }

    /**
     * The process-wide instance over the oneDNN library the matmul backend loaded.
     *
     * @throws IllegalStateException when oneDNN cannot be loaded or the CPU has no bf16 dot products (then these
     *                               products would be no faster than the float32 kernels)
     */
    public static synchronized PrefixGemms instance() {
        if (loaded == null) {
            try {
                OneDnnMatmul matmul = OneDnnMatmul.instance();
                loaded = matmul.hasNativeBf16() ? new PrefixGemms(matmul.api())
                        : "this CPU has no bf16 dot-product instructions";
            } catch (IllegalStateException e) {
                loaded = e.getMessage();
            }
        }
        if (loaded instanceof PrefixGemms gemms) {
            return gemms;
        }
        throw new IllegalStateException((String) loaded);
    }

    /** The scores and the values primitive for one (head size, prefix length), and the blocked layouts they read. */
    private static final class Kernels {
        final int headDim;
        final int length;
        final OneDnnApi.Primitive scores;
        final OneDnnApi.Primitive values;
        final MemorySegment plainKeysDesc;
        final MemorySegment plainValuesDesc;
        final MemorySegment keysReorder;
        final MemorySegment valuesReorder;
        final long keysBytes;
        final long valuesBytes;
        /** Descriptors of the per-thread memory objects: queries, scores, probabilities, outputs. */
        final MemorySegment queryDesc;
        final MemorySegment scoreDesc;
        final MemorySegment probabilityDesc;
        final MemorySegment outDesc;

        Kernels(OneDnnApi api, int headDim, int length) {
            this.headDim = headDim;
            this.length = length;
            queryDesc = api.desc(ROWS, headDim, OneDnnApi.DATA_BF16, headDim, 1);
            scoreDesc = api.desc(ROWS, length, OneDnnApi.DATA_F32, length, 1);
            probabilityDesc = api.desc(ROWS, length, OneDnnApi.DATA_BF16, length, 1);
            outDesc = api.desc(ROWS, headDim, OneDnnApi.DATA_F32, headDim, 1);
            // Keys arrive as [position][element] rows: as the weights [element][position] of Q · Kᵀ they have
            // strides (1, headDim); values [position][element] are the weights of P · V as they are.
            plainKeysDesc = api.desc(headDim, length, OneDnnApi.DATA_BF16, 1, headDim);
            plainValuesDesc = api.desc(length, headDim, OneDnnApi.DATA_BF16, headDim, 1);
            MemorySegment anyKeys = api.anyLayout(headDim, length, OneDnnApi.DATA_BF16);
            MemorySegment anyValues = api.anyLayout(length, headDim, OneDnnApi.DATA_BF16);
            try {
                scores = api.matmulWithUserScratchpad(queryDesc, anyKeys, scoreDesc);
                values = api.matmulWithUserScratchpad(probabilityDesc, anyValues, outDesc);
            } finally {
                api.destroyDesc(anyKeys);
                api.destroyDesc(anyValues);
            }
            keysReorder = api.reorder(plainKeysDesc, scores.weightsDesc());
            valuesReorder = api.reorder(plainValuesDesc, values.weightsDesc());
            keysBytes = api.size(scores.weightsDesc());
            valuesBytes = api.size(values.weightsDesc());
        }
    }

    private Kernels kernels(int headDim, int length) {
        synchronized (api) {
            return kernels.computeIfAbsent(((long) headDim << 32) | length, k -> new Kernels(api, headDim, length));
        }
    }

    /**
     * A new block for a prefix of {@code length} positions; fill it with {@link Block#set} for every (layer, kv
     * head) before use.
     */
    public Block newBlock(int layers, int kvHeads, int headDim, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("a prefix needs at least one position, got " + length);
        }
        return new Block(kernels(headDim, length), layers, kvHeads);
    }

    /**
     * An immutable copy of one prefix's keys and values (native memory, freed by {@link #close}); read by
     * {@link Tile} from any thread. Implements {@link KvCache.Attachment}, so a cache's sequences and their forks
     * hold it and the last one to go closes it.
     */
    public final class Block implements KvCache.Attachment {
        private final Kernels kernels;
        private final int kvHeads;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment[] keys;
        private final MemorySegment[] values;
        private boolean closed;

        private Block(Kernels kernels, int layers, int kvHeads) {
            this.kernels = kernels;
            this.kvHeads = kvHeads;
            keys = new MemorySegment[layers * kvHeads];
            values = new MemorySegment[layers * kvHeads];
        }

        /** The calling thread's tile for products against this block. */
        public Tile tile() {
            return PrefixGemms.this.tile(this);
        }

        /** Positions the block holds. */
        @Override
        public int length() {
            return kernels.length;
        }

        /** Native bytes the block holds. */
        @Override
        public long bytes() {
            return (long) keys.length * (kernels.keysBytes + kernels.valuesBytes);
        }

        /**
         * Stores one (layer, kv head)'s keys and values, each {@code [length][headDim]} bfloat16 bit patterns.
         */
        public void set(int layer, int kvHead, short[] keyRows, short[] valueRows) {
            int at = layer * kvHeads + kvHead;
            long plainBytes = 2L * kernels.length * kernels.headDim;
            synchronized (api) {
                try (Arena scratch = Arena.ofConfined()) {
                    MemorySegment plain = scratch.allocate(plainBytes, 64);
                    keys[at] = arena.allocate(kernels.keysBytes, 64);
                    reorder(plain, keyRows, kernels.plainKeysDesc, kernels.keysReorder, kernels.scores.weightsDesc(),
                            keys[at]);
                    values[at] = arena.allocate(kernels.valuesBytes, 64);
                    reorder(plain, valueRows, kernels.plainValuesDesc, kernels.valuesReorder,
                            kernels.values.weightsDesc(), values[at]);
                }
            }
        }

        private void reorder(MemorySegment plain, short[] rows, MemorySegment plainDesc, MemorySegment reorder,
                             MemorySegment blockedDesc, MemorySegment target) {
            int count = kernels.length * kernels.headDim;
            if (rows.length < count) {
                throw new IllegalArgumentException("a prefix block of " + kernels.length + " x " + kernels.headDim
                        + " needs " + count + " elements, got " + rows.length);
            }
            MemorySegment.copy(rows, 0, plain, ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    0, count);
            MemorySegment from = api.memory(plainDesc);
            MemorySegment to = api.memory(blockedDesc);
            try (Arena argArena = Arena.ofConfined()) {
                api.setData(from, plain);
                api.setData(to, target);
                MemorySegment args = argArena.allocate(2 * OneDnnApi.EXEC_ARG_BYTES, 8);
                setArg(args, 0, OneDnnApi.ARG_FROM, from);
                setArg(args, 1, OneDnnApi.ARG_TO, to);
                api.execute(reorder, args, 2);
            } finally {
                api.destroyMemory(from);
                api.destroyMemory(to);
            }
        }

        @Override
        public void close() {
            synchronized (api) {
                if (closed) {
                    return;
                }
                closed = true;
                arena.close();
            }
        }
    }

    /** The calling thread's tile for products against blocks of this one's shape. */
    public Tile tile(Block block) {
        Tile tile = tiles.get();
        tile.use(block.kernels);
        return tile;
    }

    /**
     * One thread's work area: {@link #ROWS} query rows, their scores and probabilities over the prefix and their
     * outputs, with the stream, scratchpad and memory objects to multiply them. Rows not written hold stale numbers;
     * their results are never read.
     */
    public final class Tile {
        private final MemorySegment stream = api.newStream();
        private final Arena arena = Arena.ofShared();
        private final MemorySegment args = arena.allocate(4 * OneDnnApi.EXEC_ARG_BYTES, 8);
        private Kernels kernels;
        private MemorySegment queries = MemorySegment.NULL;
        private MemorySegment scores = MemorySegment.NULL;
        private MemorySegment probabilities = MemorySegment.NULL;
        private MemorySegment out = MemorySegment.NULL;
        private MemorySegment scratchpad = MemorySegment.NULL;
        private MemorySegment queryMemory;
        private MemorySegment scoreMemory;
        private MemorySegment probabilityMemory;
        private MemorySegment outMemory;
        private MemorySegment keyMemory;
        private MemorySegment valueMemory;
        private MemorySegment scratchpadMemory;

        private void use(Kernels k) {
            if (kernels == k) {
                return;
            }
            synchronized (api) {
                destroyMemories();
                kernels = k;
                queries = grow(queries, 2L * ROWS * k.headDim);
                scores = grow(scores, 4L * ROWS * k.length);
                probabilities = grow(probabilities, 2L * ROWS * k.length);
                out = grow(out, 4L * ROWS * k.headDim);
                scratchpad = grow(scratchpad, Math.max(k.scores.scratchpadBytes(), k.values.scratchpadBytes()));
                queryMemory = memory(k.queryDesc, queries);
                scoreMemory = memory(k.scoreDesc, scores);
                probabilityMemory = memory(k.probabilityDesc, probabilities);
                outMemory = memory(k.outDesc, out);
                keyMemory = api.memory(k.scores.weightsDesc());
                valueMemory = api.memory(k.values.weightsDesc());
                // The primitives read their scratchpad's address only: a byte row of the buffer's size describes it.
                MemorySegment scratchpadDesc = api.desc(1, scratchpad.byteSize(), OneDnnApi.DATA_U8,
                        scratchpad.byteSize(), 1);
                try {
                    scratchpadMemory = memory(scratchpadDesc, scratchpad);
                } finally {
                    api.destroyDesc(scratchpadDesc);
                }
            }
        }

        private MemorySegment grow(MemorySegment segment, long bytes) {
            return segment.byteSize() >= bytes ? segment : arena.allocate(Math.max(bytes, 64), 64);
        }

        private MemorySegment memory(MemorySegment desc, MemorySegment data) {
            MemorySegment memory = api.memory(desc);
            api.setData(memory, data);
            return memory;
        }

        private void destroyMemories() {
            for (MemorySegment m : new MemorySegment[] {queryMemory, scoreMemory, probabilityMemory, outMemory,
                    keyMemory, valueMemory, scratchpadMemory}) {
                if (m != null) {
                    api.destroyMemory(m);
                }
            }
        }

        /** Rounds {@code headDim} floats of {@code q} from {@code at} to bfloat16 as query row {@code row}. */
        public void setQuery(int row, float[] q, int at) {
            Bf16Narrowing.narrow(q, at, kernels.headDim, queries, 2L * row * kernels.headDim);
        }

        /** Every row's dot products with every prefix key of (layer, kv head) of the block. */
        public void multiplyScores(Block block, int layer, int kvHead) {
            int at = layer * block.kvHeads + kvHead;
            api.setData(keyMemory, block.keys[at]);
            run(kernels.scores, queryMemory, keyMemory, scoreMemory);
        }

        /**
         * Copies row {@code row}'s dot products, each times {@code multiplier} (or divided by {@code divisor} when
         * {@code divide}: GPT-2's form), into {@code dst} from {@code at}, and returns their maximum.
         */
        public float scaledScores(int row, float[] dst, int at, boolean divide, float multiplier, float divisor) {
            int length = kernels.length;
            long base = 4L * row * length;
            FloatVector max = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
            int i = 0;
            int bound = length - length % LANES;
            for (; i < bound; i += LANES) {
                FloatVector dot = FloatVector.fromMemorySegment(FLOATS, scores, base + 4L * i, ByteOrder.LITTLE_ENDIAN);
                FloatVector s = divide ? dot.div(divisor) : dot.mul(multiplier);
                s.intoArray(dst, at + i);
                max = max.max(s);
            }
            float m = max.reduceLanes(VectorOperators.MAX);
            for (; i < length; i++) {
                float dot = scores.get(FLOAT_LE, base + 4L * i);
                float s = divide ? dot / divisor : dot * multiplier;
                dst[at + i] = s;
                m = Math.max(m, s);
            }
            return m;
        }

        /** Rounds the prefix's {@code length} probabilities of {@code p} from {@code at} to bfloat16 as row {@code row}. */
        public void setProbabilities(int row, float[] p, int at) {
            Bf16Narrowing.narrow(p, at, kernels.length, probabilities, 2L * row * kernels.length);
        }

        /** Every row's probabilities times the prefix values of (layer, kv head) of the block. */
        public void multiplyValues(Block block, int layer, int kvHead) {
            int at = layer * block.kvHeads + kvHead;
            api.setData(valueMemory, block.values[at]);
            run(kernels.values, probabilityMemory, valueMemory, outMemory);
        }

        /** Copies row {@code row}'s output ({@code headDim} floats) into {@code dst} from {@code at}. */
        public void output(int row, float[] dst, int at) {
            MemorySegment.copy(out, FLOAT_LE, 4L * row * kernels.headDim, dst, at, kernels.headDim);
        }

        private void run(OneDnnApi.Primitive primitive, MemorySegment src, MemorySegment weights, MemorySegment dst) {
            setArg(args, 0, OneDnnApi.ARG_SRC, src);
            setArg(args, 1, OneDnnApi.ARG_WEIGHTS, weights);
            setArg(args, 2, OneDnnApi.ARG_DST, dst);
            setArg(args, 3, OneDnnApi.ARG_SCRATCHPAD, scratchpadMemory);
            // OpenMP's thread count is the calling thread's setting, and the matmul backend sets it to every core on
            // whichever thread calls it (one of these too): set it to one for each product, so that it stays here.
            api.setThreads(1);
            api.execute(primitive.handle(), stream, args, 4);
        }
    }

    private static void setArg(MemorySegment args, int index, int argument, MemorySegment memory) {
        long at = index * OneDnnApi.EXEC_ARG_BYTES;
        args.set(JAVA_INT, at, argument);
        args.set(ADDRESS, at + 8, memory);
    }
}
