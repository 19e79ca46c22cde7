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
 * horizontal sums, up to four query heads per key load. Each query head's output is accumulated in registers over
 * the cached values, up to four heads per value load. Which heads go together changes only how often a key or value
 * is loaded, never the arithmetic of a head: every head gets the same bits however its group is split
 * (CachedAttentionTest checks each split against a scalar loop).
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
        // Scratch: the group's score rows [group][span], then its maxima, then the running per-lane maxima of whole
        // pages [group][PAGE_TOKENS], then the current page's raw dot products [group][PAGE_TOKENS].
        int maxes = group * span;
        int laneMaxes = maxes + group;
        int pageScores = laneMaxes + group * KvCache.PAGE_TOKENS;
        float[] scores = scratch.get();
        int needed = pageScores + group * KvCache.PAGE_TOKENS;
        if (scores.length < needed) {
            scores = new float[Math.max(needed, 2 * scores.length)];
            scratch.set(scores);
        }
        int kvOffset = g * headDim;
        int qBase = t * qDim + g * group * headDim;
        java.util.Arrays.fill(scores, maxes, pageScores, Float.NEGATIVE_INFINITY);
        // Scores a page at a time: the page's keys are stored transposed, so each query head scores all its slots
        // with multiply-adds over the head's elements and no horizontal sums; up to four heads share each key load.
        // Every key of a (sequence, position) goes this same way whatever the batch, so the bits never depend on it.
        int keyElements = keyBase + kvOffset * KvCache.PAGE_TOKENS;
        for (int pageStart = first - first % KvCache.PAGE_TOKENS; pageStart <= position;
             pageStart += KvCache.PAGE_TOKENS) {
            float[] page = pages[pageStart / KvCache.PAGE_TOKENS];
            int r = 0;
            for (; r + 3 < group; r += 4) {
                scorePage4(q, qBase + r * headDim, page, keyElements, scores, pageScores + r * KvCache.PAGE_TOKENS);
            }
            if (r + 2 < group) {
                scorePage3(q, qBase + r * headDim, page, keyElements, scores, pageScores + r * KvCache.PAGE_TOKENS);
                r += 3;
            }
            for (; r + 1 < group; r += 2) {
                scorePage2(q, qBase + r * headDim, page, keyElements, scores, pageScores + r * KvCache.PAGE_TOKENS);
            }
            for (; r < group; r++) {
                scorePage(q, qBase + r * headDim, page, keyElements, scores, pageScores + r * KvCache.PAGE_TOKENS);
            }
            int from = Math.max(first, pageStart);
            int to = Math.min(position, pageStart + KvCache.PAGE_TOKENS - 1);
            if (to - from + 1 == KvCache.PAGE_TOKENS) {
                scaleWholePage(scores, span, first, pageStart, pageScores, laneMaxes);
            } else {
                scalePartialPage(scores, span, first, pageStart, from, to, pageScores, maxes);
            }
        }
        for (int r = 0; r < group; r++) {
            // A maximum is exact in any order: fold the whole pages' lane maxima into the partial pages' maximum.
            float max = scores[maxes + r];
            for (int lane = 0; lane < KvCache.PAGE_TOKENS; lane++) {
                max = Math.max(max, scores[laneMaxes + r * KvCache.PAGE_TOKENS + lane]);
            }
            float sum = Exp.expShiftedInPlace(scores, r * span, span, max);
            VectorOps.scale(scores, r * span, span, 1f / sum);
        }
        int r = 0;
        if (headDim % (4 * LANES) == 0) {
            // Several heads per pass over the values: each value row is read once for all of them.
            for (; r + 3 < group; r += 4) {
                weightedValues4(scores, r * span, span, first, position, pages, valueBase + kvOffset, out,
                        qBase + r * headDim);
            }
            if (r + 2 < group) {
                weightedValues3(scores, r * span, span, first, position, pages, valueBase + kvOffset, out,
                        qBase + r * headDim);
                r += 3;
            }
            for (; r + 1 < group; r += 2) {
                weightedValuesPair(scores, r * span, (r + 1) * span, first, position, pages, valueBase + kvOffset,
                        out, qBase + r * headDim, qBase + (r + 1) * headDim);
            }
            for (; r < group; r++) {
                weightedValues(scores, r * span, first, position, pages, valueBase + kvOffset, out,
                        qBase + r * headDim);
            }
            return;
        }
        for (; r < group; r++) {
            int qOffset = qBase + r * headDim;
            int s0 = r * span;
            java.util.Arrays.fill(out, qOffset, qOffset + headDim, 0f);
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = valueBase + (j % KvCache.PAGE_TOKENS) * kvDim + kvOffset;
                VectorOps.axpy(scores[s0 + j - first], page, off, out, qOffset, headDim);
            }
        }
    }

    /**
     * A page whose 16 slots all count: scales every head's dot products into its score row and keeps a running
     * maximum per lane ({@code dot * scale}, or {@code dot / sqrt(head_dim)} for GPT-2: the same per-element
     * arithmetic as {@link #scalePartialPage}).
     */
    private void scaleWholePage(float[] scores, int span, int first, int pageStart, int pageScores, int laneMaxes) {
        for (int r = 0; r < group; r++) {
            int row = r * span - first + pageStart;
            for (int lane = 0; lane < KvCache.PAGE_TOKENS; lane += LANES) {
                FloatVector dot = FloatVector.fromArray(SP, scores, pageScores + r * KvCache.PAGE_TOKENS + lane);
                FloatVector s = divideBySqrt ? dot.div(sqrtHeadDim) : dot.mul(scale);
                s.intoArray(scores, row + lane);
                int at = laneMaxes + r * KvCache.PAGE_TOKENS + lane;
                FloatVector.fromArray(SP, scores, at).max(s).intoArray(scores, at);
            }
        }
    }

    /** A page cut by the sequence's end or the sliding window: slots {@code from..to} only. */
    private void scalePartialPage(float[] scores, int span, int first, int pageStart, int from, int to,
                                  int pageScores, int maxes) {
        for (int r = 0; r < group; r++) {
            int row = r * span - first;
            float max = scores[maxes + r];
            for (int j = from; j <= to; j++) {
                float dot = scores[pageScores + r * KvCache.PAGE_TOKENS + j - pageStart];
                float s = divideBySqrt ? dot / sqrtHeadDim : dot * scale;
                scores[row + j] = s;
                max = Math.max(max, s);
            }
            scores[maxes + r] = max;
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
     * {@link #scorePage} for two consecutive query heads (queries at {@code qOffset} and {@code qOffset + headDim},
     * dot products at {@code at} and {@code at + PAGE_TOKENS}): per head the same accumulators in the same order, so
     * the same bits, with each key vector loaded once for both.
     */
    private void scorePage2(float[] q, int qOffset, float[] page, int keys, float[] out, int at) {
        int qb = qOffset + headDim;
        for (int lane = 0; lane < KvCache.PAGE_TOKENS; lane += LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            int base = keys + lane;
            int d = 0;
            for (; d + 3 < headDim; d += 4) {
                int e = base + d * KvCache.PAGE_TOKENS;
                FloatVector k0 = FloatVector.fromArray(SP, page, e);
                FloatVector k1 = FloatVector.fromArray(SP, page, e + KvCache.PAGE_TOKENS);
                FloatVector k2 = FloatVector.fromArray(SP, page, e + 2 * KvCache.PAGE_TOKENS);
                FloatVector k3 = FloatVector.fromArray(SP, page, e + 3 * KvCache.PAGE_TOKENS);
                a0 = k0.fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
                a1 = k1.fma(FloatVector.broadcast(SP, q[qOffset + d + 1]), a1);
                a2 = k2.fma(FloatVector.broadcast(SP, q[qOffset + d + 2]), a2);
                a3 = k3.fma(FloatVector.broadcast(SP, q[qOffset + d + 3]), a3);
                b0 = k0.fma(FloatVector.broadcast(SP, q[qb + d]), b0);
                b1 = k1.fma(FloatVector.broadcast(SP, q[qb + d + 1]), b1);
                b2 = k2.fma(FloatVector.broadcast(SP, q[qb + d + 2]), b2);
                b3 = k3.fma(FloatVector.broadcast(SP, q[qb + d + 3]), b3);
            }
            for (; d < headDim; d++) {
                FloatVector k = FloatVector.fromArray(SP, page, base + d * KvCache.PAGE_TOKENS);
                a0 = k.fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
                b0 = k.fma(FloatVector.broadcast(SP, q[qb + d]), b0);
            }
            a0.add(a1).add(a2.add(a3)).intoArray(out, at + lane);
            b0.add(b1).add(b2.add(b3)).intoArray(out, at + KvCache.PAGE_TOKENS + lane);
        }
    }

    /** {@link #scorePage2} for four consecutive query heads (sixteen accumulators; the same bits per head). */
    private void scorePage4(float[] q, int qOffset, float[] page, int keys, float[] out, int at) {
        int qb = qOffset + headDim;
        int qc = qb + headDim;
        int qd = qc + headDim;
        for (int lane = 0; lane < KvCache.PAGE_TOKENS; lane += LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector c2 = a0;
            FloatVector c3 = a0;
            FloatVector e0 = a0;
            FloatVector e1 = a0;
            FloatVector e2 = a0;
            FloatVector e3 = a0;
            int base = keys + lane;
            int d = 0;
            for (; d + 3 < headDim; d += 4) {
                int e = base + d * KvCache.PAGE_TOKENS;
                FloatVector k0 = FloatVector.fromArray(SP, page, e);
                FloatVector k1 = FloatVector.fromArray(SP, page, e + KvCache.PAGE_TOKENS);
                FloatVector k2 = FloatVector.fromArray(SP, page, e + 2 * KvCache.PAGE_TOKENS);
                FloatVector k3 = FloatVector.fromArray(SP, page, e + 3 * KvCache.PAGE_TOKENS);
                a0 = k0.fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
                a1 = k1.fma(FloatVector.broadcast(SP, q[qOffset + d + 1]), a1);
                a2 = k2.fma(FloatVector.broadcast(SP, q[qOffset + d + 2]), a2);
                a3 = k3.fma(FloatVector.broadcast(SP, q[qOffset + d + 3]), a3);
                b0 = k0.fma(FloatVector.broadcast(SP, q[qb + d]), b0);
                b1 = k1.fma(FloatVector.broadcast(SP, q[qb + d + 1]), b1);
                b2 = k2.fma(FloatVector.broadcast(SP, q[qb + d + 2]), b2);
                b3 = k3.fma(FloatVector.broadcast(SP, q[qb + d + 3]), b3);
                c0 = k0.fma(FloatVector.broadcast(SP, q[qc + d]), c0);
                c1 = k1.fma(FloatVector.broadcast(SP, q[qc + d + 1]), c1);
                c2 = k2.fma(FloatVector.broadcast(SP, q[qc + d + 2]), c2);
                c3 = k3.fma(FloatVector.broadcast(SP, q[qc + d + 3]), c3);
                e0 = k0.fma(FloatVector.broadcast(SP, q[qd + d]), e0);
                e1 = k1.fma(FloatVector.broadcast(SP, q[qd + d + 1]), e1);
                e2 = k2.fma(FloatVector.broadcast(SP, q[qd + d + 2]), e2);
                e3 = k3.fma(FloatVector.broadcast(SP, q[qd + d + 3]), e3);
            }
            for (; d < headDim; d++) {
                FloatVector k = FloatVector.fromArray(SP, page, base + d * KvCache.PAGE_TOKENS);
                a0 = k.fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
                b0 = k.fma(FloatVector.broadcast(SP, q[qb + d]), b0);
                c0 = k.fma(FloatVector.broadcast(SP, q[qc + d]), c0);
                e0 = k.fma(FloatVector.broadcast(SP, q[qd + d]), e0);
            }
            a0.add(a1).add(a2.add(a3)).intoArray(out, at + lane);
            b0.add(b1).add(b2.add(b3)).intoArray(out, at + KvCache.PAGE_TOKENS + lane);
            c0.add(c1).add(c2.add(c3)).intoArray(out, at + 2 * KvCache.PAGE_TOKENS + lane);
            e0.add(e1).add(e2.add(e3)).intoArray(out, at + 3 * KvCache.PAGE_TOKENS + lane);
        }
    }

    /** {@link #scorePage2} for three consecutive query heads (twelve accumulators; the same bits per head). */
    private void scorePage3(float[] q, int qOffset, float[] page, int keys, float[] out, int at) {
        int qb = qOffset + headDim;
        int qc = qb + headDim;
        for (int lane = 0; lane < KvCache.PAGE_TOKENS; lane += LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector c2 = a0;
            FloatVector c3 = a0;
            int base = keys + lane;
            int d = 0;
            for (; d + 3 < headDim; d += 4) {
                int e = base + d * KvCache.PAGE_TOKENS;
                FloatVector k0 = FloatVector.fromArray(SP, page, e);
                FloatVector k1 = FloatVector.fromArray(SP, page, e + KvCache.PAGE_TOKENS);
                FloatVector k2 = FloatVector.fromArray(SP, page, e + 2 * KvCache.PAGE_TOKENS);
                FloatVector k3 = FloatVector.fromArray(SP, page, e + 3 * KvCache.PAGE_TOKENS);
                a0 = k0.fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
                a1 = k1.fma(FloatVector.broadcast(SP, q[qOffset + d + 1]), a1);
                a2 = k2.fma(FloatVector.broadcast(SP, q[qOffset + d + 2]), a2);
                a3 = k3.fma(FloatVector.broadcast(SP, q[qOffset + d + 3]), a3);
                b0 = k0.fma(FloatVector.broadcast(SP, q[qb + d]), b0);
                b1 = k1.fma(FloatVector.broadcast(SP, q[qb + d + 1]), b1);
                b2 = k2.fma(FloatVector.broadcast(SP, q[qb + d + 2]), b2);
                b3 = k3.fma(FloatVector.broadcast(SP, q[qb + d + 3]), b3);
                c0 = k0.fma(FloatVector.broadcast(SP, q[qc + d]), c0);
                c1 = k1.fma(FloatVector.broadcast(SP, q[qc + d + 1]), c1);
                c2 = k2.fma(FloatVector.broadcast(SP, q[qc + d + 2]), c2);
                c3 = k3.fma(FloatVector.broadcast(SP, q[qc + d + 3]), c3);
            }
            for (; d < headDim; d++) {
                FloatVector k = FloatVector.fromArray(SP, page, base + d * KvCache.PAGE_TOKENS);
                a0 = k.fma(FloatVector.broadcast(SP, q[qOffset + d]), a0);
                b0 = k.fma(FloatVector.broadcast(SP, q[qb + d]), b0);
                c0 = k.fma(FloatVector.broadcast(SP, q[qc + d]), c0);
            }
            a0.add(a1).add(a2.add(a3)).intoArray(out, at + lane);
            b0.add(b1).add(b2.add(b3)).intoArray(out, at + KvCache.PAGE_TOKENS + lane);
            c0.add(c1).add(c2.add(c3)).intoArray(out, at + 2 * KvCache.PAGE_TOKENS + lane);
        }
    }

    /**
     * {@code out = sum_j p_j * v_j} over positions {@code first..position} for one query head ({@code p} already
     * normalised), accumulated in registers four vectors at a time. Per element it is the same fused multiply-add
     * chain in increasing j, from +0, as {@link VectorOps#axpy} into a zeroed row, so the bits are the same as that
     * loop's (which handles head sizes that are not a multiple of 4 vectors).
     */
    private void weightedValues(float[] p, int p0, int first, int position, float[][] pages, int base, float[] out,
                                int outOffset) {
        for (int d = 0; d < headDim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = base + (j % KvCache.PAGE_TOKENS) * kvDim + d;
                FloatVector alpha = FloatVector.broadcast(SP, p[p0 + j - first]);
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

    /**
     * {@link #weightedValues} for two query heads at once (eight accumulators): per element the same multiply-add
     * chain as one head at a time, so the same bits, with each value vector loaded once for both.
     */
    private void weightedValuesPair(float[] p, int pa, int pb, int first, int position, float[][] pages, int base,
                                    float[] out, int outA, int outB) {
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
                FloatVector alpha = FloatVector.broadcast(SP, p[pa + j - first]);
                FloatVector beta = FloatVector.broadcast(SP, p[pb + j - first]);
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
     * {@link #weightedValues} for four consecutive query heads (probability rows {@code span} apart from {@code p0},
     * outputs {@code headDim} apart from {@code outOffset}); sixteen accumulators, the same bits per head.
     */
    private void weightedValues4(float[] p, int p0, int span, int first, int position, float[][] pages, int base,
                                 float[] out, int outOffset) {
        int pa = p0 - first;
        int pb = pa + span;
        int pc = pb + span;
        int pd = pc + span;
        for (int d = 0; d < headDim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector c2 = a0;
            FloatVector c3 = a0;
            FloatVector e0 = a0;
            FloatVector e1 = a0;
            FloatVector e2 = a0;
            FloatVector e3 = a0;
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = base + (j % KvCache.PAGE_TOKENS) * kvDim + d;
                FloatVector v0 = FloatVector.fromArray(SP, page, off);
                FloatVector v1 = FloatVector.fromArray(SP, page, off + LANES);
                FloatVector v2 = FloatVector.fromArray(SP, page, off + 2 * LANES);
                FloatVector v3 = FloatVector.fromArray(SP, page, off + 3 * LANES);
                FloatVector alpha = FloatVector.broadcast(SP, p[pa + j]);
                a0 = v0.fma(alpha, a0);
                a1 = v1.fma(alpha, a1);
                a2 = v2.fma(alpha, a2);
                a3 = v3.fma(alpha, a3);
                FloatVector beta = FloatVector.broadcast(SP, p[pb + j]);
                b0 = v0.fma(beta, b0);
                b1 = v1.fma(beta, b1);
                b2 = v2.fma(beta, b2);
                b3 = v3.fma(beta, b3);
                FloatVector gamma = FloatVector.broadcast(SP, p[pc + j]);
                c0 = v0.fma(gamma, c0);
                c1 = v1.fma(gamma, c1);
                c2 = v2.fma(gamma, c2);
                c3 = v3.fma(gamma, c3);
                FloatVector delta = FloatVector.broadcast(SP, p[pd + j]);
                e0 = v0.fma(delta, e0);
                e1 = v1.fma(delta, e1);
                e2 = v2.fma(delta, e2);
                e3 = v3.fma(delta, e3);
            }
            int oa = outOffset + d;
            int ob = oa + headDim;
            int oc = ob + headDim;
            int od = oc + headDim;
            a0.intoArray(out, oa);
            a1.intoArray(out, oa + LANES);
            a2.intoArray(out, oa + 2 * LANES);
            a3.intoArray(out, oa + 3 * LANES);
            b0.intoArray(out, ob);
            b1.intoArray(out, ob + LANES);
            b2.intoArray(out, ob + 2 * LANES);
            b3.intoArray(out, ob + 3 * LANES);
            c0.intoArray(out, oc);
            c1.intoArray(out, oc + LANES);
            c2.intoArray(out, oc + 2 * LANES);
            c3.intoArray(out, oc + 3 * LANES);
            e0.intoArray(out, od);
            e1.intoArray(out, od + LANES);
            e2.intoArray(out, od + 2 * LANES);
            e3.intoArray(out, od + 3 * LANES);
        }
    }

    /**
     * {@link #weightedValues} for three consecutive query heads (probability rows {@code span} apart from {@code p0},
     * outputs {@code headDim} apart from {@code outOffset}); twelve accumulators, the same bits per head.
     */
    private void weightedValues3(float[] p, int p0, int span, int first, int position, float[][] pages, int base,
                                 float[] out, int outOffset) {
        int pa = p0 - first;
        int pb = pa + span;
        int pc = pb + span;
        for (int d = 0; d < headDim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(SP);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector c2 = a0;
            FloatVector c3 = a0;
            for (int j = first; j <= position; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = base + (j % KvCache.PAGE_TOKENS) * kvDim + d;
                FloatVector v0 = FloatVector.fromArray(SP, page, off);
                FloatVector v1 = FloatVector.fromArray(SP, page, off + LANES);
                FloatVector v2 = FloatVector.fromArray(SP, page, off + 2 * LANES);
                FloatVector v3 = FloatVector.fromArray(SP, page, off + 3 * LANES);
                FloatVector alpha = FloatVector.broadcast(SP, p[pa + j]);
                a0 = v0.fma(alpha, a0);
                a1 = v1.fma(alpha, a1);
                a2 = v2.fma(alpha, a2);
                a3 = v3.fma(alpha, a3);
                FloatVector beta = FloatVector.broadcast(SP, p[pb + j]);
                b0 = v0.fma(beta, b0);
                b1 = v1.fma(beta, b1);
                b2 = v2.fma(beta, b2);
                b3 = v3.fma(beta, b3);
                FloatVector gamma = FloatVector.broadcast(SP, p[pc + j]);
                c0 = v0.fma(gamma, c0);
                c1 = v1.fma(gamma, c1);
                c2 = v2.fma(gamma, c2);
                c3 = v3.fma(gamma, c3);
            }
            int oa = outOffset + d;
            int ob = oa + headDim;
            int oc = ob + headDim;
            a0.intoArray(out, oa);
            a1.intoArray(out, oa + LANES);
            a2.intoArray(out, oa + 2 * LANES);
            a3.intoArray(out, oa + 3 * LANES);
            b0.intoArray(out, ob);
            b1.intoArray(out, ob + LANES);
            b2.intoArray(out, ob + 2 * LANES);
            b3.intoArray(out, ob + 3 * LANES);
            c0.intoArray(out, oc);
            c1.intoArray(out, oc + LANES);
            c2.intoArray(out, oc + 2 * LANES);
            c3.intoArray(out, oc + 3 * LANES);
        }
    }
}
