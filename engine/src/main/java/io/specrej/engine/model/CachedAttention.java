package io.specrej.engine.model;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.VectorOps;

/**
 * Causal self-attention of new tokens against their sequence's cached keys and values (already holding this
 * chunk's own keys and values). Work is split over (token, kv-head) pairs, so the query heads that share a kv head
 * (grouped-query attention) read each cached key once from cache-hot memory.
 */
final class CachedAttention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final int kvDim;
    private final int qDim;
    private final Integer slidingWindow;
    private final boolean divideBySqrt;
    private final float scale;
    private final float sqrtHeadDim;
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[256]);

    CachedAttention(ModelConfig c) {
        this.heads = c.heads();
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.group = heads / kvHeads;
        this.kvDim = c.kvDim();
        this.qDim = c.qDim();
        this.slidingWindow = c.slidingWindow();
        // transformers' GPT-2 divides by sqrt(head_dim); the Llama family multiplies by head_dim ** -0.5.
        this.divideBySqrt = c.family() == Family.GPT2;
        this.scale = (float) Math.pow(headDim, -0.5);
        this.sqrtHeadDim = (float) Math.sqrt(headDim);
    }

    /**
     * @param q         queries [n][qDim] (rotary positions applied)
     * @param sequence  chunk-local sequence index of each token
     * @param positions position of each token in its sequence
     * @param pages     per chunk-local sequence, its KV pages
     * @param out       attention output [n][qDim]
     */
    void run(int layer, int n, float[] q, int[] sequence, int[] positions, float[][][] pages, float[] out) {
        int keyBase = layer * 2 * KvCache.PAGE_TOKENS * kvDim;
        int valueBase = keyBase + KvCache.PAGE_TOKENS * kvDim;
        Parallel.forRange(n * kvHeads, (start, end) -> {
            for (int item = start; item < end; item++) {
                int t = item / kvHeads;
                int g = item % kvHeads;
                attendGroup(q, t, g, positions[t], pages[sequence[t]], keyBase, valueBase, out);
            }
        });
    }

    private void attendGroup(float[] q, int t, int g, int position, float[][] pages, int keyBase, int valueBase,
                             float[] out) {
        int first = slidingWindow == null ? 0 : Math.max(0, position - slidingWindow + 1);
        int span = position - first + 1;
        float[] scores = scratch.get();
        if (scores.length < group * span) {
            scores = new float[Math.max(group * span, 2 * scores.length)];
            scratch.set(scores);
        }
        int kvOffset = g * headDim;
        for (int r = 0; r < group; r++) {
            int qOffset = t * qDim + (g * group + r) * headDim;
            int s0 = r * span;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = keyBase + (j % KvCache.PAGE_TOKENS) * kvDim + kvOffset;
                float dot = VectorOps.dot(q, qOffset, page, off, headDim);
                float s = divideBySqrt ? dot / sqrtHeadDim : dot * scale;
                scores[s0 + j - first] = s;
                max = Math.max(max, s);
            }
            float sum = 0f;
            for (int j = 0; j < span; j++) {
                float e = (float) Math.exp(scores[s0 + j] - max);
                scores[s0 + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            java.util.Arrays.fill(out, qOffset, qOffset + headDim, 0f);
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = valueBase + (j % KvCache.PAGE_TOKENS) * kvDim + kvOffset;
                VectorOps.axpy(scores[s0 + j - first] * inv, page, off, out, qOffset, headDim);
            }
        }
    }
}
