package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.cache.KvPrecision;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.OneDnnAvailability;
import io.specrej.engine.tensor.onednn.PrefixGemms;
import java.util.Arrays;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Attention over a prompt's bfloat16 prefix copy ({@link PrefixCopies}, {@link PrefixGemms}) on the llama-bf16 fixture
 * through oneDNN, with copies made from one prompt token on ({@code -Dspecrej.attention.prefixGemmFrom=1}; real
 * prompts need 1,024): greedy decoding within transformers' own bfloat16 error, a fork's logits the same bits alone
 * and beside its siblings and unrelated sequences, close to but not equal to the float32 pages' logits (the copy is
 * really read), and no copies for the exact Vector API backend.
 */
class PrefixAttentionTest {
    /**
     * Worst |logit difference| from the pages, as a fraction of the largest |logit|: queries and probabilities
     * rounded to bfloat16 (2^-9 each) through the fixture's large random weights moved the logits by 1.0-2.7 of 133
     * (up to 2.0 %) over 20 steps, without growing from step to step; transformers' own bf16 compute is 1.5 away on
     * this fixture.
     */
    private static final double RELATIVE_LOGIT_TOLERANCE = 0.04;

    private static MatmulBackend onednn() {
        MatmulBackend backend = OneDnnAvailability.requireOneDnn();
        try {
            PrefixGemms.instance();
        } catch (IllegalStateException e) {
            assumeTrue(false, e.getMessage());
        }
        return backend;
    }

    private static <T> T withCopiesFrom(String tokens, Supplier<T> body) {
        String before = System.getProperty(PrefixCopies.FROM_PROPERTY);
        System.setProperty(PrefixCopies.FROM_PROPERTY, tokens);
        try {
            return body.get();
        } finally {
            if (before == null) {
                System.clearProperty(PrefixCopies.FROM_PROPERTY);
            } else {
                System.setProperty(PrefixCopies.FROM_PROPERTY, before);
            }
        }
    }

