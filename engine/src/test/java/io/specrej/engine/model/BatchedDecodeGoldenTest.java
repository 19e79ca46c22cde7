package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.Generator;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.VectorOps;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Many sequences of different lengths in one forward: equal to transformers and bit-equal to running alone. */
class BatchedDecodeGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gptj"})
    void batchOfThreePromptsDecodesLikeTransformers(String name) {
        JsonNode batch = Golden.load(name).get("batched_decode");
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel(name))) {
            int rows = batch.get("input_ids").size();
            int[][] prompts = new int[rows][];
            for (int r = 0; r < rows; r++) {
                int[] ids = Golden.ints(batch.get("input_ids").get(r));
                int[] mask = Golden.ints(batch.get("attention_mask").get(r));
                int start = 0;
                while (mask[start] == 0) {
                    start++; // left padding is transformers' way to batch; the engine batches unpadded rows
                }
                prompts[r] = Arrays.copyOfRange(ids, start, ids.length);
            }
            int steps = batch.get("rows").get(0).get("new_tokens").size();
            int[][] generated = greedyTogether(model, prompts, steps);
            for (int r = 0; r < rows; r++) {
                assertArrayEquals(Golden.ints(batch.get("rows").get(r).get("new_tokens")), generated[r], "row " + r);
            }
        }
    }

    /** Greedy decoding of several prompts, all in one forward per step. */
    static int[][] greedyTogether(TransformerModel model, int[][] prompts, int steps) {
        int n = prompts.length;
        KvCache cache = model.newCache();
        int[] ids = new int[n];
        int[][] out = new int[n][steps];
        int vocab = model.outputWidth();
        float[] logits = prefillTogether(model, cache, prompts, ids);
        int[] stepOffsets = new int[n + 1];
        int[] next = new int[n];
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < n; i++) {
                next[i] = VectorOps.argmax(logits, i * vocab, vocab);
                out[i][s] = next[i];
                stepOffsets[i + 1] = i + 1;
            }
            if (s + 1 < steps) {
                logits = model.forwardLast(cache, ids, stepOffsets, n, next);
            }
        }
        return out;
    }

    /** All prompts as new sequences (ids written to {@code ids}) in one forward; returns each one's last logits. */
    /**
     * The batch-invariance contract end to end, for any backend: each sequence's logits alone equal its logits in a
     * batch, bit for bit, for the prompts and for a decode step (1 row alone, all sequences' rows in the batch).
     */
    static void assertSameBitsAloneAndInABatch(TransformerModel model, JsonNode sequences) {
        int count = sequences.size();
        int[][] prompts = new int[count][];
        float[][] alone = new float[count][];
        float[][] aloneStep = new float[count][];
        for (int s = 0; s < count; s++) {
            prompts[s] = Golden.ints(sequences.get(s).get("input_ids"));
            KvCache cache = model.newCache();
            int id = cache.newSequence();
            alone[s] = model.forwardLast(cache, new int[] {id}, new int[] {0, prompts[s].length}, 1, prompts[s])
                    .clone();
            aloneStep[s] = model.forwardLast(cache, new int[] {id}, new int[] {0, 1}, 1, new int[] {7 + s}).clone();
        }
        KvCache cache = model.newCache();
        int[] ids = new int[count];
        assertSameBits(prefillTogether(model, cache, prompts, ids), alone, "prompt");
        int[] stepOffsets = new int[count + 1];
        int[] stepTokens = new int[count];
        for (int s = 0; s < count; s++) {
            stepOffsets[s + 1] = s + 1;
            stepTokens[s] = 7 + s;
        }
        assertSameBits(model.forwardLast(cache, ids, stepOffsets, count, stepTokens), aloneStep, "decode step");
    }

    private static void assertSameBits(float[] batched, float[][] alone, String what) {
        int width = alone[0].length;
        for (int s = 0; s < alone.length; s++) {
            for (int j = 0; j < width; j++) {
                if (Float.floatToRawIntBits(batched[s * width + j]) != Float.floatToRawIntBits(alone[s][j])) {
                    org.junit.jupiter.api.Assertions.fail(what + ", sequence " + s + " logit " + j + ": batched "
                            + batched[s * width + j] + ", alone " + alone[s][j]);
                }
            }
        }
    }

    static float[] prefillTogether(TransformerModel model, KvCache cache, int[][] prompts, int[] ids) {
        int n = prompts.length;
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            ids[i] = cache.newSequence();
            offsets[i + 1] = offsets[i] + prompts[i].length;
        }
        int[] tokens = new int[offsets[n]];
        for (int i = 0; i < n; i++) {
            System.arraycopy(prompts[i], 0, tokens, offsets[i], prompts[i].length);
        }
        return model.forwardLast(cache, ids, offsets, n, tokens);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gptj"})
    void rowsInABatchAreBitEqualToRowsAlone(String name) {
        JsonNode golden = Golden.load(name);
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel(name))) {
            int n = golden.get("sequences").size();
            int[][] prompts = new int[n][];
            for (int i = 0; i < n; i++) {
                prompts[i] = Golden.ints(golden.get("sequences").get(i).get("input_ids"));
            }
            int vocab = model.outputWidth();
            float[][] alone = new float[n][];
            for (int i = 0; i < n; i++) {
                KvCache cache = model.newCache();
                int id = cache.newSequence();
                alone[i] = Arrays.copyOf(model.forwardLast(cache, new int[] {id}, new int[] {0, prompts[i].length},
                        1, prompts[i]), vocab);
            }
            for (int threads : new int[] {1, 2}) {
                int saved = Parallel.threads();
                Parallel.setThreads(threads);
                try {
                    float[] together = prefillTogether(model, model.newCache(), prompts, new int[n]);
                    for (int i = 0; i < n; i++) {
                        assertArrayEquals(alone[i], Arrays.copyOfRange(together, i * vocab, (i + 1) * vocab),
                                name + " row " + i + " with " + threads + " threads");
                    }
                } finally {
                    Parallel.setThreads(saved);
                }
            }
        }
    }

    /**
     * The two contracts above with attention grouping every token (tokens of one sequence or of forks going through
     * their pages together), which real checkpoints only do from 1,024 tokens of context: a prompt's tokens are grouped,
     * a token alone is not, and the bits must not care.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gptj"})
    void attentionInTokenGroupsKeepsTheBits(String name) {
        System.setProperty(CachedAttention.GROUP_FROM_BYTES_PROPERTY, "0");
        try {
            rowsInABatchAreBitEqualToRowsAlone(name);
            if (name.equals("qwen2")) {
                promptLongerThanAChunkGivesTheSameLogitsAsOneTokenAtATime();
            }
            try (TransformerModel model = TransformerModel.load(TestData.fixtureModel(name))) {
                assertSameBitsAloneAndInABatch(model, Golden.load(name).get("sequences"));
            }
        } finally {
            System.clearProperty(CachedAttention.GROUP_FROM_BYTES_PROPERTY);
        }
    }

    @Test
    void promptLongerThanAChunkGivesTheSameLogitsAsOneTokenAtATime() {
        // 300 tokens crosses the 256-token chunk boundary and 19 KV pages.
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("qwen2"))) {
            int[] prompt = new int[250];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (i * 37 + 11) % 440;
            }
            int vocab = model.outputWidth();
            KvCache cache = model.newCache();
            int id = cache.newSequence();
            float[] whole = Arrays.copyOf(model.forwardLast(cache, new int[] {id}, new int[] {0, prompt.length}, 1,
                    prompt), vocab);
            KvCache stepCache = model.newCache();
            int stepId = stepCache.newSequence();
            float[] last = null;
            for (int t : prompt) {
                last = model.forwardLast(stepCache, new int[] {stepId}, new int[] {0, 1}, 1, new int[] {t});
            }
            assertArrayEquals(whole, Arrays.copyOf(last, vocab));
            assertEquals(prompt.length, cache.length(id));
        }
    }

    @Test
    void forkedSequencesContinueExactlyLikeAFreshPrefill() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama"))) {
            int[] prompt = Golden.ints(Golden.load("llama").get("sequences").get(2).get("input_ids"));
            var generator = new Generator(model);
            var one = generator.generate(prompt, 1, SamplingParams.sample(1.0, 0, 1.0), StopTokens.NONE, 7, 20);
            var many = generator.generate(prompt, 5, SamplingParams.sample(1.0, 0, 1.0), StopTokens.NONE, 7, 20);
            // Sequence 0 draws from stream (7, 0) in both runs, so batch size must not change its tokens.
            assertArrayEquals(one.get(0).tokens(), many.get(0).tokens());
        }
    }
}
