package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.TestData;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.Q8Matmul;
import org.junit.jupiter.api.Test;

/**
 * Q8_0 weights against the bf16 golden. Quantizing to 8 bits per weight is a rounding of the same order as computing
 * in bf16, so the yardstick is transformers' own all-bf16 inference ({@code bf16} in the fixture): sequence by
 * sequence, Q8_0's last logits may be at most twice as far from {@code f32_upcast} as that, and its greedy
 * continuation must agree with {@code f32_upcast}'s at least as long. (The trained pair's accuracy is measured in the
 * decoding module's ApproximationAccuracyTest.)
 */
class Q8GoldenTest {

    @Test
    void logitsStayWithinTwiceTransformersBf16Error() {
        Q8Matmul q8 = new Q8Matmul(MatmulBackends.vector());
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"), q8)) {
            Golden.assertWithinTransformersBf16Error(model, 2.0, "Q8_0");
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
