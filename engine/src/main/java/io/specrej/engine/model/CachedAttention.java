package io.specrej.engine.model;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.Exp;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.VectorOps;
import io.specrej.engine.tensor.onednn.PrefixGemms;
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
 * values, up to four heads per value load, a block of pages at a time (the register tiles are in
 * {@link AttentionKernels}, and for a bfloat16 cache in {@link Bf16AttentionKernels}, which widen each vector in
 * registers). Which heads or tokens go together changes only how often a key or value is loaded, never the arithmetic
 * of a head: every head gets the same bits however its group is split and whatever else is in the batch
 * (CachedAttentionTest checks each split against a scalar loop).
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
    private final AttentionKernels kernels;
    private final Bf16AttentionKernels bf16Kernels;
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
        // transformers' GPT-2 and GPT-J divide by sqrt(head_dim); the Llama family multiplies by head_dim ** -0.5.
        this.divideBySqrt = c.block().divideScoresBySqrt();
        this.scale = (float) Math.pow(headDim, -0.5);
        this.sqrtHeadDim = (float) Math.sqrt(headDim);
        this.kernels = new AttentionKernels(headDim, kvDim, group);
        this.bf16Kernels = new Bf16AttentionKernels(headDim, kvDim, group);
    }

    /** {@link #run(int, int, float[], int[], int[], float[][][], short[][][], PrefixGemms.Block[], float[])} over
     * a float32 cache without prefix copies. */
    void run(int layer, int n, float[] q, int[] sequence, int[] positions, float[][][] pages, float[] out) {
        run(layer, n, q, sequence, positions, pages, null, null, out);
    }

    /**
     * @param q         queries [n][qDim] (rotary positions applied)
     * @param sequence  chunk-local sequence index of each token
     * @param positions position of each token in its sequence
     * @param pages     per chunk-local sequence, its KV pages (a float32 cache), or null
     * @param bf16Pages per chunk-local sequence, its KV pages (a bfloat16 cache), or null: the same kernels widen
     *                  each key and value vector in registers ({@link Bf16AttentionKernels}), so the arithmetic is the
     *                  float32 path's on the rounded keys and values
     * @param prefixes  per chunk-local sequence, the bfloat16 copy of its prompt prefix whose positions go through
     *                  {@link PrefixGemms} instead of the pages (null entries, or null, where there is none)
     * @param out       attention output [n][qDim]
     */
    void run(int layer, int n, float[] q, int[] sequence, int[] positions, float[][][] pages, short[][][] bf16Pages,
             PrefixGemms.Block[] prefixes, float[] out) {
        int keyBase = layer * 2 * KvCache.PAGE_TOKENS * kvDim;
        int valueBase = keyBase + KvCache.PAGE_TOKENS * kvDim;
        int[] bounds = groupBounds.get();
        if (bounds.length < n + 1) {
            bounds = new int[Math.max(n + 1, 2 * bounds.length)];
            groupBounds.set(bounds);
        }
        Object[][] pageRefs = bf16Pages != null ? bf16Pages : pages;
        int groups = groupTokens(n, tokensPerGroup(n, positions, prefixes != null), sequence, positions, pageRefs,
                prefixes, bounds);
        int[] groupStart = bounds;
        // A group's kv heads one after the other: a value row holds every kv head's elements side by side, so the
        // next kv head's values are partly in cache already (measured: faster than kv head major for separate pages).
        Parallel.forRange(kvHeads * groups, (start, end) -> {
            for (int item = start; item < end; item++) {
                int g = item % kvHeads;
                int k = item / kvHeads;
                PrefixGemms.Block prefix = prefixes == null ? null : prefixes[sequence[groupStart[k]]];
                attendTokens(layer, q, groupStart[k], groupStart[k + 1], g, sequence, positions, pages, bf16Pages,
                        prefix, keyBase, valueBase, out);
            }
        });
    }

    /**
     * Splits the tokens into runs of up to {@code perGroup} consecutive tokens that read the same first page (tokens
     * of one sequence, or of sequences forked from one prompt); a token that shares it with no neighbour goes alone,
     * since grouping tokens that share nothing only spreads the reads. A run's tokens also share their prefix copy
     * (or have none). Writes the runs' starts and then {@code n} into {@code bounds} and returns how many runs there
     * are.
     */
    private int groupTokens(int n, int perGroup, int[] sequence, int[] positions, Object[][] pages,
                            PrefixGemms.Block[] prefixes, int[] bounds) {
        int groups = 0;
        int t = 0;
        while (t < n) {
            bounds[groups++] = t;
            int pageIndex = firstPosition(positions[t]) / KvCache.PAGE_TOKENS;
            Object firstPage = pages[sequence[t]][pageIndex];
            int end = t + 1;
            while (end < n && end - t < perGroup && (sequence[end] == sequence[t]
                    || pages[sequence[end]].length > pageIndex && pages[sequence[end]][pageIndex] == firstPage
                    && (prefixes == null || prefixes[sequence[end]] == prefixes[sequence[t]]))) {
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
     * interpreted) unless some read a prompt copy (then a group's tokens fill the rows of one product), else up to
     * {@link #TOKENS_PER_GROUP}, fewer when their score rows would not fit {@link #SCORE_ROWS_BUDGET}, and few enough
     * that every thread gets work.
     */
    private int tokensPerGroup(int n, int[] positions, boolean prefixCopies) {
        int longest = 1;
        for (int t = 0; t < n; t++) {
            longest = Math.max(longest, span(positions[t]));
        }
        if ((long) longest * headDim * 2 * Float.BYTES < groupFromBytes && !prefixCopies) {
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
     * and where its maxima (then its lane maxima, {@code group} later, and its page's dot products) begin.
     */
    private static final class Scratch {
        float[] scores = new float[256];
        final int[] rows = new int[TOKENS_PER_GROUP];
        final int[] maxes = new int[TOKENS_PER_GROUP];
    }

    /**
     * Attention of tokens {@code from..to-1} for kv head {@code g} and its query heads. Page by page, every token
     * scores the page while it is in cache (tokens of sequences forked from one prompt share their pages, so a shared
     * page is read from memory once per group instead of once per token); then each token's softmax; then the values
     * a block of pages at a time, each token continuing its accumulators from the previous block. Per token and head
     * the arithmetic is that of a token alone, in the same order, so the bits never depend on the grouping or the
     * batch. With a {@code prefix} (shared by the group), positions below its length are scored and weighted by
     * {@link PrefixGemms} instead of the pages: their scores fill the start of each score row, the softmax runs over
     * the whole row as before, and the prefix's weighted values are each output's starting value.
     */
    private void attendTokens(int layer, float[] q, int from, int to, int g, int[] sequence, int[] positions,
                              float[][][] pages, short[][][] bf16Pages, PrefixGemms.Block prefix, int keyBase,
                              int valueBase, float[] out) {
        int prefixEnd = prefix == null ? 0 : prefix.length();
        Scratch work = scratch.get();
        // Per token: score rows [group][span], maxima [group], running lane maxima of whole pages
        // [group][PAGE_TOKENS], the current page's raw dot products [group][PAGE_TOKENS].
        int needed = 0;
        int firstPage = Integer.MAX_VALUE;
        int lastPage = 0;
        for (int t = from; t < to; t++) {
            work.rows[t - from] = needed;
            work.maxes[t - from] = needed + group * span(positions[t]);
            needed = work.maxes[t - from] + group + 2 * group * KvCache.PAGE_TOKENS;
            firstPage = Math.min(firstPage, Math.max(firstPosition(positions[t]), prefixEnd) / KvCache.PAGE_TOKENS);
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
        if (prefix != null) {
            prefixScores(prefix, layer, g, q, from, to, positions, work);
        }
        // Scores a page at a time: the page's keys are stored transposed, so each query head scores all its slots
        // with multiply-adds over the head's elements and no horizontal sums; up to four heads share each key load.
        for (int pageIndex = firstPage; pageIndex <= lastPage; pageIndex++) {
            int pageStart = pageIndex * KvCache.PAGE_TOKENS;
            for (int t = from; t < to; t++) {
                int position = positions[t];
                int first = firstPosition(position);
                int start = Math.max(first, prefixEnd);
                if (pageStart > position || pageStart + KvCache.PAGE_TOKENS <= start) {
                    continue;
                }
                int span = position - first + 1;
                int rows = work.rows[t - from];
                int maxes = work.maxes[t - from];
                int laneMaxes = maxes + group;
                int pageScores = laneMaxes + group * KvCache.PAGE_TOKENS;
                int qBase = t * qDim + g * group * headDim;
                if (bf16Pages == null) {
                    kernels.scorePage(q, qBase, pages[sequence[t]][pageIndex], keyElements, scores, pageScores);
                } else {
                    bf16Kernels.scorePage(q, qBase, bf16Pages[sequence[t]][pageIndex], keyElements, scores,
                            pageScores);
                }
                int lo = Math.max(start, pageStart);
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
            if (prefix == null) {
                java.util.Arrays.fill(out, t * qDim + g * group * headDim, t * qDim + (g + 1) * group * headDim, 0f);
            }
        }
        if (prefix != null) {
            prefixValues(prefix, layer, g, from, to, positions, work, out);
        }
        // Several heads per pass over the values (each value row read once for all of them), a block of pages at a
        // time for every token, so a shared block is read from memory once per group; a token alone in one pass.
        boolean fourVectorHeads = headDim % (4 * LANES) == 0;
        int begin = firstPage * KvCache.PAGE_TOKENS;
        int end = (lastPage + 1) * KvCache.PAGE_TOKENS;
        int block = to - from == 1 ? end - begin : VALUE_BLOCK_TOKENS;
        for (int blockStart = begin; blockStart < end; blockStart += block) {
            for (int t = from; t < to; t++) {
                int position = positions[t];
                int first = firstPosition(position);
                int lo = Math.max(Math.max(first, prefixEnd), blockStart);
                int hi = Math.min(position, blockStart + block - 1);
                if (lo > hi) {
                    continue;
                }
                int base = valueBase + kvOffset;
                int pj = work.rows[t - from] - first;
                int span = position - first + 1;
                int outBase = t * qDim + g * group * headDim;
                if (bf16Pages == null) {
                    if (fourVectorHeads) {
                        kernels.weightedValues(scores, pj, span, lo, hi, pages[sequence[t]], base, out, outBase);
                    } else {
                        kernels.axpyValues(scores, pj, span, lo, hi, pages[sequence[t]], base, out, outBase);
                    }
                } else if (fourVectorHeads) {
                    bf16Kernels.weightedValues(scores, pj, span, lo, hi, bf16Pages[sequence[t]], base, out, outBase);
                } else {
                    bf16Kernels.axpyValues(scores, pj, span, lo, hi, bf16Pages[sequence[t]], base, out, outBase);
                }
            }
        }
    }

    /**
     * The prefix's scores of tokens {@code from..to-1} (their query heads of kv head {@code g}): as many tokens per
     * product as {@link PrefixGemms#ROWS} rows hold, scaled like the pages' scores into the start of each score row,
     * with each row's maximum folded into its partial-page maximum.
     */
    private void prefixScores(PrefixGemms.Block prefix, int layer, int g, float[] q, int from, int to,
                              int[] positions, Scratch work) {
        float[] scores = work.scores;
        PrefixGemms.Tile tile = prefix.tile();
        int perProduct = PrefixGemms.ROWS / group;
        for (int first = from; first < to; first += perProduct) {
            int last = Math.min(to, first + perProduct);
            for (int t = first; t < last; t++) {
                for (int r = 0; r < group; r++) {
                    tile.setQuery((t - first) * group + r, q, t * qDim + (g * group + r) * headDim);
                }
            }
            tile.multiplyScores(prefix, layer, g, (last - first) * group);
            for (int t = first; t < last; t++) {
                int span = span(positions[t]);
                int rows = work.rows[t - from];
                int maxes = work.maxes[t - from];
                for (int r = 0; r < group; r++) {
                    float max = tile.scaledScores((t - first) * group + r, scores, rows + r * span, divideBySqrt,
                            scale, sqrtHeadDim);
                    scores[maxes + r] = Math.max(scores[maxes + r], max);
                }
            }
        }
    }

    /**
     * The prefix's share of the outputs of tokens {@code from..to-1}: their probabilities over the prefix times its
     * values, written as each output's starting value (the pages' positions are added to it afterwards).
     */
    private void prefixValues(PrefixGemms.Block prefix, int layer, int g, int from, int to, int[] positions,
                              Scratch work, float[] out) {
        PrefixGemms.Tile tile = prefix.tile();
        int perProduct = PrefixGemms.ROWS / group;
        for (int first = from; first < to; first += perProduct) {
            int last = Math.min(to, first + perProduct);
            for (int t = first; t < last; t++) {
                int span = span(positions[t]);
                for (int r = 0; r < group; r++) {
                    tile.setProbabilities((t - first) * group + r, work.scores, work.rows[t - from] + r * span);
                }
            }
            tile.multiplyValues(prefix, layer, g, (last - first) * group);
            for (int t = first; t < last; t++) {
                for (int r = 0; r < group; r++) {
                    tile.output((t - first) * group + r, out, t * qDim + (g * group + r) * headDim);
                }
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

}
