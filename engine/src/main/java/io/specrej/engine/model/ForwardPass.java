package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.cache.KvPrecision;
import io.specrej.engine.tensor.Activations;
import io.specrej.engine.tensor.Bf16;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.Norms;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.Profile;
import io.specrej.engine.tensor.VectorOps;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.tensor.WeightRows;
import io.specrej.engine.tensor.onednn.PrefixGemms;

/**
 * The batched forward computation of one model: embeddings, blocks, final norm and head, chunk by chunk. Holds the
 * activation buffers, sized once for the largest chunk seen, so steady-state decoding allocates nothing per token.
 */
final class ForwardPass {
    private final ModelConfig c;
    private final ModelWeights w;
    private final MatmulBackend matmul;
    private final Rope rope;
    private final CachedAttention attention;
    private final BlockOptions block;
    private final OutputHead outputHead;
    private final int hidden;

    // Per-chunk token bookkeeping.
    private int[] chunkTokens = new int[0];
    private int[] chunkPositions = new int[0];
    private int[] chunkSequence = new int[0];
    // Activations, [chunk tokens][width].
    private float[] x = new float[0];
    private float[] h = new float[0];
    private float[] q = new float[0];
    private float[] k = new float[0];
    private float[] v = new float[0];
    private float[] qkv = new float[0];
    private float[] attended = new float[0];
    private float[] projected = new float[0];
    /** The attention branch's output while the MLP branch runs (parallel-residual blocks only). */
    private float[] attentionOut = new float[0];
    private float[] gate = new float[0];
    private float[] up = new float[0];
    private float[] headInput = new float[0];
    private float[] headOutput = new float[0];
    private float[] output = new float[0];
    // Per-call sequence bookkeeping.
    private int[] startLengths = new int[0];
    private float[][][] sequencePages = new float[0][][];
    private short[][][] sequenceBf16Pages = new short[0][][];
    /** Whether this call's cache stores bfloat16 ({@link #sequenceBf16Pages}) instead of floats. */
    private boolean bf16Cache;
    /** Per call-local sequence, its prompt's bfloat16 prefix copy ({@link TransformerModel#attachPrefix}) or null. */
    private PrefixGemms.Block[] sequencePrefixes = new PrefixGemms.Block[0];
    private boolean anyPrefix;
    private int[] lastIndexes = new int[0];

    ForwardPass(ModelConfig config, ModelWeights weights, MatmulBackend matmul) {
        this.c = config;
        this.w = weights;
        this.matmul = matmul;
        this.block = config.block();
        this.outputHead = weights.head();
        this.hidden = config.hiddenSize();
        this.rope = block.rotary() ? new Rope(block.rotaryDim(), config.ropeTheta(), config.ropeScaling(),
                block.positions() == BlockOptions.Positions.ROTARY_INTERLEAVED) : null;
        this.attention = new CachedAttention(config);
    }

    int[] lastTokenIndexes(int[] offsets, int count) {
        if (lastIndexes.length < count) {
            lastIndexes = new int[Math.max(count, 2 * lastIndexes.length)];
        }
        for (int i = 0; i < count; i++) {
            lastIndexes[i] = offsets[i + 1] - 1;
        }
        return lastIndexes;
    }

