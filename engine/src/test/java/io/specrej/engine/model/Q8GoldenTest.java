package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.Generator;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.Q8Matmul;
import org.junit.jupiter.api.Test;

/**
 * Q8_0 weights against the bf16 golden. Quantizing to 8 bits per weight is a rounding of the same order as computing
 * in bf16, so the yardstick is transformers' own all-bf16 inference ({@code bf16} in the fixture): sequence by
 * sequence, Q8_0's last logits may be at most twice as far from {@code f32_upcast} as that, and its greedy
 * continuation must agree with {@code f32_upcast}'s at least as long. (The trained pair's accuracy is measured in the
 * decoding module's Q8AccuracyTest.)
 */
class Q8GoldenTest {

    @Test
    void logitsStayWithinTwiceTransformersBf16Error() {
        JsonNode upcast = Golden.load("llama-bf16").get("f32_upcast").get("sequences");
        JsonNode bf16 = Golden.load("llama-bf16").get("bf16").get("sequences");
        Q8Matmul q8 = new Q8Matmul(MatmulBackends.vector());
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), q8)) {
            for (int s = 0; s < upcast.size(); s++) {
                String name = upcast.get(s).get("name").asText();
                int[] ids = Golden.ints(upcast.get(s).get("input_ids"));
                KvCache cache = model.newCache();
                int id = cache.newSequence();
                float[] logits = model.forwardLast(cache, new int[] {id}, new int[] {0, ids.length}, 1, ids);
                float[] reference = Golden.floats(upcast.get(s).get("last_logits"));
                float[] torchBf16 = Golden.floats(bf16.get(s).get("last_logits"));
                double ours = Golden.maxAbsDiff(logits, reference);
                double theirs = Golden.maxAbsDiff(torchBf16, reference);
                assertTrue(ours <= 2 * theirs, name + ": Q8_0 is " + ours + " from f32_upcast, transformers bf16 "
                        + theirs);
                int[] expected = Golden.ints(upcast.get(s).get("greedy").get("new_tokens"));
                int[] got = new Generator(model).generate(ids, 1, SamplingParams.GREEDY, StopTokens.NONE, 0,
                        expected.length).get(0).tokens();
                int[] torchTokens = Golden.ints(bf16.get(s).get("greedy").get("new_tokens"));
                int oursAgree = Golden.agreeing(got, expected);
                int theirsAgree = Golden.agreeing(torchTokens, expected);
                assertTrue(oursAgree >= theirsAgree, name + ": Q8_0 greedy agrees with f32_upcast for " + oursAgree
                        + " tokens, transformers bf16 for " + theirsAgree);
            }
            assertTrue(q8.quantizedBytes() > 0, "the fixture's weights were quantized");
        }
    }

    @Test
    void aSequenceGetsTheSameLogitsAloneAndInABatch() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("qwen3"),
                new Q8Matmul(MatmulBackends.vector()))) {
            BatchedDecodeGoldenTest.assertSameBitsAloneAndInABatch(model, Golden.load("qwen3").get("sequences"));
        }
    }
}