    @Test
    void greedyDecodingStaysWithinTransformersBf16Error() {
        MatmulBackend onednn = onednn();
        withCopiesFrom("1", () -> {
            try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), onednn)) {
                Golden.assertWithinTransformersBf16Error(model, 1.0, "oneDNN with bf16 prefix attention");
            }
            return null;
        });
    }

    /** The fixture's longest prompt. */
    private static int[] longestPrompt() {
        int[] longest = new int[0];
        for (JsonNode seq : Golden.load("llama-bf16").get("f32_upcast").get("sequences")) {
            int[] ids = Golden.ints(seq.get("input_ids"));
            if (ids.length > longest.length) {
                longest = ids;
            }
        }
        return longest;
    }

    /**
     * Prefills the prompt (with a copy if {@code copy}), forks {@code forks} sequences and feeds them {@code steps}
     * tokens, the chosen forks together with a sequence of another prompt without a copy (if {@code stranger});
     * returns the chosen forks' logits of every step, concatenated.
     */
    private static float[] decode(TransformerModel model, KvPrecision precision, int[] prompt, boolean copy,
                                  int[] chosen, boolean stranger, int steps) {
        KvCache cache = model.newCache(precision);
        int promptId = cache.newSequence();
        model.forwardLast(cache, new int[] {promptId}, new int[] {0, prompt.length}, 1, prompt);
        if (copy) {
            assertTrue(model.attachPrefix(cache, promptId), "the prompt gets a copy");
            assertNotNull(cache.attachment(promptId));
        } else {
            assertFalse(model.attachPrefix(cache, promptId));
        }
        int[] forks = cache.fork(promptId, 3);
        int other = -1;
        if (stranger) {
            other = cache.newSequence();
            int[] strangerPrompt = Arrays.copyOf(prompt, 9);
            model.forwardLast(cache, new int[] {other}, new int[] {0, strangerPrompt.length}, 1, strangerPrompt);
        }
        int width = model.outputWidth();
        float[] all = new float[steps * chosen.length * width];
        for (int step = 0; step < steps; step++) {
            int count = chosen.length + (stranger ? 1 : 0);
            int[] ids = new int[count];
            int[] offsets = new int[count + 1];
            int[] tokens = new int[count];
            int at = 0;
            if (stranger) {
                ids[at] = other;
                tokens[at] = 3 + step;
                offsets[at + 1] = ++at;
            }
            for (int f : chosen) {
                ids[at] = forks[f];
                tokens[at] = 40 + 7 * f + step; // a different token per fork and step
                offsets[at + 1] = ++at;
            }
            float[] logits = model.forwardLast(cache, ids, offsets, count, tokens);
            int skip = stranger ? 1 : 0;
            System.arraycopy(logits, skip * width, all, step * chosen.length * width, chosen.length * width);
        }
        return all;
    }

    @Test
    void aForkGetsTheSameBitsAloneAndInABatchCloseToTheFloat32Pages() {
        MatmulBackend onednn = onednn();
        int[] prompt = longestPrompt();
        withCopiesFrom("1", () -> {
            try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), onednn)) {
                for (KvPrecision precision : KvPrecision.values()) {
                    int steps = 20; // past a page boundary after the prompt
                    float[] together = decode(model, precision, prompt, true, new int[] {0, 1, 2}, true, steps);
                    int width = model.outputWidth();
                    for (int f = 0; f < 3; f++) {
                        float[] alone = decode(model, precision, prompt, true, new int[] {f}, false, steps);
                        for (int step = 0; step < steps; step++) {
                            assertArrayEquals(Arrays.copyOfRange(alone, step * width, (step + 1) * width),
                                    Arrays.copyOfRange(together, (step * 3 + f) * width, (step * 3 + f + 1) * width),
                                    precision + " fork " + f + " step " + step);
                        }
                    }
                    float[] pages = withCopiesFrom("off",
                            () -> decode(model, precision, prompt, false, new int[] {0, 1, 2}, true, steps));
                    double scale = 0;
                    for (float p : pages) {
                        scale = Math.max(scale, Math.abs(p));
                    }
                    double worst = Golden.maxAbsDiff(together, pages);
                    System.out.println("prefix copy vs " + precision + " pages: max |logit diff| " + worst + " of "
                            + scale);
                    assertTrue(worst > 0, precision + ": the copy was not read");
                    assertTrue(worst <= RELATIVE_LOGIT_TOLERANCE * scale,
                            precision + ": max |diff| " + worst + " of largest logit " + scale);
                }
            }
            return null;
        });
    }

    @Test
    void aDecodeBatchCopiesItsPromptAndSaysSo() {
        MatmulBackend onednn = onednn();
        int[] prompt = longestPrompt();
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), onednn)) {
            for (String from : new String[] {"1", String.valueOf(prompt.length + 1), "off"}) {
                boolean copied = withCopiesFrom(from, () -> {
                    KvCache cache = model.newCache();
                    io.specrej.engine.generate.DecodeBatch batch = new io.specrej.engine.generate.DecodeBatch(model,
                            cache, io.specrej.engine.sample.SamplingParams.GREEDY,
                            io.specrej.engine.generate.StopTokens.NONE, 0, 4);
                    batch.prefill(prompt);
                    int fork = batch.fork(0, 1).get(0).cacheId();
                    assertEquals(batch.promptCopied(), cache.attachment(fork) != null);
                    return batch.promptCopied();
                });
                assertEquals(from.equals("1"), copied, "copies from " + from + " tokens, prompt " + prompt.length);
            }
        }
    }

    @Test
    void theExactBackendsMakeNoCopies() {
        int[] prompt = longestPrompt();
        withCopiesFrom("1", () -> {
            try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"),
                    MatmulBackends.vector())) {
                KvCache cache = model.newCache();
                int id = cache.newSequence();
                model.forwardLast(cache, new int[] {id}, new int[] {0, prompt.length}, 1, prompt);
                assertFalse(model.attachPrefix(cache, id));
            }
            return null;
        });
    }
}