    float[] run(KvCache cache, int[] ids, int[] offsets, int count, int[] tokens, int[] outputTokens,
                int outputCount) {
        int total = offsets[count] - offsets[0];
        validate(cache, ids, offsets, count, tokens, outputTokens, outputCount, total);
        int width = outputHead.width();
        output = grow(output, (long) outputCount * width);
        if (startLengths.length < count) {
            startLengths = new int[count];
            sequencePages = new float[count][][];
            sequenceBf16Pages = new short[count][][];
            sequencePrefixes = new PrefixGemms.Block[count];
        }
        int maxPosition = 0;
        for (int i = 0; i < count; i++) {
            startLengths[i] = cache.length(ids[i]);
            maxPosition = Math.max(maxPosition, startLengths[i] + offsets[i + 1] - offsets[i]);
        }
        if (rope != null) {
            rope.ensure(maxPosition);
        }
        for (int i = 0; i < count; i++) {
            cache.reserve(ids[i], offsets[i + 1] - offsets[i]);
        }
        bf16Cache = cache.precision() == KvPrecision.BF16;
        for (int i = 0; i < count; i++) {
            if (bf16Cache) {
                sequenceBf16Pages[i] = cache.bf16Pages(ids[i], sequenceBf16Pages[i]);
            } else {
                sequencePages[i] = cache.pages(ids[i], sequencePages[i]);
            }
        }
        anyPrefix = false;
        for (int i = 0; i < count; i++) {
            // Never longer than the sequence: KvCache.attach checks it and truncate drops a copy it cuts into.
            sequencePrefixes[i] = cache.attachment(ids[i]) instanceof PrefixGemms.Block block ? block : null;
            anyPrefix |= sequencePrefixes[i] != null;
        }

        int chunk = Math.min(TransformerModel.CHUNK_TOKENS, total);
        ensureBuffers(chunk);
        int seq = 0;
        int within = 0;
        int done = 0;
        int outputRow = 0;
        while (done < total) {
            int n = 0;
            while (n < chunk && seq < count) {
                chunkTokens[n] = tokens[offsets[seq] + within];
                chunkPositions[n] = startLengths[seq] + within;
                chunkSequence[n] = seq;
                n++;
                within++;
                if (offsets[seq] + within == offsets[seq + 1]) {
                    seq++;
                    within = 0;
                }
            }
            runChunk(cache, n);
            outputRow = head(outputTokens, outputCount, outputRow, done, n, width);
            done += n;
        }
        for (int i = 0; i < count; i++) {
            cache.commit(ids[i], offsets[i + 1] - offsets[i]);
        }
        return output;
    }

    private void validate(KvCache cache, int[] ids, int[] offsets, int count, int[] tokens, int[] outputTokens,
                          int outputCount, int total) {
        for (int i = 0; i < count; i++) {
            if (!cache.contains(ids[i])) {
                throw new IllegalArgumentException("sequence " + ids[i] + " is not in the KV cache");
            }
            int n = offsets[i + 1] - offsets[i];
            if (n <= 0) {
                throw new IllegalArgumentException("sequence " + ids[i] + " has no new tokens");
            }
            int end = cache.length(ids[i]) + n;
            if (end > c.maxPositions()) {
                throw new BadInputException("sequence of " + end + " tokens exceeds the model's context window of "
                        + c.maxPositions() + " tokens (" + block.contextKey() + " in " + c.file() + ")");
            }
            for (int t = offsets[i]; t < offsets[i + 1]; t++) {
                if (tokens[t] < 0 || tokens[t] >= c.vocabSize()) {
                    throw new BadInputException("token id " + tokens[t] + " is outside the vocabulary [0, "
                            + c.vocabSize() + ") of " + c.file().getParent());
                }
            }
        }
        int previous = -1;
        for (int r = 0; r < outputCount; r++) {
            if (outputTokens[r] <= previous || outputTokens[r] >= total) {
                throw new IllegalArgumentException("output token indexes must ascend within [0, " + total + ")");
            }
            previous = outputTokens[r];
        }
    }

    private void runChunk(KvCache cache, int n) {
        embed(n);
        for (int layer = 0; layer < c.layers(); layer++) {
            LayerWeights lw = w.layers()[layer];
            normRows(x, n, lw.attentionNormWeight(), lw.attentionNormBias(), h);
            projectQkv(lw, n);
            positionAndStore(cache, lw, layer, n);
            long t0 = Profile.start();
            attention.run(layer, n, q, chunkSequence, chunkPositions, bf16Cache ? null : sequencePages,
                    bf16Cache ? sequenceBf16Pages : null, anyPrefix ? sequencePrefixes : null, attended);
            Profile.stop(Profile.ATTENTION, t0);
            if (block.parallelResidual()) {
                // GPT-J: x + attn(ln_1(x)) + mlp(ln_1(x)), both branches reading the same normed h.
                linear(attended, n, lw.o(), lw.oBias(), attentionOut);
                mlp(lw, n);
                addRows(projected, attentionOut, n * hidden);
                addRows(attentionOut, x, n * hidden);
            } else {
                linear(attended, n, lw.o(), lw.oBias(), projected);
                addRows(projected, x, n * hidden);
                normRows(x, n, lw.mlpNormWeight(), lw.mlpNormBias(), h);
                mlp(lw, n);
                addRows(projected, x, n * hidden);
            }
        }
    }

