package io.specrej.engine.model;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.Exp;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.VectorOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal self-attention of new tokens against their sequence's cached keys and values (already holding this
 * chunk's own keys and values). Work is split over (kv head, group of up to eight tokens): the query heads that share
 * a kv head (grouped-query attention) and the tokens of a group go through the pages together, so a page that
 * several tokens read (sequences forked from one prompt share its pages; a prompt's own tokens share everything) is
 * fetched from memory once per group and then read from cache. Scores are computed a page (16 tokens) at a time from
 * the transposed keys ({@link KvCache}): lanes over tokens, multiply-adds over the head's elements, no horizontal
 * sums, up to four query heads per key load. Each query head's output is accumulated in registers over the cached
 * values, up to four heads per value load, a block of pages at a time. Which heads or tokens go together changes
 * only how often a key or value is loaded, never the arithmetic of a head: every head gets the same bits however its
 * group is split and whatever else is in the batch (CachedAttentionTest checks each split against a scalar loop).
 */
final class CachedAttention {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SP.length();
    /**
     * Bytes of one token's keys and values for one kv head from which tokens that share pages go through them together
     * (512 KB: from there keys and values together no longer stay in a 1 MB L2 between tokens).
     */
    static final long GROUP_FROM_BYTES = 512 * 1024;
    /** System property overriding {@link #GROUP_FROM_BYTES} (a machine with another L2 size; tests: 0, always). */
    static final String GROUP_FROM_BYTES_PROPERTY = "specrej.attention.groupFromBytes";
    /** Tokens that go through the pages together (see {@link #attendTokens}). */
    private static final int TOKENS_PER_GROUP = 8;
    /** Floats of score rows a group may hold (512 KB: with a block of keys or values it stays in a 1 MB L2). */
    private static final int SCORE_ROWS_BUDGET = 1 << 17;
    /** Positions of values all tokens of a group add before the next block (four pages: 16 KB of a 64-wide head). */
    private static final int VALUE_BLOCK_TOKENS = 4 * KvCache.PAGE_TOKENS;
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
    private final long groupFromBytes;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    private final ThreadLocal<int[]> groupBounds = ThreadLocal.withInitial(() -> new int[64]);

    CachedAttention(ModelConfig c) {
        this(c, Long.getLong(GROUP_FROM_BYTES_PROPERTY, GROUP_FROM_BYTES));
    }

    /** @param groupFromBytes {@link #GROUP_FROM_BYTES}, or another threshold (tests: 0 groups every token). */
    CachedAttention(ModelConfig c, long groupFromBytes) {
        if (KvCache.PAGE_TOKENS % LANES != 0) {
            throw new IllegalStateException("vectors of " + LANES + " floats do not tile a " + KvCache.PAGE_TOKENS
                    + "-token page");
        }
        this.groupFromBytes = groupFromBytes;
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

    /** {@link #run(int, int, float[], int[], int[], float[][][], short[][][], float[])} over a float32 cache. */
    void run(int layer, int n, float[] q, int[] sequence, int[] positions, float[][][] pages, float[] out) {
        run(layer, n, q, sequence, positions, pages, null, out);
    }

    /**
     * @param q         queries [n][qDim] (rotary positions applied)
     * @param sequence  chunk-local sequence index of each token
     * @param positions position of each token in its sequence
     * @param pages     per chunk-local sequence, its KV pages (a float32 cache), or null
     * @param bf16Pages per chunk-local sequence, its KV pages (a bfloat16 cache), or null: each block of keys or
     *                  values is widened into a small float area once per group of tokens and then read by the same
     *                  kernels, so the arithmetic is the float32 path's on the rounded keys and values
     * @param out       attention output [n][qDim]
     */
    void run(int layer, int n, float[] q, int[] sequence, int[] positions, float[][][] pages, short[][][] bf16Pages,
             float[] out) {
        int keyBase = layer * 2 * KvCache.PAGE_TOKENS * kvDim;
        int valueBase = keyBase + KvCache.PAGE_TOKENS * kvDim;
        int[] bounds = groupBounds.get();
        if (bounds.length < n + 1) {
            bounds = new int[Math.max(n + 1, 2 * bounds.length)];
            groupBounds.set(bounds);
        }
        Object[][] pageRefs = bf16Pages != null ? bf16Pages : pages;
        int groups = groupTokens(n, tokensPerGroup(n, positions), sequence, positions, pageRefs, bounds);
        int[] groupStart = bounds;
        // A group's kv heads one after the other: a value row holds every kv head's elements side by side, so the
        // next kv head's values are partly in cache already (measured: faster than kv head major for separate pages).
        Parallel.forRange(kvHeads * groups, (start, end) -> {
            for (int item = start; item < end; item++) {
                int g = item % kvHeads;
                int k = item / kvHeads;
                attendTokens(q, groupStart[k], groupStart[k + 1], g, sequence, positions, pages, bf16Pages, keyBase,
                        valueBase, out);
            }
        });
    }

    /**
     * Splits the tokens into runs of up to {@code perGroup} consecutive tokens that read the same first page (tokens
     * of one sequence, or of sequences forked from one prompt); a token that shares it with no neighbour goes alone,
     * since grouping tokens that share nothing only spreads the reads. Writes the runs' starts and then {@code n}
     * into {@code bounds} and returns how many runs there are.
     */
    private int groupTokens(int n, int perGroup, int[] sequence, int[] positions, Object[][] pages, int[] bounds) {
        int groups = 0;
        int t = 0;
        while (t < n) {
            bounds[groups++] = t;
            int pageIndex = firstPosition(positions[t]) / KvCache.PAGE_TOKENS;
            Object firstPage = pages[sequence[t]][pageIndex];
            int end = t + 1;
            while (end < n && end - t < perGroup && (sequence[end] == sequence[t]
                    || pages[sequence[end]].length > pageIndex && pages[sequence[end]][pageIndex] == firstPage)) {
                end++;
            }
            t = end;
        }
        bounds[groups] = n;
        return groups;
    }

    /**
     * How many tokens go through the pages together: one while a token's keys and values for one kv head fit in
     * cache anyway ({@link #GROUP_FROM_BYTES}; grouping only costs there, most of all while the code is still
     * interpreted), else up to {@link #TOKENS_PER_GROUP}, fewer when their score rows would not fit
     * {@link #SCORE_ROWS_BUDGET}, and few enough that every thread gets work.
     */
    private int tokensPerGroup(int n, int[] positions) {
        int longest = 1;
        for (int t = 0; t < n; t++) {
            longest = Math.max(longest, span(positions[t]));
        }
        if ((long) longest * headDim * 2 * Float.BYTES < groupFromBytes) {
            return 1;
        }
        int perGroup = Math.clamp(SCORE_ROWS_BUDGET / ((long) group * longest), 1, TOKENS_PER_GROUP);
        int groupsPerKvHead = (Parallel.threads() + kvHeads - 1) / kvHeads;
        return Math.max(1, Math.min(perGroup, (n + groupsPerKvHead - 1) / groupsPerKvHead));
    }

    private int firstPosition(int position) {
        return slidingWindow == null ? 0 : Math.max(0, position - slidingWindow + 1);
    }

    private int span(int position) {
        return position - firstPosition(position) + 1;
    }

    /**
     * The per-thread work area of {@link #attendTokens}: score rows, and per token of the group where its score rows
     * and where its maxima (then its lane maxima, {@code group} later, and its page's dot products) begin. For a
     * bfloat16 cache also one page's keys of the kv head widened to floats and the bfloat16 page they came from, and
     * a value block's pages widened into {@code valueSlots} (which page each came from), seen through
     * {@code valuePages} at the pages' own indices so the value kernels read them as they read float32 pages.
     */
    private static final class Scratch {
        float[] scores = new float[256];
        final int[] rows = new int[TOKENS_PER_GROUP];
        final int[] maxes = new int[TOKENS_PER_GROUP];
        float[] keys = new float[0];
        short[] keysFrom;
        final float[][] valueSlots = new float[VALUE_BLOCK_TOKENS / KvCache.PAGE_TOKENS][0];
        final short[][] valueSlotsFrom = new short[VALUE_BLOCK_TOKENS / KvCache.PAGE_TOKENS][];
        float[][] valuePages = new float[16][];
    }

    /**
     * Attention of tokens {@code from..to-1} for kv head {@code g} and its query heads. Page by page, every token
     * scores the page while it is in cache (tokens of sequences forked from one prompt share their pages, so a shared
     * page is read from memory once per group instead of once per token); then each token's softmax; then the values
     * a block of pages at a time, each token continuing its accumulators from the previous block. Per token and head
     * the arithmetic is that of a token alone, in the same order, so the bits never depend on the grouping or the
     * batch.
     */
    private void attendTokens(float[] q, int from, int to, int g, int[] sequence, int[] positions,
                              float[][][] pages, short[][][] bf16Pages, int keyBase, int valueBase, float[] out) {
        Scratch work = scratch.get();
        work.keysFrom = null;
        // Per token: score rows [group][span], maxima [group], running lane maxima of whole pages
        // [group][PAGE_TOKENS], the current page's raw dot products [group][PAGE_TOKENS].
        int needed = 0;
        int firstPage = Integer.MAX_VALUE;
        int lastPage = 0;
        for (int t = from; t < to; t++) {
            work.rows[t - from] = needed;
            work.maxes[t - from] = needed + group * span(positions[t]);
            needed = work.maxes[t - from] + group + 2 * group * KvCache.PAGE_TOKENS;
            firstPage = Math.min(firstPage, firstPosition(positions[t]) / KvCache.PAGE_TOKENS);
            lastPage = Math.max(lastPage, positions[t] / KvCache.PAGE_TOKENS);
        }
        if (work.scores.length < needed) {
            work.scores = new float[Math.max(needed, 2 * work.scores.length)];
        }
        float[] scores = work.scores;
        int kvOffset = g * headDim;
        int keyElements = keyBase + kvOffset * KvCache.PAGE_TOKENS;
        for (int t = from; t < to; t++) {
            int maxes = work.maxes[t - from];
            java.util.Arrays.fill(scores, maxes, maxes + group + group * KvCache.PAGE_TOKENS,
                    Float.NEGATIVE_INFINITY);
        }
        // Scores a page at a time: the page's keys are stored transposed, so each query head scores all its slots
        // with multiply-adds over the head's elements and no horizontal sums; up to four heads share each key load.
        for (int pageIndex = firstPage; pageIndex <= lastPage; pageIndex++) {
            int pageStart = pageIndex * KvCache.PAGE_TOKENS;
            for (int t = from; t < to; t++) {
                int position = positions[t];
                int first = firstPosition(position);
                if (pageStart > position || pageStart + KvCache.PAGE_TOKENS <= first) {
                    continue;
                }
                int span = position - first + 1;
                int rows = work.rows[t - from];
                int maxes = work.maxes[t - from];
                int laneMaxes = maxes + group;
                int pageScores = laneMaxes + group * KvCache.PAGE_TOKENS;
                if (bf16Pages == null) {
                    scorePage(q, t * qDim + g * group * headDim, pages[sequence[t]][pageIndex], keyElements, scores,
                            pageScores);
                } else {
                    scorePage(q, t * qDim + g * group * headDim,
                            widenedKeys(work, bf16Pages[sequence[t]][pageIndex], keyElements), 0, scores, pageScores);
                }
                int lo = Math.max(first, pageStart);
                int hi = Math.min(position, pageStart + KvCache.PAGE_TOKENS - 1);
                if (hi - lo + 1 == KvCache.PAGE_TOKENS) {
                    scaleWholePage(scores, rows, span, first, pageStart, pageScores, laneMaxes);
                } else {
                    scalePartialPage(scores, rows, span, first, pageStart, lo, hi, pageScores, maxes);
                }
            }
        }
        for (int t = from; t < to; t++) {
            int span = span(positions[t]);
            int rows = work.rows[t - from];
            int maxes = work.maxes[t - from];
            int laneMaxes = maxes + group;
            for (int r = 0; r < group; r++) {
                // A maximum is exact in any order: fold the whole pages' lane maxima into the partial pages' maximum.
                float max = scores[maxes + r];
                for (int lane = 0; lane < KvCache.PAGE_TOKENS; lane++) {
                    max = Math.max(max, scores[laneMaxes + r * KvCache.PAGE_TOKENS + lane]);
                }
                float sum = Exp.expShiftedInPlace(scores, rows + r * span, span, max);
                VectorOps.scale(scores, rows + r * span, span, 1f / sum);
            }
            java.util.Arrays.fill(out, t * qDim + g * group * headDim, t * qDim + (g + 1) * group * headDim, 0f);
        }
        // Several heads per pass over the values (each value row read once for all of them), a block of pages at a
        // time for every token, so a shared block is read from memory once per group; a float32 token alone in one
        // pass (a bfloat16 block is widened into scratch, so it goes a block at a time too).
        boolean fourVectorHeads = headDim % (4 * LANES) == 0;
        int begin = firstPage * KvCache.PAGE_TOKENS;
        int end = (lastPage + 1) * KvCache.PAGE_TOKENS;
        int block = to - from == 1 && bf16Pages == null ? end - begin : VALUE_BLOCK_TOKENS;
        for (int blockStart = begin; blockStart < end; blockStart += block) {
            java.util.Arrays.fill(work.valueSlotsFrom, null);
            for (int t = from; t < to; t++) {
                int position = positions[t];
                int first = firstPosition(position);
                int lo = Math.max(first, blockStart);
                int hi = Math.min(position, blockStart + block - 1);
                if (lo > hi) {
                    continue;
                }
                float[][] tokenPages = pages == null ? null : pages[sequence[t]];
                int base = valueBase + kvOffset;
                if (bf16Pages != null) {
                    tokenPages = widenedValues(work, bf16Pages[sequence[t]], lo, hi, blockStart, valueBase, kvOffset);
                    base = kvOffset;
                }
                int pj = work.rows[t - from] - first;
                int outBase = t * qDim + g * group * headDim;
                if (fourVectorHeads) {
                    weightedValues(scores, pj, position - first + 1, lo, hi, tokenPages, base, out, outBase);
                } else {
                    axpyValues(scores, pj, position - first + 1, lo, hi, tokenPages, base, out, outBase);
                }
            }
        }
    }

    /** Kv head {@code g}'s keys (at {@code keyElements}) of a bfloat16 page as floats, widened once per page. */
    private float[] widenedKeys(Scratch work, short[] page, int keyElements) {
        int count = headDim * KvCache.PAGE_TOKENS;
        if (work.keys.length < count) {
            work.keys = new float[count];
        }
        if (page != work.keysFrom) {
            VectorOps.widenBf16(page, keyElements, work.keys, 0, count);
            work.keysFrom = page;
        }
        return work.keys;
    }

    /**
     * The value rows of positions {@code lo..hi} (inside the block starting at {@code blockStart}) of one kv head
     * (at {@code kvOffset} in each row) of a bfloat16 sequence, widened into the scratch slots (a page that the
     * previous token of the group widened already is not widened again) and returned as page arrays indexed like
     * the sequence's pages, the head's elements at {@code kvOffset} in each {@code kvDim}-wide row.
     */
    private float[][] widenedValues(Scratch work, short[][] sequencePages, int lo, int hi, int blockStart,
                                    int valueBase, int kvOffset) {
        int lastPage = hi / KvCache.PAGE_TOKENS;
        if (work.valuePages.length <= lastPage) {
            work.valuePages = new float[Math.max(lastPage + 1, 2 * work.valuePages.length)][];
        }
        int blockPage = blockStart / KvCache.PAGE_TOKENS;
        for (int p = lo / KvCache.PAGE_TOKENS; p <= lastPage; p++) {
            int slot = p - blockPage;
            short[] page = sequencePages[p];
            if (work.valueSlots[slot].length < KvCache.PAGE_TOKENS * kvDim) {
                work.valueSlots[slot] = new float[KvCache.PAGE_TOKENS * kvDim];
            }
            if (work.valueSlotsFrom[slot] != page) {
                for (int s = 0; s < KvCache.PAGE_TOKENS; s++) {
                    VectorOps.widenBf16(page, valueBase + s * kvDim + kvOffset, work.valueSlots[slot],
                            s * kvDim + kvOffset, headDim);
                }
                work.valueSlotsFrom[slot] = page;
            }
            work.valuePages[p] = work.valueSlots[slot];
        }
        return work.valuePages;
    }

    /** All query heads of a group score one page: four, then three, two or one at a time (the same bits each way). */
    private void scorePage(float[] q, int qBase, float[] page, int keyElements, float[] scores, int pageScores) {
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
    private void weightedValues(float[] p, int pj, int span, int lo, int hi, float[][] pages, int base, float[] out,
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
    private void axpyValues(float[] p, int pj, int span, int lo, int hi, float[][] pages, int base, float[] out,
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
     * A page whose 16 slots all count: scales every head's dot products into its score row and keeps a running
     * maximum per lane ({@code dot * scale}, or {@code dot / sqrt(head_dim)} for GPT-2: the same per-element
     * arithmetic as {@link #scalePartialPage}).
     */
    private void scaleWholePage(float[] scores, int rows, int span, int first, int pageStart, int pageScores,
                                int laneMaxes) {
        for (int r = 0; r < group; r++) {
            int row = rows + r * span - first + pageStart;
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
    private void scalePartialPage(float[] scores, int rows, int span, int first, int pageStart, int from, int to,
                                  int pageScores, int maxes) {
        for (int r = 0; r < group; r++) {
            int row = rows + r * span - first;
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
