package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.weights.CheckpointWeights;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class InspectCommandTest {
    @Test
    void llamaFixtureReportsSizesParametersAndKvBytes() throws IOException {
        Path dir = TestData.fixture("llama");
        Cli.Result r = Cli.run("inspect", dir, "--json");
        assertEquals(0, r.code(), r::toString);
        JsonNode report = TestData.JSON.readTree(r.out());
        long elements = 0;
        long bytes;
        try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
            for (String name : weights.names()) {
                elements += weights.tensor(name).elementCount();
            }
            bytes = weights.totalBytes();
        }
        assertEquals(elements, report.get("parameters").asLong());
        assertEquals(bytes, report.get("weight_bytes").asLong());
        assertEquals(2 * 2 * 2 * 16 * 4, report.get("kv_bytes_per_token").asLong()); // 2·layers·kv_heads·head_dim·4
        assertEquals("LlamaForCausalLM", report.get("architecture").asText());
        assertEquals("llama", report.get("model_type").asText());
        assertEquals("causal_lm", report.get("head").asText());
        assertEquals(2, report.get("layers").asInt());
        assertEquals(64, report.get("hidden_size").asInt());
        assertEquals(4, report.get("attention_heads").asInt());
        assertEquals(2, report.get("kv_heads").asInt());
        assertEquals(16, report.get("head_dim").asInt());
        assertEquals(128, report.get("intermediate_size").asInt());
        assertEquals(448, report.get("vocab_size").asInt());
        assertEquals(256, report.get("context").asInt());
        assertEquals(21, report.at("/tensors_per_dtype/F32").asInt());
        assertEquals("[447]", report.get("stop_tokens").toString());
        assertTrue(report.get("chat_template").asBoolean());
    }

    @Test
    void rewardModelShowsClassificationHeadWithLabels() throws IOException {
        Cli.Result r = Cli.run("inspect", TestData.fixture("llama-rm"), "--json");
        assertEquals(0, r.code(), r::toString);
        JsonNode report = TestData.JSON.readTree(r.out());
        assertEquals("sequence_classification", report.get("head").asText());
        assertEquals(1, report.get("num_labels").asInt());
    }

    @Test
    void textReportIsReadable() {
        Cli.Result r = Cli.run("inspect", TestData.fixture("qwen3"));
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("head                 causal LM"), r::toString);
        assertTrue(r.out().contains("head dim             32"), r::toString);
        assertTrue(r.out().contains("chat template        yes"), r::toString);
    }
}
