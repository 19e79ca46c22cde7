package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.cache.KvPrecision;
import io.specrej.engine.tensor.MatmulBackends;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A bfloat16 KV cache ({@code --kv-cache bf16}) against transformers: the llama-bf16 fixture within transformers' own
 * bfloat16 error (which rounds far more: weights, activations and the cache), every float32 fixture close to its
 * golden logits and reward scores but not equal to them (the rounding is in effect), and the batch invariance the
 * float32 cache has.
 */
class Bf16KvCacheGoldenTest {
    /**
     * Worst |logit difference| allowed, as a fraction of the largest |logit| of the row. Rounding a key or value to
     * bfloat16 moves it by at most 2^-9 of itself; through the fixtures' two layers of large random weights the logits
     * moved by 0.24-0.93 % (measured, printed below).
     */
    private static final double RELATIVE_LOGIT_TOLERANCE = 0.01;

    private static TransformerModel load(String name, KvPrecision precision) {
        return TransformerModel.load(TestData.fixtureModel(name), MatmulBackends.vector(), precision);
    }

    @Test
    void llamaBf16StaysWithinTransformersOwnBf16Error() {
        try (TransformerModel model = load("llama-bf16", KvPrecision.BF16)) {
            Golden.assertWithinTransformersBf16Error(model, 1.0, "a bf16 KV cache");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "qwen3"})
    void logitsStayCloseToTransformersFloat32(String name) {
        JsonNode golden = Golden.load(name);
        double worstRelative = 0;
        try (TransformerModel model = load(name, KvPrecision.BF16)) {
            for (JsonNode seq : golden.get("sequences")) {
                int[] ids = Golden.ints(seq.get("input_ids"));
                KvCache cache = model.newCache();
                int id = cache.newSequence();
                float[] logits = model.forwardLast(cache, new int[] {id}, new int[] {0, ids.length}, 1, ids);
                float[] expected = Golden.floats(seq.get("last_logits"));
                double scale = 0;
                for (float e : expected) {
                    scale = Math.max(scale, Math.abs(e));
                }
                double relative = Golden.maxAbsDiff(logits, expected) / scale;
                assertTrue(relative <= RELATIVE_LOGIT_TOLERANCE, name + " " + seq.get("name").asText()
                        + ": max |diff| " + relative + " of the largest logit");
                worstRelative = Math.max(worstRelative, relative);
            }
        }
        System.out.printf("bf16 KV cache, %s: worst |logit diff| %.2e of the largest logit%n", name, worstRelative);
        // Float32 keeps the goldens within 1e-4 (CausalLmGoldenTest); rounding must show above that.
        assertTrue(worstRelative > 1e-4, name + ": the bf16 cache gave float32's logits: it does not round");
    }

    /**
     * Reward scores move by at most 2 % of the spread between the fixture's sequences' scores (a reward model's scores
     * matter as a ranking; measured: 0.27-1.0 %) and keep their order.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-rm", "qwen2-rm", "gpt2-rm"})
    void rewardScoresKeepTheirOrderAndStayClose(String name) {
        JsonNode sequences = Golden.load(name).get("sequences");
        int n = sequences.size();
        float[] expected = new float[n];
        float[] scores = new float[n];
        try (TransformerModel model = load(name, KvPrecision.BF16)) {
            RewardModel rm = new RewardModel(model, 0);
            for (int i = 0; i < n; i++) {
                expected[i] = sequences.get(i).get("score").floatValue();
                scores[i] = rm.score(List.of(Golden.ints(sequences.get(i).get("input_ids"))))[0];
            }
        }
        double spread = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                spread = Math.max(spread, expected[i] - expected[j]);
                assertTrue(Float.compare(expected[i], expected[j]) == Float.compare(scores[i], scores[j]),
                        name + ": sequences " + i + " and " + j + " change order");
            }
        }
        for (int i = 0; i < n; i++) {
            assertTrue(Math.abs(scores[i] - expected[i]) <= 0.02 * spread, name + " sequence " + i + ": "
                    + scores[i] + " vs " + expected[i] + " (spread " + spread + ")");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "qwen3"})
    void rowsInABatchAreBitEqualToRowsAlone(String name) {
        try (TransformerModel model = load(name, KvPrecision.BF16)) {
            BatchedDecodeGoldenTest.assertSameBitsAloneAndInABatch(model, Golden.load(name).get("sequences"));
        }
    }
}
