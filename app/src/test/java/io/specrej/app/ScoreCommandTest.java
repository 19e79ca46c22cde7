package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreCommandTest {
    @TempDir
    Path temp;

    @Test
    void idsScoreMatchesTransformersGolden() throws IOException {
        for (JsonNode seq : TestData.golden("llama-rm").get("sequences")) {
            Cli.Result r = Cli.run("score", "--reward-model", TestData.fixture("llama-rm"),
                    "--ids", TestData.ids(seq.get("input_ids")), "--json");
            assertEquals(0, r.code(), r::toString);
            JsonNode out = TestData.JSON.readTree(r.out());
            assertEquals(1, out.size(), r.out());
            double expected = seq.get("score").asDouble();
            double actual = out.get("score").asDouble();
            assertEquals(expected, actual, 1e-4 * Math.max(1, Math.abs(expected)), seq.get("name").asText());
        }
    }

    @Test
    void rewardLabelPicksAnOutputOfAMultiLabelHead() throws IOException {
        // A 2-label copy of llama-rm whose label 1 weights are twice label 0's: the head is linear without bias,
        // so label 1's score must be exactly twice label 0's.
        Path model = TestData.copyFixture("llama-rm", temp);
        Path weights = model.resolve("model.safetensors");
        java.util.List<io.specrej.engine.weights.SafetensorsWriter.TensorSpec> specs = new java.util.ArrayList<>();
        Path original = temp.resolve("original.safetensors");
        Files.move(weights, original);
        try (var file = io.specrej.engine.weights.SafetensorsFile.open(original)) {
            for (var t : file.tensors().values()) {
                boolean score = t.name().equals("score.weight");
                long[] shape = score ? new long[] {2, t.shape()[1]} : t.shape();
                java.lang.foreign.MemorySegment data = t.data();
                long elements = t.elementCount();
                specs.add(new io.specrej.engine.weights.SafetensorsWriter.TensorSpec(t.name(), t.dtype(), shape,
                        (chunk, first) -> {
                            for (long i = first; chunk.hasRemaining(); i++) {
                                float v = data.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED
                                        .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4 * (i % elements));
                                chunk.putFloat(i >= elements ? 2 * v : v);
                            }
                        }));
            }
            io.specrej.engine.weights.SafetensorsWriter.write(weights, specs, java.util.Map.of());
        }
        Files.delete(original);
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"LABEL_0\": 0", "\"LABEL_0\": 0, \"LABEL_1\": 1")
                .replace("\"0\": \"LABEL_0\"", "\"0\": \"LABEL_0\", \"1\": \"LABEL_1\""));
        String ids = TestData.ids(TestData.golden("llama-rm").get("sequences").get(1).get("input_ids"));
        Cli.Result label0 = Cli.run("score", "--reward-model", model, "--ids", ids, "--json");
        Cli.Result label1 = Cli.run("score", "--reward-model", model, "--ids", ids, "--json", "--reward-label", "1");
        assertEquals(0, label0.code(), label0::toString);
        assertEquals(0, label1.code(), label1::toString);
        double s0 = TestData.JSON.readTree(label0.out()).get("score").asDouble();
        double s1 = TestData.JSON.readTree(label1.out()).get("score").asDouble();
        assertEquals(2 * s0, s1, 1e-5 * Math.max(1, Math.abs(s1)));
        Cli.Result bad = Cli.run("score", "--reward-model", model, "--ids", ids, "--reward-label", "2");
        assertEquals(2, bad.code(), bad::toString);
        assertTrue(bad.err().contains("reward label 2") && bad.err().contains("2 labels"), bad::toString);
    }

    @Test
    void promptAndResponseGoThroughTheRewardModelsTemplate() {
        Cli.Result r = Cli.run("score", "--reward-model", TestData.embedded("mini-alpaca-rm"),
                "--prompt", "Give three tips for staying healthy.",
                "--response", "Eat vegetables, sleep eight hours and walk every day.");
        assertEquals(0, r.code(), r::toString);
        double score = Double.parseDouble(r.out().strip());
        assertTrue(Double.isFinite(score), r::toString);
    }

    @Test
    void conversationWithoutChatTemplateIsBadInput() throws IOException {
        Path model = TestData.copyFixture("llama-rm", temp);
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        Cli.Result r = Cli.run("score", "--reward-model", model, "--prompt", "hi", "--response", "hello");
        ErrorHandlingTest.assertOneLineError(r, "chat template");
    }

    @Test
    void causalLmIsNotARewardModel() {
        Cli.Result r = Cli.run("score", "--reward-model", TestData.fixture("llama"), "--ids", "1,2,3");
        ErrorHandlingTest.assertOneLineError(r, "ForSequenceClassification");
    }
}
