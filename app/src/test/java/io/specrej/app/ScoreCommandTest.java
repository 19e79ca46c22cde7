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
