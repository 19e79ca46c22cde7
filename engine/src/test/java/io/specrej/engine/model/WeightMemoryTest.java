package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import io.specrej.engine.tensor.MatmulBackends;
import java.util.List;
import org.junit.jupiter.api.Test;

class WeightMemoryTest {
    @Test
    void copiesThatCannotFitFailWithOneLineNamingTheChoices() {
        assumeTrue(WeightMemory.availableBytes() > 0, "needs /proc/meminfo");
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"),
                MatmulBackends.select("q8_0"))) {
            WeightMemory.requireFits(List.of(model), List.of("generator"), 0); // a few hundred KB fit
            BadInputException e = assertThrows(BadInputException.class, () -> WeightMemory.requireFits(
                    List.of(model), List.of("generator"), Long.MAX_VALUE / 4));
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("pass --matmul q8_0 (Q8_0 weights"), e.getMessage());
            assertTrue(e.getMessage().contains("--matmul vector"), e.getMessage());
        }
    }

    @Test
    void q8CopiesAreNineEighthsOfAByteAWeight() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama-bf16"))) {
            long weights = 0;
            for (var e : model.config().tensors()) {
                // matrices multiplied with 64+ rows are quantized (the fixture's columns are whole 32-blocks); k/v
                // have 32 rows and stay on the mapped file
                boolean quantized = e.shape().length == 2 && e.role() != TensorTable.Role.EMBED && e.shape()[0] >= 64;
                weights += quantized ? e.elements() : 0;
            }
            assertEquals(weights * 36 / 32, model.weightCopyBytes(MatmulBackends.select("q8_0")));
            assertEquals(0, model.weightCopyBytes(MatmulBackends.vector()));
        }
    }
}
