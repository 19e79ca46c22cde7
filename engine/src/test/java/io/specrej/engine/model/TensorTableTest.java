package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.specrej.engine.TestData;
import io.specrej.engine.weights.CheckpointWeights;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each family's tensor table (what the loader binds and random-model writes) is exactly what save_pretrained wrote
 * for the fixture: the same names with the same shapes, nothing missing, nothing extra.
 */
class TensorTableTest {
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gpt2-rm", "llama", "llama-rm", "mistral", "qwen2", "qwen2-rm", "qwen3", "gptj",
            "armo-rm", "eurus-rm"})
    void tableEqualsTheCheckpointTransformersWrote(String name) {
        ModelConfig config = ModelConfig.load(TestData.fixtureModel(name));
        Map<String, String> table = new TreeMap<>();
        config.tensors().forEach(e -> table.put(e.name(), Arrays.toString(e.shape())));
        Map<String, String> stored = new TreeMap<>();
        try (CheckpointWeights w = CheckpointWeights.open(TestData.fixtureModel(name))) {
            w.names().forEach(n -> stored.put(n, Arrays.toString(w.tensor(n).shape())));
        }
        assertEquals(stored, table, name);
    }
}
