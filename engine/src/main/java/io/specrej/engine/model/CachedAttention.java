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
 * (grouped-query attention) work on the same pages while they are in cache. Scores are computed a page (16 tokens)
 * at a time from the transposed keys ({@link KvCache}): lanes over tokens, multiply-adds over the head's elements, no
 * horizontal sums. Each query head's output is accumulated in registers over the cached values (no store-to-load
 * chain through the output row).
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
        if (KvCache.PAGE_TOKENS % LANES != 0) {
            throw new IllegalStateException("vectors of " + LANES + " floats do not tile a " + KvCache.PAGE_TOKENS
                    + "-token page");
        }
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
        int maxes = group * span;
        int pageScores = maxes + group;
        float[] scores = scratch.get();
        if (scores.length < pageScores + KvCache.PAGE_TOKENS) {
            scores = new float[Math.max(pageScores + KvCache.PAGE_TOKENS, 2 * scores.length)];
            scratch.set(scores);
        }
        int kvOffset = g * headDim;
        int qBase = t * qDim + g * group * headDim;
        java.util.Arrays.fill(scores, maxes, maxes + group, Float.NEGATIVE_INFINITY);
        // Scores a page at a time: the page's keys are stored transposed, so each query head scores all its slots
        // with multiply-adds over the head's elements and no horizontal sums. Every key of a (sequence, position)
        // goes this same way whatever the batch, so the bits never depend on it.
        int keyElements = keyBase + kvOffset * KvCache.PAGE_TOKENS;
        for (int pageStart = first - first % KvCache.PAGE_TOKENS; pageStart <= position;
             pageStart += KvCache.PAGE_TOKENS) {
            float[] page = pages[pageStart / KvCache.PAGE_TOKENS];
            int from = Math.max(first, pageStart);
            int to = Math.min(position, pageStart + KvCache.PAGE_TOKENS - 1);
            for (int r = 0; r < group; r++) {
                scorePage(q, qBase + r * headDim, page, keyElements, scores, pageScores);
                int row = r * span - first;
                float max = scores[maxes + r];
                for (int j = from; j <= to; j++) {
                    float dot = scores[pageScores + j - pageStart];
                    float s = divideBySqrt ? dot / sqrtHeadDim : dot * scale;
                    scores[row + j] = s;
                    max = Math.max(max, s);
                }
                scores[maxes + r] = max;
            }
        }
        for (int r = 0; r < group; r++) {
            float sum = Exp.expShiftedInPlace(scores, r * span, span, scores[maxes + r]);
            scores[maxes + r] = 1f / sum; // the max is spent; keep the normaliser there
        }
        int r = 0;
        if (headDim % (4 * LANES) == 0) {
            // Two heads per pass over the values: each value row is read once for both.
            for (; r + 1 < group; r += 2) {
                weightedValuesPair(scores, r * span, scores[maxes + r], (r + 1) * span, scores[maxes + r + 1], first,
                        position, pages, valueBase + kvOffset, out, qBase + r * headDim, qBase + (r + 1) * headDim);
            }
        }
        for (; r < group; r++) {
            int qOffset = qBase + r * headDim;
            int s0 = r * span;
            float inv = scores[maxes + r];
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
     * {@code out[at + s] = sum_d q[qOffset + d] * key[s][d]} for the page's 16 slots, reading the transposed keys
     * (element d of every slot at {@code keys + d * PAGE_TOKENS}). Four accumulators over d (d mod 4), summed as
     * (a0 + a1) + (a2 + a3); slots past the sequence's end hold stale numbers and are ignored by the caller.
     */
    private void scorePage(float[] q, int qOffset, float[] page, int keys, float[] out, int at) {
        for (int lane = 0; lane < KvCache.PAGE_TOKENS; lane += LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int base = keys + lane;
            int d = 0;
            for (; d + 3 < headDim; d += 4) {
                int e = base + d * KvCache.PAGE_TOKENS;
                a0 = FloatVector.fromArray(SP, page, e).fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
                a1 = FloatVector.fromArray(SP, page, e + KvCache.PAGE_TOKENS)
                        .fma(FloatVector.broadcast(SP, q[qOffset + d + 1]), a1);
                a2 = FloatVector.fromArray(SP, page, e + 2 * KvCache.PAGE_TOKENS)
                        .fma(FloatVector.broadcast(SP, q[qOffset + d + 2]), a2);
                a3 = FloatVector.fromArray(SP, page, e + 3 * KvCache.PAGE_TOKENS)
                        .fma(FloatVector.broadcast(SP, q[qOffset + d + 3]), a3);
            }
            for (; d < headDim; d++) {
                a0 = FloatVector.fromArray(SP, page, base + d * KvCache.PAGE_TOKENS)
                        .fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
            }
            a0.add(a1).add(a2.add(a3)).intoArray(out, at + lane);
        }
    }

    /**
     * {@link #weightedValues} for two query heads of the group at once (eight accumulators): per element the same
     * multiply-add chain as one head at a time, so the same bits, with each value vector loaded once for both.
     */
    private void weightedValuesPair(float[] p, int pa, float inva, int pb, float invb, int first, int position,
                                    float[][] pages, int base, float[] out, int outA, int outB) {
        for (int d = 0; d < headDim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = base + (j % KvCache.PAGE_TOKENS) * kvDim + d;
                FloatVector alpha = FloatVector.broadcast(SP, p[pa + j - first] * inva);
                FloatVector beta = FloatVector.broadcast(SP, p[pb + j - first] * invb);
                FloatVector v0 = FloatVector.fromArray(SP, page, off);
                FloatVector v1 = FloatVector.fromArray(SP, page, off + LANES);
                FloatVector v2 = FloatVector.fromArray(SP, page, off + 2 * LANES);
                FloatVector v3 = FloatVector.fromArray(SP, page, off + 3 * LANES);
                a0 = v0.fma(alpha, a0);
                a1 = v1.fma(alpha, a1);
                a2 = v2.fma(alpha, a2);
                a3 = v3.fma(alpha, a3);
                b0 = v0.fma(beta, b0);
                b1 = v1.fma(beta, b1);
                b2 = v2.fma(beta, b2);
                b3 = v3.fma(beta, b3);
            }
            a0.intoArray(out, outA + d);
            a1.intoArray(out, outA + d + LANES);
            a2.intoArray(out, outA + d + 2 * LANES);
            a3.intoArray(out, outA + d + 3 * LANES);
            b0.intoArray(out, outB + d);
            b1.intoArray(out, outB + d + LANES);
            b2.intoArray(out, outB + d + 2 * LANES);
            b3.intoArray(out, outB + d + 3 * LANES);
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
