package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.Generator;
import io.specrej.engine.generate.SequenceState;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.sample.SamplingParams;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every causal-LM fixture against the logits and greedy continuations transformers computed. */
class CausalLmGoldenTest {
    private static final double F32_TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gptj"})
    void lastLogitsMatchTransformers(String name) {
        JsonNode golden = Golden.load(name);
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel(name))) {
            for (JsonNode seq : golden.get("sequences")) {
                int[] ids = Golden.ints(seq.get("input_ids"));
                KvCache cache = model.newCache();
                int id = cache.newSequence();
                float[] logits = model.forwardLast(cache, new int[] {id}, new int[] {0, ids.length}, 1, ids);
                Golden.assertClose(Golden.floats(seq.get("last_logits")), logits, 0, F32_TOLERANCE,
                        name + " " + seq.get("name").asText());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gptj"})
    void everyPositionOfSeq17MatchesTransformers(String name) {
        JsonNode seq = sequence(Golden.load(name), "seq17");
        int[] ids = Golden.ints(seq.get("input_ids"));
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel(name))) {
            KvCache cache = model.newCache();
            int id = cache.newSequence();
            int[] all = new int[ids.length];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            float[] logits = model.forward(cache, new int[] {id}, new int[] {0, ids.length}, 1, ids, all, all.length);
            JsonNode rows = seq.get("all_logits");
            int vocab = model.outputWidth();
            for (int t = 0; t < rows.size(); t++) {
                Golden.assertClose(Golden.floats(rows.get(t)), logits, t * vocab, F32_TOLERANCE,
                        name + " seq17 position " + t);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gptj"})
    void greedyContinuationsAreIdenticalTokenForToken(String name) {
        JsonNode golden = Golden.load(name);
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel(name))) {
            Generator generator = new Generator(model);
            for (JsonNode seq : golden.get("sequences")) {
                int[] expected = Golden.ints(seq.get("greedy").get("new_tokens"));
                List<SequenceState> out = generator.generate(Golden.ints(seq.get("input_ids")), 1,
                        SamplingParams.GREEDY, StopTokens.NONE, 0, expected.length);
                assertArrayEquals(expected, out.get(0).tokens(), name + " " + seq.get("name").asText());
            }
        }
    }

    static JsonNode sequence(JsonNode golden, String name) {
        for (JsonNode seq : golden.get("sequences")) {
            if (seq.get("name").asText().equals(name)) {
                return seq;
            }
        }
        throw new AssertionError("no " + name);
    }
}
