package io.specrej.engine.model;

import io.specrej.engine.TestData;
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
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), onednn)) {
            Golden.assertWithinTransformersBf16Error(model, 1.0, "oneDNN");
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
