package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.Generator;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.OneDnnAvailability;
import org.junit.jupiter.api.Test;

/**
 * The bf16 golden through oneDNN. oneDNN rounds each matmul's input to bf16 (as torch's bf16 linear does) but keeps
 * the residual stream, norms and attention in F32, so it sits between the fixture's two references: it must be at
 * least as close to {@code f32_upcast} as transformers' own all-bf16 compute ({@code bf16}) is, sequence by sequence,
 * and its greedy continuation must agree with {@code f32_upcast}'s at least as long as the all-bf16 one does.
 */
class OneDnnGoldenTest {

    @Test
    void logitsAreNoFurtherFromF32ThanTransformersBf16Compute() {
        MatmulBackend onednn = OneDnnAvailability.requireOneDnn();
        JsonNode upcast = Golden.load("llama-bf16").get("f32_upcast").get("sequences");
        JsonNode bf16 = Golden.load("llama-bf16").get("bf16").get("sequences");
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), onednn)) {
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
                assertTrue(ours <= theirs, name + ": oneDNN is " + ours + " from f32_upcast, transformers bf16 "
                        + theirs);
                int[] expected = Golden.ints(upcast.get(s).get("greedy").get("new_tokens"));
                int[] got = new Generator(model).generate(ids, 1, SamplingParams.GREEDY, StopTokens.NONE, 0,
                        expected.length).get(0).tokens();
                int[] torchTokens = Golden.ints(bf16.get(s).get("greedy").get("new_tokens"));
                int oursAgree = Golden.agreeing(got, expected);
                int theirsAgree = Golden.agreeing(torchTokens, expected);
                assertTrue(oursAgree >= theirsAgree, name + ": oneDNN greedy agrees with f32_upcast for " + oursAgree
                        + " tokens, transformers bf16 for " + theirsAgree);
            }
        }
    }

    /**
     * The batch-invariance contract end to end: each sequence's logits alone equal its logits in a batch, for the
     * prompts (5 to 40 rows per sequence) and for a decode step (1 row alone, 3 in the batch).
     */
    @Test
    void aSequenceGetsTheSameLogitsAloneAndInABatch() {
        MatmulBackend onednn = OneDnnAvailability.requireOneDnn();
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), onednn)) {
            BatchedDecodeGoldenTest.assertSameBitsAloneAndInABatch(model,
                    Golden.load("llama-bf16").get("f32_upcast").get("sequences"));
        }
    }
}
