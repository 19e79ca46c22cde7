package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.Bf16;
import io.specrej.engine.tensor.Exp;
import io.specrej.engine.tensor.Parallel;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link CachedAttention} against a plain scalar loop with the arithmetic it documents (per head: four partial dot
 * products over d mod 4, summed (a0 + a1) + (a2 + a3); scale; softmax through {@link Exp}; one multiply-add chain per
 * output element in increasing position), bit for bit, for every way the kernel splits a group of query heads (4, 3,
 * 2, 1 at a time), head sizes on and off the vector path, whole and cut pages, sliding windows, tokens of several
 * sequences alone and going through the pages in groups and value blocks, on one and two threads. The fixtures' tiny
 * models (head_dim 16, two heads per group) reach none of the multi-head kernels; real checkpoints do (Qwen2.5: 7
 * heads per group, head_dim 64). A double-precision softmax attention checks that the reference itself is attention.
 * A bfloat16 cache must give exactly what the float32 path gives on the same keys and values rounded to bfloat16
 * (its blocks are widened into scratch and read by the same kernels, including pages two sequences share).
 */
class CachedAttentionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}: {1} heads / {2} kv heads, head_dim {3}, window {4}")
    @CsvSource({
            "llama, 7, 1, 64, 0", "llama, 8, 2, 64, 0", "llama, 6, 2, 64, 0", "llama, 5, 1, 64, 0",
            "llama, 3, 1, 64, 0", "llama, 4, 4, 64, 0", "llama, 2, 1, 128, 0", "llama, 9, 3, 18, 0",
            "llama, 4, 2, 16, 0", "mistral, 14, 2, 64, 21", "mistral, 4, 1, 20, 5", "gpt2, 3, 3, 64, 0"})
    void matchesTheScalarReferenceBitForBit(String family, int heads, int kvHeads, int headDim, int window) {
        ModelConfig c = config(family, heads, kvHeads, headDim, window);
        assertEquals(heads, c.heads());
        assertEquals(kvHeads, c.kvHeads());
        assertEquals(headDim, c.headDim());
        int layers = 2;
        int layer = 1;
        Random random = new Random(heads * 1000L + kvHeads * 100L + headDim + window);
        KvCache layout = new KvCache(layers, c.kvDim());
        // Three sequences (70, 33 and 150 cached tokens) and tokens at whole-page ends, cut pages, position 0 and past
        // a value block (64 positions); 19 tokens make groups of 8, 8 and 3 (and others on one and two threads).
        int[] lengths = {70, 33, 150};
        float[][][] pages = new float[lengths.length][][];
        for (int s = 0; s < lengths.length; s++) {
            pages[s] = new float[(lengths[s] + KvCache.PAGE_TOKENS - 1) / KvCache.PAGE_TOKENS][];
            for (int p = 0; p < pages[s].length; p++) {
                pages[s][p] = new float[layers * 2 * KvCache.PAGE_TOKENS * c.kvDim()];
                for (int i = 0; i < pages[s][p].length; i++) {
                    pages[s][p][i] = (float) random.nextGaussian();
                }
            }
        }
        // Sequence 1 forked from sequence 0 after one page: they share it, as forks of one prompt do.
        pages[1][0] = pages[0][0];
        int[] sequence = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1, 2, 2, 2, 0, 1, 2};
        int[] positions = {0, 15, 47, 69, 16, 31, 32, 149, 63, 64, 128, 68, 0, 1, 100, 143, 33, 17, 127};
        int n = sequence.length;
        float[] q = new float[n * c.qDim()];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) random.nextGaussian() * 0.5f;
        }
        assertMatchesReference(c, layout, layer, q, sequence, positions, pages, pages, null);

        // The same cache in bfloat16 (shared pages stay shared) against the reference on the rounded floats.
        java.util.IdentityHashMap<float[], short[]> bits = new java.util.IdentityHashMap<>();
        java.util.IdentityHashMap<float[], float[]> rounded = new java.util.IdentityHashMap<>();
        short[][][] bf16Pages = new short[pages.length][][];
        float[][][] roundedPages = new float[pages.length][][];
        for (int s = 0; s < pages.length; s++) {
            bf16Pages[s] = new short[pages[s].length][];
            roundedPages[s] = new float[pages[s].length][];
            for (int p = 0; p < pages[s].length; p++) {
                float[] page = pages[s][p];
                bf16Pages[s][p] = bits.computeIfAbsent(page, f -> {
                    short[] b = new short[f.length];
                    for (int i = 0; i < f.length; i++) {
                        b[i] = Bf16.fromFloat(f[i]);
                    }
                    return b;
                });
                roundedPages[s][p] = rounded.computeIfAbsent(page, f -> {
                    float[] r = new float[f.length];
                    for (int i = 0; i < f.length; i++) {
                        r[i] = Bf16.round(f[i]);
                    }
                    return r;
                });
            }
        }
        assertMatchesReference(c, layout, layer, q, sequence, positions, roundedPages, null, bf16Pages);
    }

    /**
     * Runs the attention over {@code f32Pages} or {@code bf16Pages} (one of them null) with every token alone and in
     * groups, on one and two threads, and checks each run bit for bit against the scalar reference over
     * {@code referencePages} (and that reference against double-precision attention).
     */
    private static void assertMatchesReference(ModelConfig c, KvCache layout, int layer, float[] q, int[] sequence,
                                               int[] positions, float[][][] referencePages, float[][][] f32Pages,
                                               short[][][] bf16Pages) {
        int n = sequence.length;
        int heads = c.heads();
        int headDim = c.headDim();
        float[] out = runEveryWay(c, layer, q, sequence, positions, f32Pages, bf16Pages, null);

        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) {
                float[][] seqPages = referencePages[sequence[t]];
                float[] expected = reference(c, layout, layer, q, t, h, positions[t], seqPages);
                double[] exact = exactAttention(c, layout, layer, q, t, h, positions[t], seqPages);
                for (int e = 0; e < headDim; e++) {
                    float actual = out[t * c.qDim() + h * headDim + e];
                    assertEquals(Float.floatToRawIntBits(expected[e]), Float.floatToRawIntBits(actual),
                            "token " + t + " head " + h + " element " + e + ": " + actual + " vs " + expected[e]);
                    assertTrue(Math.abs(exact[e] - actual) < 1e-4, "token " + t + " head " + h + " element " + e
                            + ": " + actual + " vs double-precision " + exact[e]);
                }
            }
        }
    }

    /**
     * Runs the attention with every token alone (the default for short contexts) and in groups (forced), on one and
     * two threads; checks that all four runs give the same bits and returns the last one's output.
     */
    private static float[] runEveryWay(ModelConfig c, int layer, float[] q, int[] sequence, int[] positions,
                                       float[][][] f32Pages, short[][][] bf16Pages,
                                       io.specrej.engine.tensor.onednn.PrefixGemms.Block[] prefixes) {
        int n = sequence.length;
        float[][] outs = new float[4][];
        int saved = Parallel.threads();
        try {
            for (int run = 0; run < outs.length; run++) {
                Parallel.setThreads(1 + run % 2);
                outs[run] = new float[n * c.qDim()];
                new CachedAttention(c, run < 2 ? CachedAttention.GROUP_FROM_BYTES : 0)
                        .run(layer, n, q, sequence, positions, f32Pages, bf16Pages, prefixes, outs[run]);
            }
        } finally {
            Parallel.setThreads(saved);
        }
        for (int run = 1; run < outs.length; run++) {
            for (int i = 0; i < outs[0].length; i++) {
                assertEquals(Float.floatToRawIntBits(outs[0][i]), Float.floatToRawIntBits(outs[run][i]),
                        "run " + run + ", element " + i);
            }
        }
        return outs[outs.length - 1];
    }

    private static float[] reference(ModelConfig c, KvCache layout, int layer, float[] q, int t, int h, int position,
                                     float[][] pages) {
        int headDim = c.headDim();
        int g = h / (c.heads() / c.kvHeads());
        int first = c.slidingWindow() == null ? 0 : Math.max(0, position - c.slidingWindow() + 1);
        int span = position - first + 1;
        float[] p = new float[span];
        float max = Float.NEGATIVE_INFINITY;
        int qOffset = t * c.qDim() + h * headDim;
        for (int j = first; j <= position; j++) {
            float[] page = pages[j / KvCache.PAGE_TOKENS];
            int slot = j % KvCache.PAGE_TOKENS;
            float[] a = new float[4];
            int d = 0;
            for (; d + 3 < headDim; d += 4) {
                for (int u = 0; u < 4; u++) {
                    a[u] = Math.fma(q[qOffset + d + u], key(layout, layer, page, slot, g * headDim + d + u), a[u]);
                }
            }
            for (; d < headDim; d++) {
                a[0] = Math.fma(q[qOffset + d], key(layout, layer, page, slot, g * headDim + d), a[0]);
            }
            float dot = (a[0] + a[1]) + (a[2] + a[3]);
            float s = c.block().divideScoresBySqrt() ? dot / (float) Math.sqrt(headDim)
                    : dot * (float) Math.pow(headDim, -0.5);
            p[j - first] = s;
            max = Math.max(max, s);
        }
        float inv = 1f / Exp.expShiftedInPlace(p, 0, span, max);
        float[] out = new float[headDim];
        for (int e = 0; e < headDim; e++) {
            float acc = 0f;
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                float v = page[layout.valueOffset(layer, j % KvCache.PAGE_TOKENS) + g * headDim + e];
                acc = Math.fma(v, p[j - first] * inv, acc);
            }
            out[e] = acc;
        }
        return out;
    }

    private static double[] exactAttention(ModelConfig c, KvCache layout, int layer, float[] q, int t, int h,
                                           int position, float[][] pages) {
        int headDim = c.headDim();
        int g = h / (c.heads() / c.kvHeads());
        int first = c.slidingWindow() == null ? 0 : Math.max(0, position - c.slidingWindow() + 1);
        double[] w = new double[position - first + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = first; j <= position; j++) {
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += (double) q[t * c.qDim() + h * headDim + d]
                        * key(layout, layer, pages[j / KvCache.PAGE_TOKENS], j % KvCache.PAGE_TOKENS, g * headDim + d);
            }
            w[j - first] = dot / Math.sqrt(headDim);
            max = Math.max(max, w[j - first]);
        }
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.exp(w[i] - max);
            sum += w[i];
        }
        double[] out = new double[headDim];
        for (int j = first; j <= position; j++) {
            float[] page = pages[j / KvCache.PAGE_TOKENS];
            for (int e = 0; e < headDim; e++) {
                out[e] += w[j - first] / sum
                        * page[layout.valueOffset(layer, j % KvCache.PAGE_TOKENS) + g * headDim + e];
            }
        }
        return out;
    }

    private static float key(KvCache layout, int layer, float[] page, int slot, int element) {
        return page[layout.keyBase(layer) + element * KvCache.PAGE_TOKENS + slot];
    }

    private static ModelConfig config(String family, int heads, int kvHeads, int headDim, int window) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model_type", family);
        root.put("vocab_size", 64);
        if (family.equals("gpt2")) {
            root.put("n_embd", heads * headDim);
            root.put("n_head", heads);
            root.put("n_layer", 2);
            root.put("n_positions", 256);
        } else {
            root.put("hidden_size", heads * headDim);
            root.put("head_dim", headDim);
            root.put("num_attention_heads", heads);
            root.put("num_key_value_heads", kvHeads);
            root.put("num_hidden_layers", 2);
            root.put("intermediate_size", 32);
            root.put("max_position_embeddings", 256);
            if (window > 0) {
                root.put("sliding_window", window);
            }
        }
        return ModelConfig.parse(Path.of("test-config.json"), root);
    }

    /**
     * Attention with a prefix copy ({@link io.specrej.engine.tensor.onednn.PrefixGemms}) against double precision:
     * keys, values and queries are bfloat16 numbers and the reference rounds the prefix's probabilities to bfloat16
     * as the products do, so what is left is float32 sums (1e-4 of the output's size allows them; without the
     * reference's rounding the differences were ~3e-4, and a position scored twice or skipped moves an output by about
     * 1/span of it). Prefix lengths cut a page and end one; tokens within, at and past page ends; one
     * and two threads, tokens grouped and alone, the same bits.
     */
    @ParameterizedTest(name = "{0}: {1} heads / {2} kv heads, head_dim {3}, prefix {4}")
    @CsvSource({"llama, 7, 1, 64, 37", "llama, 8, 2, 64, 32", "llama, 4, 2, 16, 70", "gpt2, 3, 3, 64, 5",
            "llama, 16, 1, 16, 40"})
    void prefixCopyMatchesDoublePrecision(String family, int heads, int kvHeads, int headDim, int prefix) {
        io.specrej.engine.tensor.OneDnnAvailability.requireOneDnn();
        io.specrej.engine.tensor.onednn.PrefixGemms gemms;
        try {
            gemms = io.specrej.engine.tensor.onednn.PrefixGemms.instance();
        } catch (IllegalStateException e) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, e.getMessage());
            return;
        }
        ModelConfig c = config(family, heads, kvHeads, headDim, 0);
        int layers = 2;
        int layer = 1;
        Random random = new Random(heads * 31L + prefix);
        KvCache cache = new KvCache(layers, c.kvDim());
        int id = cache.newSequence();
        int total = prefix + 40;
        cache.reserve(id, total);
        for (int pos = 0; pos < total; pos++) {
            float[] page = cache.page(id, pos);
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < c.kvDim(); e++) {
                    page[cache.keyBase(l) + e * KvCache.PAGE_TOKENS + pos % KvCache.PAGE_TOKENS] =
                            Bf16.round((float) random.nextGaussian());
                    page[cache.valueOffset(l, pos % KvCache.PAGE_TOKENS) + e] = Bf16.round((float) random.nextGaussian());
                }
            }
        }
        cache.commit(id, prefix);
        try (io.specrej.engine.tensor.onednn.PrefixGemms.Block block = PrefixCopies.build(c, cache, id)) {
            cache.commit(id, total - prefix);
            int[] positions = {prefix, prefix + 1, prefix + 10, total - 1, prefix + 26, prefix, total - 2,
                prefix + 15, prefix + 16};
            int n = positions.length;
            int[] sequence = new int[n];
            float[] q = new float[n * c.qDim()];
            for (int i = 0; i < q.length; i++) {
                q[i] = Bf16.round((float) random.nextGaussian() * 0.5f);
            }
            float[][][] pages = {cache.pages(id, null)};
            io.specrej.engine.tensor.onednn.PrefixGemms.Block[] prefixes = {block};
            float[] out = runEveryWay(c, layer, q, sequence, positions, pages, null, prefixes);
            int group = heads / kvHeads;
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    int g = h / group;
                    double[] w = new double[positions[t] + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= positions[t]; j++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += (double) q[t * c.qDim() + h * headDim + d]
                                    * key(cache, layer, pages[0][j / KvCache.PAGE_TOKENS], j % KvCache.PAGE_TOKENS,
                                    g * headDim + d);
                        }
                        w[j] = dot * Math.pow(headDim, -0.5);
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= positions[t]; j++) {
                        w[j] = Math.exp(w[j] - max);
                        sum += w[j];
                    }
                    for (int e = 0; e < headDim; e++) {
                        double exact = 0;
                        double size = 0;
                        for (int j = 0; j <= positions[t]; j++) {
                            // The prefix's probabilities go to the products rounded to bfloat16.
                            double p = j < prefix ? Bf16.round((float) (w[j] / sum)) : w[j] / sum;
                            float v = pages[0][j / KvCache.PAGE_TOKENS][cache.valueOffset(layer,
                                    j % KvCache.PAGE_TOKENS) + g * headDim + e];
                            exact += p * v;
                            size += Math.abs(p * v);
                        }
                        float actual = out[t * c.qDim() + h * headDim + e];
                        assertTrue(Math.abs(actual - exact) <= 1e-4 * size + 1e-6, "token at " + positions[t]
                                + " head " + h + " element " + e + ": " + actual + " vs " + exact + " (size " + size
                                + ")");
                    }
                }
            }
        }
    }
}
