package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.cache.KvPrecision;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.weights.CheckpointWeights;
import io.specrej.engine.weights.UnusedTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A loaded checkpoint that runs batched forward passes over a {@link KvCache}.
 *
 * <p>One call processes the new tokens of many sequences of different lengths together: every weight matrix is
 * applied once to all of the batch's tokens (in chunks of at most {@link #CHUNK_TOKENS} so activations stay small),
 * attention runs per sequence against its own cached keys and values. Each output row depends only on its own
 * sequence — not on the batch around it or the thread count — because every kernel reduces in a fixed order.
 *
 * <p>Not thread-safe: a model owns its activation buffers; one forward at a time.
 */
public final class TransformerModel implements AutoCloseable {
    /**
     * System property setting the prompt length from which {@link #attachPrefix} makes copies (a number of tokens, or
     * {@code off}); default 512.
     */
    public static final String PREFIX_COPY_FROM_PROPERTY = PrefixCopies.FROM_PROPERTY;
    /** Tokens per chunk: large enough for efficient matrix multiplies, small enough for cache-friendly buffers. */
    static final int CHUNK_TOKENS = 256;

    private final ModelConfig config;
    private final CheckpointWeights checkpoint;
    private final ModelWeights weights;
    private final MatmulBackend matmul;
    private final KvPrecision kvPrecision;
    private final ForwardPass pass;
    /** Whether the backend has had {@link MatmulBackend#prepare} (once, before the first forward pass). */
    private volatile boolean prepared;

    private TransformerModel(ModelConfig config, CheckpointWeights checkpoint, MatmulBackend matmul,
                             KvPrecision kvPrecision) {
        this.config = config;
        this.checkpoint = checkpoint;
        this.weights = WeightBinder.bind(config, checkpoint);
        String unused = UnusedTensors.warning(checkpoint, config.architecture());
        if (unused != null) {
            System.err.println(unused); // as transformers warns; stderr, so --json output stays clean
        }
        this.matmul = matmul;
        this.kvPrecision = kvPrecision;
        this.pass = new ForwardPass(config, weights, matmul);
    }

    /** Loads config.json and the safetensors weights of a Hugging Face model directory (memory-mapped). */
    public static TransformerModel load(Path dir) {
        return load(dir, MatmulBackends.defaultBackend());
    }

    /** Loads with the given backend and the default KV cache precision ({@link KvPrecision#defaultPrecision}). */
    public static TransformerModel load(Path dir, MatmulBackend matmul) {
        return load(dir, matmul, KvPrecision.defaultPrecision());
    }

