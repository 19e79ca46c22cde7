package io.specrej.engine.tensor.onednn;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.Bf16;
import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
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
 * <p>Batch invariance: every call multiplies exactly {@link #ROWS} rows (unused rows are padding), or
 * {@link #SMALL_ROWS} where those kernels were found to give the 64-row kernels' bits, with the primitives of its
 * (padded) prefix length, so a row's bits do not depend on how many rows the batch has; rows are independent in a
 * matrix product, and PrefixGemmsTest checks that a row gives the same bits at every position of the tile, in either
 * size, on any thread.
 *
 * <p>Threads: each thread multiplies with its own stream, scratchpad and one OpenMP thread ({@link Tile}), so the
 * attention's work items run on every core at once (oneDNN's library scratchpad is shared in this build, hence the
 * user scratchpad).
 */
public final class PrefixGemms {
    /** Query rows of every call: 64 (one oneDNN kernel per prefix length; 8 tokens of 7 heads per kv head fit). */
    public static final int ROWS = 64;
    /** Rows of the products for calls of few rows (one or two tokens), where they give the 64-row products' bits. */
    static final int SMALL_ROWS = 16;
    /**
     * Prefix lengths are padded to a multiple of this for the products (zero keys and values, zero probabilities), so
     * prompts of many lengths share a few kernels: oneDNN generates code per shape and they are kept for the
     * process, and at most 63 extra positions are multiplied (12 % at 512 tokens).
     */
    static final int LENGTH_QUANTUM = 64;
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(
            ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
            ByteOrder.LITTLE_ENDIAN);

    private static Object loaded;
    /** Frees the native memory of blocks that were dropped without {@link Block#close} (a backstop). */
    private static final Cleaner CLEANER = Cleaner.create();

    private final OneDnnApi api;
    /** Primitives per (head size, padded prefix length), shared by every block of that shape; kept for the process. */
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

    /** The two products for one row count: queries x keys, probabilities x values, and their row descriptors. */
    private static final class Products {
        final OneDnnApi.Primitive scores;
        final OneDnnApi.Primitive values;
        final MemorySegment queryDesc;
        final MemorySegment scoreDesc;
        final MemorySegment probabilityDesc;
        final MemorySegment outDesc;

        /** With {@code keys} and {@code values} null, oneDNN chooses the weight layouts (then read them here). */
        Products(OneDnnApi api, int rows, int headDim, int length, MemorySegment keys, MemorySegment values) {
            queryDesc = api.desc(rows, headDim, OneDnnApi.DATA_BF16, headDim, 1);
            scoreDesc = api.desc(rows, length, OneDnnApi.DATA_F32, length, 1);
            probabilityDesc = api.desc(rows, length, OneDnnApi.DATA_BF16, length, 1);
            outDesc = api.desc(rows, headDim, OneDnnApi.DATA_F32, headDim, 1);
            MemorySegment anyKeys = keys != null ? keys : api.anyLayout(headDim, length, OneDnnApi.DATA_BF16);
            MemorySegment anyValues = values != null ? values : api.anyLayout(length, headDim, OneDnnApi.DATA_BF16);
            try {
                this.scores = api.matmulWithUserScratchpad(queryDesc, anyKeys, scoreDesc);
                this.values = api.matmulWithUserScratchpad(probabilityDesc, anyValues, outDesc);
            } finally {
                if (keys == null) {
                    api.destroyDesc(anyKeys);
                }
                if (values == null) {
                    api.destroyDesc(anyValues);
                }
            }
        }

        long scratchpadBytes() {
            return Math.max(scores.scratchpadBytes(), values.scratchpadBytes());
        }
    }

    /**
     * The products for one (head size, prefix length): {@link #ROWS} rows, and {@link #SMALL_ROWS} rows for calls with
     * few (one or two tokens) if oneDNN has them for the same blocked layouts and they give the 64-row products' bits
     * (checked once on random numbers when made: the bits are a matter of the kernels' code, not of the data); and the
     * blocked layouts with the reorders into them.
     */
    private static final class Kernels {
        final int headDim;
        final int length;
        final Products full;
        final Products small;
        final MemorySegment plainKeysDesc;
        final MemorySegment plainValuesDesc;
        final MemorySegment keysReorder;
        final MemorySegment valuesReorder;
        final long keysBytes;
        final long valuesBytes;

        Kernels(OneDnnApi api, int headDim, int length) {
            this.headDim = headDim;
            this.length = length;
            full = new Products(api, ROWS, headDim, length, null, null);
            // Keys arrive as [position][element] rows: as the weights [element][position] of Q · Kᵀ they have
            // strides (1, headDim); values [position][element] are the weights of P · V as they are.
            plainKeysDesc = api.desc(headDim, length, OneDnnApi.DATA_BF16, 1, headDim);
            plainValuesDesc = api.desc(length, headDim, OneDnnApi.DATA_BF16, headDim, 1);
            keysReorder = api.reorder(plainKeysDesc, full.scores.weightsDesc());
            valuesReorder = api.reorder(plainValuesDesc, full.values.weightsDesc());
            keysBytes = api.size(full.scores.weightsDesc());
            valuesBytes = api.size(full.values.weightsDesc());
            small = smallProducts(api);
        }

        private Products smallProducts(OneDnnApi api) {
            Products candidate;
            try {
                candidate = new Products(api, SMALL_ROWS, headDim, length, full.scores.weightsDesc(),
                        full.values.weightsDesc());
            } catch (IllegalStateException e) {
                return null; // no small-row kernel for these layouts: every call takes 64 rows
            }
            return sameBits(api, candidate) ? candidate : null;
        }

        /** Whether {@code small} gives the first rows of {@link #full}'s results bit for bit, on random numbers. */
        private boolean sameBits(OneDnnApi api, Products small) {
            try (Arena arena = Arena.ofConfined()) {
                SplittableRandom random = new SplittableRandom(length * 31L + headDim);
                MemorySegment plain = arena.allocate(2L * length * headDim, 64);
                MemorySegment keys = arena.allocate(keysBytes, 64);
                MemorySegment values = arena.allocate(valuesBytes, 64);
                fillBf16(plain, random);
                reorderInto(api, arena, plain, plainKeysDesc, keysReorder, full.scores.weightsDesc(), keys);
                fillBf16(plain, random);
                reorderInto(api, arena, plain, plainValuesDesc, valuesReorder, full.values.weightsDesc(), values);
                MemorySegment queries = arena.allocate(2L * ROWS * headDim, 64);
                MemorySegment probabilities = arena.allocate(2L * ROWS * length, 64);
                fillBf16(queries, random);
                fillBf16(probabilities, random);
                MemorySegment scratchpad = arena.allocate(Math.max(64, Math.max(full.scratchpadBytes(),
                        small.scratchpadBytes())), 64);
                MemorySegment[] results = new MemorySegment[4];
                int i = 0;
                for (Products products : new Products[] {full, small}) {
                    results[i] = arena.allocate(4L * ROWS * length, 64);
                    runOnce(api, arena, products.scores, products.queryDesc, queries,
                            full.scores.weightsDesc(), keys, products.scoreDesc, results[i], scratchpad);
                    results[i + 1] = arena.allocate(4L * ROWS * headDim, 64);
                    runOnce(api, arena, products.values, products.probabilityDesc, probabilities,
                            full.values.weightsDesc(), values, products.outDesc, results[i + 1], scratchpad);
                    i += 2;
                }
                long scoreBytes = 4L * SMALL_ROWS * length;
                long outBytes = 4L * SMALL_ROWS * headDim;
                return MemorySegment.mismatch(results[0], 0, scoreBytes, results[2], 0, scoreBytes) == -1
                        && MemorySegment.mismatch(results[1], 0, outBytes, results[3], 0, outBytes) == -1;
            }
        }
    }

    private static void fillBf16(MemorySegment segment, SplittableRandom random) {
        for (long at = 0; at + 1 < segment.byteSize(); at += 2) {
            segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, Bf16.fromFloat((float) (random.nextDouble() * 2 - 1)));
        }
    }

    /** Runs a reorder from {@code plain} (layout {@code plainDesc}) into {@code target} (layout {@code blockedDesc}). */
    private static void reorderInto(OneDnnApi api, Arena arena, MemorySegment plain, MemorySegment plainDesc,
                                    MemorySegment reorder, MemorySegment blockedDesc, MemorySegment target) {
        MemorySegment from = api.memory(plainDesc);
        MemorySegment to = api.memory(blockedDesc);
        try {
            api.setData(from, plain);
            api.setData(to, target);
            MemorySegment args = arena.allocate(2 * OneDnnApi.EXEC_ARG_BYTES, 8);
            OneDnnApi.setArg(args, 0, OneDnnApi.ARG_FROM, from);
            OneDnnApi.setArg(args, 1, OneDnnApi.ARG_TO, to);
            api.execute(reorder, args, 2);
        } finally {
            api.destroyMemory(from);
            api.destroyMemory(to);
        }
    }

    /** One product on the library's stream and one OpenMP thread (as {@link Tile}s run them), with fresh memories. */
    private static void runOnce(OneDnnApi api, Arena arena, OneDnnApi.Primitive primitive, MemorySegment srcDesc,
                                MemorySegment src, MemorySegment weightsDesc, MemorySegment weights,
                                MemorySegment dstDesc, MemorySegment dst, MemorySegment scratchpad) {
        MemorySegment[] memories = {api.memory(srcDesc), api.memory(weightsDesc), api.memory(dstDesc),
            api.scratchpadMemory(scratchpad)};
        try {
            MemorySegment[] data = {src, weights, dst, scratchpad};
            int[] arguments = {OneDnnApi.ARG_SRC, OneDnnApi.ARG_WEIGHTS, OneDnnApi.ARG_DST, OneDnnApi.ARG_SCRATCHPAD};
            MemorySegment args = arena.allocate(4 * OneDnnApi.EXEC_ARG_BYTES, 8);
            for (int i = 0; i < 4; i++) {
                api.setData(memories[i], data[i]);
                OneDnnApi.setArg(args, i, arguments[i], memories[i]);
            }
            api.setThreads(1);
            api.execute(primitive.handle(), args, 4);
        } finally {
            for (MemorySegment m : memories) {
                api.destroyMemory(m);
            }
        }
    }

    /** The products for prefixes of {@code length} positions (padded to {@link #LENGTH_QUANTUM}). */
    private Kernels kernels(int headDim, int length) {
        int padded = (length + LENGTH_QUANTUM - 1) / LENGTH_QUANTUM * LENGTH_QUANTUM;
        synchronized (api) {
            return kernels.computeIfAbsent(((long) headDim << 32) | padded, k -> new Kernels(api, headDim, padded));
        }
    }

    /** Whether calls of up to {@link #SMALL_ROWS} rows have their own products for this shape (tests, logs). */
    boolean hasSmallProducts(int headDim, int length) {
        return kernels(headDim, length).small != null;
    }

    /** Bytes {@link #newBlock} with these arguments holds once filled (oneDNN's blocked layouts may pad). */
    public long blockBytes(int layers, int kvHeads, int headDim, int length) {
        Kernels k = kernels(headDim, length);
        return (long) layers * kvHeads * (k.keysBytes + k.valuesBytes);
    }

    /**
     * A new block for a prefix of {@code length} positions; fill it with {@link Block#set} for every (layer, kv
     * head) before use.
     */
    public Block newBlock(int layers, int kvHeads, int headDim, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("a prefix needs at least one position, got " + length);
        }
        return new Block(kernels(headDim, length), length, layers, kvHeads);
    }

    /**
     * An immutable copy of one prefix's keys and values (native memory, freed by {@link #close}); read by
     * {@link Tile} from any thread. Implements {@link KvCache.Attachment}, so a cache's sequences and their forks
     * hold it and the last one to go closes it.
     */
    public final class Block implements KvCache.Attachment {
        private final Kernels kernels;
        /** Positions of the prefix; the products run over {@code kernels.length}, zero-padded. */
        private final int length;
        private final int kvHeads;
        private final Arena arena = Arena.ofShared();
        /** Closes {@link #arena} once: from {@link #close}, or after the block is collected if nobody closed it. */
        private final Cleaner.Cleanable freeing;
        private final MemorySegment[] keys;
        private final MemorySegment[] values;

        private Block(Kernels kernels, int length, int layers, int kvHeads) {
            this.kernels = kernels;
            this.length = length;
            this.kvHeads = kvHeads;
            keys = new MemorySegment[layers * kvHeads];
            values = new MemorySegment[layers * kvHeads];
            Arena memory = arena; // the action must not hold the block, or it would never become unreachable
            freeing = CLEANER.register(this, memory::close);
        }

        /** The calling thread's tile for products against this block. */
        public Tile tile() {
            return PrefixGemms.this.tile(this);
        }

        /** Positions the block holds. */
        @Override
        public int length() {
            return length;
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
            int count = length * kernels.headDim;
            if (keyRows.length < count || valueRows.length < count) {
                throw new IllegalArgumentException("a prefix block of " + length + " x " + kernels.headDim
                        + " needs " + count + " keys and values, got " + keyRows.length + " and " + valueRows.length);
            }
            int at = layer * kvHeads + kvHead;
            synchronized (api) {
                try (Arena scratch = Arena.ofConfined()) {
                    // Zeroed: the padding positions' keys and values stay zero (a zero probability times them is 0).
                    MemorySegment plain = scratch.allocate(2L * kernels.length * kernels.headDim, 64);
                    keys[at] = arena.allocate(kernels.keysBytes, 64);
                    MemorySegment.copy(keyRows, 0, plain, SHORT_LE, 0, count);
                    reorderInto(api, scratch, plain, kernels.plainKeysDesc, kernels.keysReorder,
                            kernels.full.scores.weightsDesc(), keys[at]);
                    values[at] = arena.allocate(kernels.valuesBytes, 64);
                    MemorySegment.copy(valueRows, 0, plain, SHORT_LE, 0, count);
                    reorderInto(api, scratch, plain, kernels.plainValuesDesc, kernels.valuesReorder,
                            kernels.full.values.weightsDesc(), values[at]);
                }
            }
        }

        @Override
        public void close() {
            freeing.clean();
        }
    }

    /** The calling thread's tile for products against blocks of this one's shape. */
    public Tile tile(Block block) {
        Tile tile = tiles.get();
        tile.use(block.kernels);
        tile.length = block.length;
        return tile;
    }

    /**
     * One thread's work area: {@link #ROWS} query rows, their scores and probabilities over the prefix and their
     * outputs, with the stream, scratchpad and memory objects to multiply them. Rows not written hold stale numbers;
     * their results are never read.
     */
    public final class Tile {
        private final MemorySegment stream = api.newStream();
        private final MemorySegment args = Arena.ofAuto().allocate(4 * OneDnnApi.EXEC_ARG_BYTES, 8);
        /**
         * The buffers below, replaced when a longer prefix needs more: the garbage collector frees the old ones, and
         * a dead thread's (its tile unreachable) too.
         */
        private Arena buffers;
        private Kernels kernels;
        /** Positions of the current block's prefix (the products' rows are {@code kernels.length} long). */
        private int length;
        private MemorySegment queries = MemorySegment.NULL;
        private MemorySegment scores = MemorySegment.NULL;
        private MemorySegment probabilities = MemorySegment.NULL;
        private MemorySegment out = MemorySegment.NULL;
        private MemorySegment scratchpad = MemorySegment.NULL;
        private Memories full;
        private Memories small;
        private MemorySegment keyMemory;
        private MemorySegment valueMemory;
        private MemorySegment scratchpadMemory;

        /** Memory objects over this tile's buffers for one row count's products (the same buffers, fewer rows). */
        private final class Memories {
            final Products products;
            final MemorySegment query;
            final MemorySegment score;
            final MemorySegment probability;
            final MemorySegment out;

            Memories(Products products) {
                this.products = products;
                query = memory(products.queryDesc, queries);
                score = memory(products.scoreDesc, scores);
                probability = memory(products.probabilityDesc, probabilities);
                out = memory(products.outDesc, Tile.this.out);
            }

            void destroy() {
                for (MemorySegment m : new MemorySegment[] {query, score, probability, out}) {
                    api.destroyMemory(m);
                }
            }
        }

        private void use(Kernels k) {
            if (kernels == k) {
                return;
            }
            synchronized (api) {
                destroyMemories();
                kernels = k;
                long scratchpadBytes = Math.max(64, Math.max(k.full.scratchpadBytes(),
                        k.small == null ? 0 : k.small.scratchpadBytes()));
                if (buffers == null || scores.byteSize() < 4L * ROWS * k.length || queries.byteSize() < 2L * ROWS
                        * k.headDim || scratchpad.byteSize() < scratchpadBytes) {
                    buffers = Arena.ofAuto(); // the memory objects over the old buffers were destroyed above
                    // Room for twice the prefix, so prompts growing one by one do not reallocate every time.
                    long longest = 2L * k.length;
                    queries = buffers.allocate(2L * ROWS * k.headDim, 64);
                    scores = buffers.allocate(4L * ROWS * longest, 64);
                    probabilities = buffers.allocate(2L * ROWS * longest, 64);
                    out = buffers.allocate(4L * ROWS * k.headDim, 64);
                    scratchpad = buffers.allocate(scratchpadBytes, 64);
                }
                full = new Memories(k.full);
                small = k.small == null ? null : new Memories(k.small);
                keyMemory = api.memory(k.full.scores.weightsDesc());
                valueMemory = api.memory(k.full.values.weightsDesc());
                scratchpadMemory = api.scratchpadMemory(scratchpad);
            }
        }

        private MemorySegment memory(MemorySegment desc, MemorySegment data) {
            MemorySegment memory = api.memory(desc);
            api.setData(memory, data);
            return memory;
        }

        private void destroyMemories() {
            if (full != null) {
                full.destroy();
            }
            if (small != null) {
                small.destroy();
            }
            for (MemorySegment m : new MemorySegment[] {keyMemory, valueMemory, scratchpadMemory}) {
                if (m != null) {
                    api.destroyMemory(m);
                }
            }
        }

        /** The products for a call whose rows below {@code rows} are used. */
        private Memories forRows(int rows) {
            return rows <= SMALL_ROWS && small != null ? small : full;
        }

        /** Rounds {@code headDim} floats of {@code q} from {@code at} to bfloat16 as query row {@code row}. */
        public void setQuery(int row, float[] q, int at) {
            Bf16Narrowing.narrow(q, at, kernels.headDim, queries, 2L * row * kernels.headDim);
        }

        /**
         * The dot products of rows {@code 0..rows-1} (and possibly more) with every prefix key of (layer, kv head)
         * of the block.
         */
        public void multiplyScores(Block block, int layer, int kvHead, int rows) {
            int at = layer * block.kvHeads + kvHead;
            api.setData(keyMemory, block.keys[at]);
            Memories m = forRows(rows);
            run(m.products.scores, m.query, keyMemory, m.score);
        }

        /**
         * Copies row {@code row}'s dot products, each times {@code multiplier} (or divided by {@code divisor} when
         * {@code divide}: GPT-2's form), into {@code dst} from {@code at}, and returns their maximum.
         */
        public float scaledScores(int row, float[] dst, int at, boolean divide, float multiplier, float divisor) {
            long base = 4L * row * kernels.length;
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

        /** Rounds the prefix's probabilities ({@code p} from {@code at}) to bfloat16 as row {@code row}. */
        public void setProbabilities(int row, float[] p, int at) {
            long base = 2L * row * kernels.length;
            Bf16Narrowing.narrow(p, at, length, probabilities, base);
            // The padding positions (zero values) get probability zero: a stale number there could be an infinity.
            probabilities.asSlice(base + 2L * length, 2L * (kernels.length - length)).fill((byte) 0);
        }

        /** The probabilities of rows {@code 0..rows-1} (and possibly more) times the prefix values of (layer, kv head). */
        public void multiplyValues(Block block, int layer, int kvHead, int rows) {
            int at = layer * block.kvHeads + kvHead;
            api.setData(valueMemory, block.values[at]);
            Memories m = forRows(rows);
            run(m.products.values, m.probability, valueMemory, m.out);
        }

        /** Copies row {@code row}'s output ({@code headDim} floats) into {@code dst} from {@code at}. */
        public void output(int row, float[] dst, int at) {
            MemorySegment.copy(out, FLOAT_LE, 4L * row * kernels.headDim, dst, at, kernels.headDim);
        }

        private void run(OneDnnApi.Primitive primitive, MemorySegment src, MemorySegment weights, MemorySegment dst) {
            OneDnnApi.setArg(args, 0, OneDnnApi.ARG_SRC, src);
            OneDnnApi.setArg(args, 1, OneDnnApi.ARG_WEIGHTS, weights);
            OneDnnApi.setArg(args, 2, OneDnnApi.ARG_DST, dst);
            OneDnnApi.setArg(args, 3, OneDnnApi.ARG_SCRATCHPAD, scratchpadMemory);
            // OpenMP's thread count is the calling thread's setting, and the matmul backend sets it to every core on
            // whichever thread calls it (one of these too): set it to one for each product, so that it stays here.
            api.setThreads(1);
            api.execute(primitive.handle(), stream, args, 4);
        }
    }
}
