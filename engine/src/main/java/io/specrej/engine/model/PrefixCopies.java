package io.specrej.engine.model;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.cache.KvPrecision;
import io.specrej.engine.tensor.Bf16;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.tensor.onednn.PrefixGemms;

/**
 * Decides whether a prompt's keys and values get a bfloat16 copy for {@link PrefixGemms} and makes it. Attention of
 * every later token over the prompt's positions then runs as matrix products with the bf16 dot-product instructions
 * (all sequences forked from the prompt read the same copy) instead of the float32 page kernels.
 *
 * <p>Only where the model's projections already go through oneDNN's bf16 products (so the model's numbers are
 * already those of bfloat16 activations; {@code --matmul vector} stays exact float32), for prompts of at least
 * {@link #DEFAULT_FROM} tokens (shorter ones are a small share of a step and each new length costs oneDNN a kernel
 * generation), and for models without a sliding window (every later token reads every prompt position).
 */
final class PrefixCopies {
    /**
     * Prompt tokens from which a prompt gets a copy: at 512 the copy took attention at n = 64 from 33.5 to 22.0 ms per
     * step, at 256 from 15.6 to 12.3 ms, a small share of a step (docs/perf/measure-prefix-gemm-512.log).
     */
    static final int DEFAULT_FROM = 512;
    /** Overrides {@link #DEFAULT_FROM} (tests: small prompts; {@code off} never makes copies). */
    static final String FROM_PROPERTY = "specrej.attention.prefixGemmFrom";

    private PrefixCopies() {
    }

    /** The prompt length from which copies are made, or {@link Integer#MAX_VALUE} when they are off. */
    static int from() {
        String value = System.getProperty(FROM_PROPERTY);
        if (value == null) {
            return DEFAULT_FROM;
        }
        if (value.trim().equalsIgnoreCase("off")) {
            return Integer.MAX_VALUE;
        }
        try {
            return Math.max(1, Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            throw new io.specrej.engine.BadInputException("-D" + FROM_PROPERTY + "=" + value
                    + ": expected a number of prompt tokens or 'off'");
        }
    }

    /**
     * Bytes of the copy a prompt of {@code length} tokens of this model gets, or 0 when it gets none (loads oneDNN
     * only when it might, and makes the products for the prompt's length, so that a shape oneDNN cannot multiply is
     * refused here).
     */
    static long bytes(ModelConfig c, MatmulBackend matmul, WeightMatrix projection, int length) {
        if (length < from() || c.slidingWindow() != null || c.heads() / c.kvHeads() > PrefixGemms.ROWS
                || !matmul.roundsToBf16(projection)) {
            return 0;
        }
        try {
            // Makes (and keeps) the products for this shape: a shape oneDNN has no kernel for stays on the pages.
            return PrefixGemms.instance().blockBytes(c.layers(), c.kvHeads(), c.headDim(), length);
        } catch (IllegalStateException e) {
            return 0;
        }
    }

    /** The bf16 copy of sequence {@code id}'s positions so far, per (layer, kv head). */
    static PrefixGemms.Block build(ModelConfig c, KvCache cache, int id) {
        int length = cache.length(id);
        int headDim = c.headDim();
        PrefixGemms.Block block = PrefixGemms.instance().newBlock(c.layers(), c.kvHeads(), headDim, length);
        try {
            boolean bf16 = cache.precision() == KvPrecision.BF16;
            float[][] pages = bf16 ? null : cache.pages(id, null);
            short[][] bf16Pages = bf16 ? cache.bf16Pages(id, null) : null;
            short[] keys = new short[length * headDim];
            short[] values = new short[length * headDim];
            for (int layer = 0; layer < c.layers(); layer++) {
                int keyBase = cache.keyBase(layer);
                for (int g = 0; g < c.kvHeads(); g++) {
                    for (int p = 0; p < length; p++) {
                        int slot = p % KvCache.PAGE_TOKENS;
                        int valueAt = cache.valueOffset(layer, slot) + g * headDim;
                        int keyAt = keyBase + g * headDim * KvCache.PAGE_TOKENS + slot;
                        for (int d = 0; d < headDim; d++) {
                            int key = keyAt + d * KvCache.PAGE_TOKENS;
                            if (bf16) {
                                short[] page = bf16Pages[p / KvCache.PAGE_TOKENS];
                                keys[p * headDim + d] = page[key];
                                values[p * headDim + d] = page[valueAt + d];
                            } else {
                                float[] page = pages[p / KvCache.PAGE_TOKENS];
                                keys[p * headDim + d] = Bf16.fromFloat(page[key]);
                                values[p * headDim + d] = Bf16.fromFloat(page[valueAt + d]);
                            }
                        }
                    }
                    block.set(layer, g, keys, values);
                }
            }
            return block;
        } catch (RuntimeException | Error e) {
            block.close();
            throw e;
        }
    }
}