    private void embed(int n) {
        Parallel.forRange(n, (start, end) -> {
            for (int t = start; t < end; t++) {
                WeightRows.copyRow(w.embedTokens(), chunkTokens[t], x, t * hidden);
                if (w.positionEmbeddings() != null) {
                    WeightRows.copyRow(w.positionEmbeddings(), chunkPositions[t], h, t * hidden);
                    VectorOps.add(h, t * hidden, x, t * hidden, hidden);
                }
            }
        });
    }

    private void projectQkv(LayerWeights lw, int n) {
        if (lw.qkv() != null) {
            linear(h, n, lw.qkv(), lw.qkvBias(), qkv);
            for (int t = 0; t < n; t++) {
                int src = t * 3 * hidden;
                System.arraycopy(qkv, src, q, t * hidden, hidden);
                System.arraycopy(qkv, src + hidden, k, t * hidden, hidden);
                System.arraycopy(qkv, src + 2 * hidden, v, t * hidden, hidden);
            }
            return;
        }
        linear(h, n, lw.q(), lw.qBias(), q);
        linear(h, n, lw.k(), lw.kBias(), k);
        linear(h, n, lw.v(), lw.vBias(), v);
    }

    /** Per-head q/k norms (Qwen3), rotary positions, then this chunk's keys and values into the cache. */
    private void positionAndStore(KvCache cache, LayerWeights lw, int layer, int n) {
        int headDim = c.headDim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        float eps = (float) c.normEps();
        Parallel.forRange(n, (start, end) -> {
            for (int t = start; t < end; t++) {
                if (lw.qNorm() != null) {
                    for (int hh = 0; hh < c.heads(); hh++) {
                        int o = t * qDim + hh * headDim;
                        Norms.rmsNorm(q, o, lw.qNorm(), q, o, headDim, eps);
                    }
                    for (int hh = 0; hh < c.kvHeads(); hh++) {
                        int o = t * kvDim + hh * headDim;
                        Norms.rmsNorm(k, o, lw.kNorm(), k, o, headDim, eps);
                    }
                }
                if (rope != null) {
                    rope.apply(q, t * qDim, c.heads(), headDim, chunkPositions[t]);
                    rope.apply(k, t * kvDim, c.kvHeads(), headDim, chunkPositions[t]);
                }
                int position = chunkPositions[t];
                int slot = position % KvCache.PAGE_TOKENS;
                int keyAt = cache.keyBase(layer) + slot;
                int valueAt = cache.valueOffset(layer, slot);
                if (bf16Cache) {
                    // Rounded to nearest even once, here; attention widens them back exactly.
                    short[] page = sequenceBf16Pages[chunkSequence[t]][position / KvCache.PAGE_TOKENS];
                    for (int e = 0, from = t * kvDim; e < kvDim; e++) {
                        page[keyAt + e * KvCache.PAGE_TOKENS] = Bf16.fromFloat(k[from + e]);
                        page[valueAt + e] = Bf16.fromFloat(v[from + e]);
                    }
                } else {
                    float[] page = sequencePages[chunkSequence[t]][position / KvCache.PAGE_TOKENS];
                    for (int e = 0, from = t * kvDim; e < kvDim; e++) {
                        page[keyAt + e * KvCache.PAGE_TOKENS] = k[from + e];
                    }
                    System.arraycopy(v, t * kvDim, page, valueAt, kvDim);
                }
            }
        });
    }

