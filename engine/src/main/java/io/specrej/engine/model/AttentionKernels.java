package io.specrej.engine.model;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.VectorOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled kernels of {@link CachedAttention} over a float32 KV cache: scoring a page of transposed keys and
 * adding weighted value rows, for up to four query heads per key or value load. scripts/gen-bf16-attention-kernels.py
 * derives {@link Bf16AttentionKernels}, the same kernels over a bfloat16 cache, from this file: edit here and rerun
 * it. Which heads go together changes only how often a key or value is loaded, never a head's arithmetic.
 */
final class AttentionKernels {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SP.length();
    private final int headDim;
    private final int kvDim;
    private final int group;

    /** @param group query heads per kv head */
    AttentionKernels(int headDim, int kvDim, int group) {
        this.headDim = headDim;
        this.kvDim = kvDim;
        this.group = group;
    }

    /** All query heads of a group score one page: four, then three, two or one at a time (the same bits each way). */
    void scorePage(float[] q, int qBase, float[] page, int keyElements, float[] scores, int pageScores) {
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
            scorePage1(q, qBase + r * headDim, page, keyElements, scores, pageScores + r * KvCache.PAGE_TOKENS);
        }
    }

    /**
     * All query heads of a group add positions {@code lo..hi} of the values, weighted by their probabilities (head
     * r's for position j at {@code p[pj + r * span + j]}), to their outputs: four heads per pass, then three, two or
     * one (the same bits each way).
     */
    void weightedValues(float[] p, int pj, int span, int lo, int hi, float[][] pages, int base, float[] out,
                                int outBase) {
        int r = 0;
        for (; r + 3 < group; r += 4) {
            weightedValues4(p, pj + r * span, span, lo, hi, pages, base, out, outBase + r * headDim);
        }
        if (r + 2 < group) {
            weightedValues3(p, pj + r * span, span, lo, hi, pages, base, out, outBase + r * headDim);
            r += 3;
        }
        for (; r + 1 < group; r += 2) {
            weightedValues2(p, pj + r * span, span, lo, hi, pages, base, out, outBase + r * headDim);
        }
        for (; r < group; r++) {
            weightedValues1(p, pj + r * span, lo, hi, pages, base, out, outBase + r * headDim);
        }
    }

    /**
     * {@link #weightedValues} for head sizes that are not a multiple of four vectors: one head at a time through
     * {@link VectorOps#axpy} (per element the same fused multiply-add chain in increasing position).
     */
    void axpyValues(float[] p, int pj, int span, int lo, int hi, float[][] pages, int base, float[] out,
                            int outBase) {
        for (int r = 0; r < group; r++) {
            int qOffset = outBase + r * headDim;
            for (int j = lo; j <= hi; j++) {
                float[] page = pages[j / KvCache.PAGE_TOKENS];
                int off = base + (j % KvCache.PAGE_TOKENS) * kvDim;
                VectorOps.axpy(p[pj + r * span + j], page, off, out, qOffset, headDim);
            }
        }
    }

    /**
     * {@code out[at + s] = sum_d q[qOffset + d] * key[s][d]} for the page's 16 slots, reading the transposed keys
     * (element d of every slot at {@code keys + d * PAGE_TOKENS}). Four accumulators over d (d mod 4), summed as
     * (a0 + a1) + (a2 + a3); slots past the sequence's end hold stale numbers and are ignored by the caller.
     */
    private void scorePage1(float[] q, int qOffset, float[] page, int keys, float[] out, int at) {
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
     * {@link #scorePage1} for two consecutive query heads (queries at {@code qOffset} and {@code qOffset + headDim},
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
     * Adds {@code sum_j p_j * v_j} over positions {@code lo..hi} to one query head's output ({@code p} already
     * normalised, position j's probability at {@code p[pa + j]}), accumulated in registers four vectors at a time and
     * continued from what the output holds (+0 before the first block). Per element it is one fused multiply-add chain
     * in increasing j, from +0, as {@link VectorOps#axpy} into a zeroed row, so the bits are the same as that loop's
     * (which handles head sizes that are not a multiple of 4 vectors) however the positions are split into blocks.
     */
    private void weightedValues1(float[] p, int pa, int lo, int hi, float[][] pages, int base, float[] out,
                                 int outOffset) {
        for (int d = 0; d < headDim; d += 4 * LANES) {
            int oa = outOffset + d;
            FloatVector a0 = FloatVector.fromArray(SP, out, oa);
            FloatVector a1 = FloatVector.fromArray(SP, out, oa + LANES);
            FloatVector a2 = FloatVector.fromArray(SP, out, oa + 2 * LANES);
            FloatVector a3 = FloatVector.fromArray(SP, out, oa + 3 * LANES);
            for (int j = lo; j <= hi; j++) {
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
            }
            a0.intoArray(out, oa);
            a1.intoArray(out, oa + LANES);
            a2.intoArray(out, oa + 2 * LANES);
            a3.intoArray(out, oa + 3 * LANES);
        }
    }

    /**
     * {@link #weightedValues1} for two consecutive query heads (probability rows {@code span} apart from {@code pa},
     * outputs {@code headDim} apart from {@code outOffset}); eight accumulators, each value vector loaded once for all
     * of them, the same bits per head.
     */
    private void weightedValues2(float[] p, int pa, int span, int lo, int hi, float[][] pages, int base, float[] out,
                                 int outOffset) {
        int pb = pa + span;
        for (int d = 0; d < headDim; d += 4 * LANES) {
            int oa = outOffset + d;
            int ob = outOffset + headDim + d;
            FloatVector a0 = FloatVector.fromArray(SP, out, oa);
            FloatVector a1 = FloatVector.fromArray(SP, out, oa + LANES);
            FloatVector a2 = FloatVector.fromArray(SP, out, oa + 2 * LANES);
            FloatVector a3 = FloatVector.fromArray(SP, out, oa + 3 * LANES);
            FloatVector b0 = FloatVector.fromArray(SP, out, ob);
            FloatVector b1 = FloatVector.fromArray(SP, out, ob + LANES);
            FloatVector b2 = FloatVector.fromArray(SP, out, ob + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SP, out, ob + 3 * LANES);
            for (int j = lo; j <= hi; j++) {
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
            }
            a0.intoArray(out, oa);
            a1.intoArray(out, oa + LANES);
            a2.intoArray(out, oa + 2 * LANES);
            a3.intoArray(out, oa + 3 * LANES);
            b0.intoArray(out, ob);
            b1.intoArray(out, ob + LANES);
            b2.intoArray(out, ob + 2 * LANES);
            b3.intoArray(out, ob + 3 * LANES);
        }
    }

    /**
     * {@link #weightedValues1} for four consecutive query heads (probability rows {@code span} apart from {@code pa},
     * outputs {@code headDim} apart from {@code outOffset}); sixteen accumulators, each value vector loaded once for all
     * of them, the same bits per head.
     */
    private void weightedValues4(float[] p, int pa, int span, int lo, int hi, float[][] pages, int base, float[] out,
                                 int outOffset) {
        int pb = pa + span;
        int pc = pb + span;
        int pe = pc + span;
        for (int d = 0; d < headDim; d += 4 * LANES) {
            int oa = outOffset + d;
            int ob = outOffset + headDim + d;
            int oc = outOffset + 2 * headDim + d;
            int oe = outOffset + 3 * headDim + d;
            FloatVector a0 = FloatVector.fromArray(SP, out, oa);
            FloatVector a1 = FloatVector.fromArray(SP, out, oa + LANES);
            FloatVector a2 = FloatVector.fromArray(SP, out, oa + 2 * LANES);
            FloatVector a3 = FloatVector.fromArray(SP, out, oa + 3 * LANES);
            FloatVector b0 = FloatVector.fromArray(SP, out, ob);
            FloatVector b1 = FloatVector.fromArray(SP, out, ob + LANES);
            FloatVector b2 = FloatVector.fromArray(SP, out, ob + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SP, out, ob + 3 * LANES);
            FloatVector c0 = FloatVector.fromArray(SP, out, oc);
            FloatVector c1 = FloatVector.fromArray(SP, out, oc + LANES);
            FloatVector c2 = FloatVector.fromArray(SP, out, oc + 2 * LANES);
            FloatVector c3 = FloatVector.fromArray(SP, out, oc + 3 * LANES);
            FloatVector e0 = FloatVector.fromArray(SP, out, oe);
            FloatVector e1 = FloatVector.fromArray(SP, out, oe + LANES);
            FloatVector e2 = FloatVector.fromArray(SP, out, oe + 2 * LANES);
            FloatVector e3 = FloatVector.fromArray(SP, out, oe + 3 * LANES);
            for (int j = lo; j <= hi; j++) {
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
                FloatVector delta = FloatVector.broadcast(SP, p[pe + j]);
                e0 = v0.fma(delta, e0);
                e1 = v1.fma(delta, e1);
                e2 = v2.fma(delta, e2);
                e3 = v3.fma(delta, e3);
            }
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
            e0.intoArray(out, oe);
            e1.intoArray(out, oe + LANES);
            e2.intoArray(out, oe + 2 * LANES);
            e3.intoArray(out, oe + 3 * LANES);
        }
    }

    /**
     * {@link #weightedValues1} for three consecutive query heads (probability rows {@code span} apart from {@code pa},
     * outputs {@code headDim} apart from {@code outOffset}); twelve accumulators, each value vector loaded once for all
     * of them, the same bits per head.
     */
    private void weightedValues3(float[] p, int pa, int span, int lo, int hi, float[][] pages, int base, float[] out,
                                 int outOffset) {
        int pb = pa + span;
        int pc = pb + span;
        for (int d = 0; d < headDim; d += 4 * LANES) {
            int oa = outOffset + d;
            int ob = outOffset + headDim + d;
            int oc = outOffset + 2 * headDim + d;
            FloatVector a0 = FloatVector.fromArray(SP, out, oa);
            FloatVector a1 = FloatVector.fromArray(SP, out, oa + LANES);
            FloatVector a2 = FloatVector.fromArray(SP, out, oa + 2 * LANES);
            FloatVector a3 = FloatVector.fromArray(SP, out, oa + 3 * LANES);
            FloatVector b0 = FloatVector.fromArray(SP, out, ob);
            FloatVector b1 = FloatVector.fromArray(SP, out, ob + LANES);
            FloatVector b2 = FloatVector.fromArray(SP, out, ob + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(SP, out, ob + 3 * LANES);
            FloatVector c0 = FloatVector.fromArray(SP, out, oc);
            FloatVector c1 = FloatVector.fromArray(SP, out, oc + LANES);
            FloatVector c2 = FloatVector.fromArray(SP, out, oc + 2 * LANES);
            FloatVector c3 = FloatVector.fromArray(SP, out, oc + 3 * LANES);
            for (int j = lo; j <= hi; j++) {
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