    public static TransformerModel load(Path dir, MatmulBackend matmul, KvPrecision kvPrecision) {
        if (!java.nio.file.Files.isDirectory(dir)) {
            throw new BadInputException(dir + ": not a directory (expected a Hugging Face model directory with "
                    + "config.json and model.safetensors)");
        }
        ModelConfig config = ModelConfig.load(dir);
        CheckpointWeights checkpoint = CheckpointWeights.open(dir);
        try {
            return new TransformerModel(config, checkpoint, matmul, kvPrecision);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public CheckpointWeights checkpoint() {
        return checkpoint;
    }

    public MatmulBackend matmulBackend() {
        return matmul;
    }

    /** How {@link #newCache()} stores keys and values. */
    public KvPrecision kvPrecision() {
        return kvPrecision;
    }

    /** Bytes one token of one sequence holds in {@link #newCache()}. */
    public long kvBytesPerToken() {
        return config.kvBytesPerToken(kvPrecision);
    }

    /** A KV cache shaped for this model, in its {@link #kvPrecision()}. */
    public KvCache newCache() {
        return newCache(kvPrecision);
    }

    /** A KV cache shaped for this model in another precision (a forward pass serves either). */
    public KvCache newCache(KvPrecision precision) {
        return new KvCache(config.layers(), config.kvDim(), precision);
    }

    /** Width of an output row: the vocabulary for a causal LM, the reward head's row otherwise. */
    public int outputWidth() {
        return weights.head().width();
    }

    /**
     * Appends tokens to sequences and returns the head's output at chosen token positions.
     *
     * @param cache        the cache holding the sequences
     * @param sequenceIds  ids of the sequences, {@code count} of them, each at most once
     * @param offsets      sequence i's new tokens are {@code tokens[offsets[i] .. offsets[i+1])}; at least one each
     * @param count        number of sequences
     * @param tokens       the new tokens, concatenated
     * @param outputTokens ascending indexes into the concatenated new tokens whose outputs are wanted
     * @param outputCount  number of those
     * @return a buffer owned by this model, valid until the next call: row r (width {@link #outputWidth()}) is the
     *         output at {@code outputTokens[r]}
     */
    public float[] forward(KvCache cache, int[] sequenceIds, int[] offsets, int count, int[] tokens,
                           int[] outputTokens, int outputCount) {
        prepareWeights();
        return pass.run(cache, sequenceIds, offsets, count, tokens, outputTokens, outputCount);
    }

    /**
     * {@link #forward(KvCache, int[], int[], int, int[], int[], int)} over a {@link ForwardBatch}: row r of the result
     * is the output at {@code batch.outputRows()[r]}.
     */
    public float[] forward(KvCache cache, ForwardBatch batch) {
        return forward(cache, batch.sequenceIds(), batch.offsets(), batch.count(), batch.tokens(), batch.outputRows(),
                batch.outputCount());
    }

    /** Appends tokens to sequences and returns one output row per sequence, at its last new token. */
    public float[] forwardLast(KvCache cache, int[] sequenceIds, int[] offsets, int count, int[] tokens) {
        int[] last = pass.lastTokenIndexes(offsets, count);
        prepareWeights();
        return pass.run(cache, sequenceIds, offsets, count, tokens, last, count);
    }

    /**
     * Gives sequence {@code id} (a prompt just prefilled, before its forks are made) a bfloat16 copy of its keys and
     * values that later tokens' attention multiplies through oneDNN ({@link PrefixCopies}: prompts of at least 512
     * tokens, when this model's projections already run in bf16 through oneDNN). Its forks share the copy; the cache
     * counts its bytes and frees it with the last of them.
     *
     * @return whether the sequence got a copy
     */
    public boolean attachPrefix(KvCache cache, int id) {
        if (prefixCopyBytes(cache.length(id)) == 0) {
            return false;
        }
        cache.attach(id, PrefixCopies.build(config, cache, id));
        return true;
    }

    /**
     * Bytes {@link #attachPrefix} adds to a cache for a prompt of {@code promptLength} tokens (0 when that prompt
     * gets no copy), for callers that plan memory before the prompt runs.
     */
    public long prefixCopyBytes(int promptLength) {
        return PrefixCopies.bytes(config, matmul, weights.layers()[0].o(), promptLength);
    }

    /**
     * Lets the backend make the copies of the weights it keeps (oneDNN's blocked layout, Q8_0 quantization), once.
     * The first forward pass calls it; call it earlier to time it apart (not done at load: inspect needs none).
     */
    public void prepareWeights() {
        if (!prepared) {
            synchronized (this) {
                if (!prepared) {
                    matmul.prepare(matmulWeights());
                    prepared = true;
                }
            }
        }
    }

    /** Number of parameters (elements of every stored tensor). */
    public long parameterCount() {
        long n = 0;
        for (String name : checkpoint.names()) {
            n += checkpoint.tensor(name).elementCount();
        }
        return n;
    }

    /**
     * Elements of every weight matrix a token's forward pass multiplies by: all linear layers of the blocks plus the
     * head (lm_head, or the score head of a classifier). Embedding lookups and norms are not counted. A forward over
     * one token costs about {@code 2 *} this many floating-point operations outside attention.
     */
    public long matmulParameters() {
        long n = 0;
        for (WeightMatrix m : matmulWeights()) {
            n += (long) m.rows() * m.cols();
        }
        return n;
    }

    /**
     * Bytes of anonymous memory {@code backend} would hold for this model's weights ({@link MatmulBackend#copyBytes}:
     * oneDNN's bf16 copies, Q8_0 blocks); weights it reads from the mapped checkpoint count nothing.
     */
    public long weightCopyBytes(MatmulBackend backend) {
        long n = 0;
        for (WeightMatrix m : matmulWeights()) {
            n += backend.copyBytes(m);
        }
        return n;
    }

    /** Every weight matrix the forward pass multiplies by (blocks, then the head). */
    private List<WeightMatrix> matmulWeights() {
        List<WeightMatrix> all = new ArrayList<>();
        for (LayerWeights lw : weights.layers()) {
            for (WeightMatrix m : new WeightMatrix[] {lw.q(), lw.k(), lw.v(), lw.qkv(), lw.o(), lw.gate(), lw.up(),
                    lw.down()}) {
                if (m != null) {
                    all.add(m);
                }
            }
        }
        all.addAll(weights.head().matrices());
        return all;
    }

    /** The weight matrix the causal-LM head multiplies by (the embedding when tied), for inspection. */
    WeightMatrix lmHead() {
        return ((LinearHead) weights.head()).weight();
    }

    @Override
    public void close() {
        for (WeightMatrix m : matmulWeights()) {
            matmul.release(m);
        }
        checkpoint.close();
    }
}