    private void mlp(LayerWeights lw, int n) {
        int inter = c.intermediateSize();
        if (lw.gate() != null) {
            linear(h, n, lw.gate(), lw.gateBias(), gate);
            linear(h, n, lw.up(), lw.upBias(), up);
            Activations.siluMulRows(gate, up, n, inter);
            linear(gate, n, lw.down(), lw.downBias(), projected);
        } else {
            linear(h, n, lw.up(), lw.upBias(), up);
            String act = c.activation();
            Parallel.forRange(n, (start, end) -> {
                for (int t = start; t < end; t++) {
                    activateRow(act, up, t * inter, inter);
                }
            });
            linear(up, n, lw.down(), lw.downBias(), projected);
        }
    }

    private static void activateRow(String activation, float[] x, int off, int n) {
        if (activation.equals("gelu")) {
            Activations.geluErf(x, off, n);
        } else {
            Activations.geluNew(x, off, n);
        }
    }

    /** Final norm and head for the requested outputs that fall in this chunk; returns the next output row. */
    private int head(int[] outputTokens, int outputCount, int outputRow, int chunkStart, int n, int width) {
        int first = outputRow;
        int rows = 0;
        while (outputRow + rows < outputCount && outputTokens[outputRow + rows] < chunkStart + n) {
            rows++;
        }
        if (rows == 0) {
            return outputRow;
        }
        for (int r = 0; r < rows; r++) {
            int t = outputTokens[first + r] - chunkStart;
            System.arraycopy(x, t * hidden, headInput, r * hidden, hidden);
        }
        normRows(headInput, rows, w.finalNormWeight(), w.finalNormBias(), headInput);
        long t0 = Profile.start();
        if (first == 0) {
            outputHead.apply(headInput, rows, output, matmul);
        } else {
            headOutput = grow(headOutput, (long) rows * width);
            outputHead.apply(headInput, rows, headOutput, matmul);
            System.arraycopy(headOutput, 0, output, first * width, rows * width);
        }
        Profile.stop(Profile.HEAD, t0);
        return outputRow + rows;
    }

    private void normRows(float[] in, int n, float[] weight, float[] bias, float[] out) {
        float eps = (float) c.normEps();
        Parallel.forRange(n, (start, end) -> {
            for (int t = start; t < end; t++) {
                if (block.norm() == BlockOptions.Norm.LAYER) {
                    Norms.layerNorm(in, t * hidden, weight, bias, out, t * hidden, hidden, eps);
                } else {
                    Norms.rmsNorm(in, t * hidden, weight, out, t * hidden, hidden, eps);
                }
            }
        });
    }

    private void linear(float[] in, int n, WeightMatrix weight, float[] bias, float[] out) {
        long t0 = Profile.start();
        matmul.multiply(in, n, weight, out);
        if (bias != null) {
            VectorOps.addBiasRows(out, n, bias);
        }
        Profile.stop(Profile.MATMUL, t0);
    }

    private static void addRows(float[] from, float[] to, int n) {
        VectorOps.add(from, 0, to, 0, n);
    }

    private void ensureBuffers(int chunk) {
        if (chunkTokens.length >= chunk) {
            return;
        }
        int inter = c.intermediateSize();
        chunkTokens = new int[chunk];
        chunkPositions = new int[chunk];
        chunkSequence = new int[chunk];
        x = new float[chunk * hidden];
        h = new float[chunk * hidden];
        q = new float[chunk * Math.max(c.qDim(), hidden)];
        k = new float[chunk * Math.max(c.kvDim(), hidden)];
        v = new float[chunk * Math.max(c.kvDim(), hidden)];
        qkv = w.layers()[0].qkv() != null ? new float[chunk * 3 * hidden] : qkv;
        attended = new float[chunk * c.qDim()];
        projected = new float[chunk * hidden];
        gate = block.gatedMlp() ? new float[chunk * inter] : gate;
        attentionOut = block.parallelResidual() ? new float[chunk * hidden] : attentionOut;
        up = new float[chunk * inter];
        headInput = new float[chunk * hidden];
    }

    private static float[] grow(float[] buffer, long size) {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("output of " + size + " floats is too large for one call");
        }
        return buffer.length >= size ? buffer : new float[(int) size];
    }
}
