package io.specrej.engine.model;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.Exp;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.VectorOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal self-attention of new tokens against their sequence's cached keys and values (already holding this
 * chunk's own keys and values). Work is split over (token, kv-head) pairs, so the query heads that share a kv head
 * (grouped-query attention) read each cached key once, and each query head's output is accumulated in registers
 * over the cached values (no store-to-load chain through the output row).
 */
final class CachedAttention {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SP.length();
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
        if (scores.length < group * (span + 1)) {
            scores = new float[Math.max(group * (span + 1), 2 * scores.length)];
            scratch.set(scores);
        }
        int kvOffset = g * headDim;
        int qBase = t * qDim + g * group * headDim;
        // Scores, key by key: each cached key is read once for all the query heads that share it.
        int maxes = group * span;
        java.util.Arrays.fill(scores, maxes, maxes + group, Float.NEGATIVE_INFINITY);
        for (int j = first; j <= position; j++) {
            float[] page = pages[j / KvCache.PAGE_TOKENS];
            int off = keyBase + (j % KvCache.PAGE_TOKENS) * kvDim + kvOffset;
            for (int r = 0; r < group; r++) {
                float dot = VectorOps.dot(q, qBase + r * headDim, page, off, headDim);
                float s = divideBySqrt ? dot / sqrtHeadDim : dot * scale;
                scores[r * span + j - first] = s;
                scores[maxes + r] = Math.max(scores[maxes + r], s);
            }
        }
        for (int r = 0; r < group; r++) {
            int qOffset = qBase + r * headDim;
            int s0 = r * span;
            float sum = Exp.expShiftedInPlace(scores, s0, span, scores[maxes + r]);
            float inv = 1f / sum;
            if (headDim % (4 * LANES) == 0) {
                weightedValues(scores, s0, inv, first, position, pages, valueBase + kvOffset, out, qOffset);
                continue;
            }
            java.util.Arrays.fill(out, qOffset, qOffset + headDim, 0f);
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = valueBase + (j % KvCache.PAGE_TOKENS) * kvDim + kvOffset;
                VectorOps.axpy(scores[s0 + j - first] * inv, page, off, out, qOffset, headDim);
            }
        }
    }

    /**
     * {@code out = sum_j (p_j * inv) * v_j}, accumulated in registers four vectors at a time. Per element it is the
     * same fused multiply-add chain in increasing j, from +0, as {@link VectorOps#axpy} into a zeroed row, so the
     * bits are the same as that loop's (which handles head sizes that are not a multiple of 4 vectors).
     */
    private void weightedValues(float[] p, int p0, float inv, int first, int position, float[][] pages, int base,
                                float[] out, int outOffset) {
        for (int d = 0; d < headDim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = FloatVector.zero(SP);
            FloatVector a2 = FloatVector.zero(SP);
            FloatVector a3 = FloatVector.zero(SP);
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = base + (j % KvCache.PAGE_TOKENS) * kvDim + d;
                FloatVector alpha = FloatVector.broadcast(SP, p[p0 + j - first] * inv);
                a0 = FloatVector.fromArray(SP, page, off).fma(alpha, a0);
                a1 = FloatVector.fromArray(SP, page, off + LANES).fma(alpha, a1);
                a2 = FloatVector.fromArray(SP, page, off + 2 * LANES).fma(alpha, a2);
                a3 = FloatVector.fromArray(SP, page, off + 3 * LANES).fma(alpha, a3);
            }
            a0.intoArray(out, outOffset + d);
            a1.intoArray(out, outOffset + d + LANES);
            a2.intoArray(out, outOffset + d + 2 * LANES);
            a3.intoArray(out, outOffset + d + 3 * LANES);
        }
    }
}
