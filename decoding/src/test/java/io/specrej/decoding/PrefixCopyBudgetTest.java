package io.specrej.decoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.text.HfTokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A long prompt's bf16 copy (the generator's attention over it through oneDNN) is planned into the memory budget: the
 * llama-bf16 fixture through oneDNN with copies from one token on, Speculative Rejection under budgets that force
 * decisions, never over them (the budget check throws if an unplanned byte appears).
 */
class PrefixCopyBudgetTest {

    @Test
    void speculativeRejectionPlansThePromptsCopy() {
        MatmulBackend onednn = TestModels.oneDnnWithPromptCopies();
        TestModels.withPromptCopiesFrom("1", () -> {
            runUnderBudgets(onednn);
            return null;
        });
    }

    private static void runUnderBudgets(MatmulBackend onednn) {
        Path models = TestModels.repoRoot().resolve("testdata/fixtures/models");
        Path generator = models.resolve("llama-bf16");
        TransformerModel model = TransformerModel.load(generator, onednn);
        try (Generation generation = new Generation(model, HfTokenizer.load(generator),
                StopTokens.of(GenerationConfig.load(generator, model.config()).eosTokenIds()))) {
            ModelRewardScorer scorer = ModelRewardScorer.load(models.resolve("llama-rm"), generation.tokenizer(), 0);
            Prompt prompt = generation.promptEncoder().encode("Tell me about the brown fox.");
            int promptLength = prompt.ids().length;
            long copy = model.prefixCopyBytes(promptLength);
            assertTrue(copy >= 2L * 2 * model.config().kvDim() * promptLength, "a copy of " + copy + " bytes");
            PromptRun probe = new PromptRun(generation, scorer, prompt,
                    DecodingSetup.of(1, 0, Long.MAX_VALUE / 4, 40, TestModels.fixture().sampling(), 0),
                    model.newCache(), RequestOptions.NONE);
            try {
                assertEquals(MemoryBudget.bytesFor(probe.cache, promptLength) + copy + scorer.sharedBytes(),
                        probe.sharedBytes());
            } finally {
                probe.close();
            }
            long onePage = model.newCache().pageBytes();
            for (int pages : new int[] {40, 80}) {
                long budget = pages * onePage + copy + 2 * scorer.sharedBytes();
                Result r = new SpeculativeRejection(generation, scorer).run(prompt,
                        DecodingSetup.of(null, 0.5, budget, 40, TestModels.fixture().sampling(), 4).withMaxBatch(64));
                assertTrue(r.stats().peakKvBytes() <= budget, "peak " + r.stats().peakKvBytes() + " of " + budget);
                assertTrue(r.stats().peakKvBytes() > copy, "the copy is in the peak");
            }
        }
    }
}
