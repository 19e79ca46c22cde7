package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** inspect, random-model and score on the paper's families: GPT-J, ArmoRM, Eurus-RM. */
class PaperModelsCommandTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @CsvSource({"gptj, GPTJForCausalLM, causal_lm", "armo-rm, LlamaForRewardModelWithGating, armorm_gating",
            "eurus-rm, EurusRewardModel, eurus_regression"})
    void inspectNamesTheClassAndHeadAndRandomModelRebuildsTheCheckpoint(String name, String className, String head)
            throws IOException {
        JsonNode fixture = inspect(TestData.fixture(name));
        assertEquals(className, fixture.get("architecture").asText());
        assertEquals(head, fixture.get("head").asText());
        // random-model from the fixture's config gives a checkpoint the engine loads, of the same shape and size.
        Path random = Cli.randomModel(temp, name, Files.readString(TestData.fixture(name).resolve("config.json")),
                "f32");
        JsonNode rebuilt = inspect(random);
        for (String field : new String[] {"architecture", "head", "parameters", "weight_bytes", "kv_bytes_per_token"}) {
            assertEquals(fixture.get(field), rebuilt.get(field), name + " " + field);
        }
    }

    @Test
    void scoreExplainShowsArmoRmsRewardsAndGating() throws IOException {
        Cli.Result r = Cli.run("score", "--reward-model", TestData.fixture("armo-rm"), "--prompt",
                "What is the capital of France?", "--response", "The capital of France is Paris.", "--json",
                "--explain");
        assertEquals(0, r.code(), r::toString);
        JsonNode out = TestData.JSON.readTree(r.out());
        JsonNode golden = TestData.golden("armo-rm").get("conversations").get(0);
        assertEquals(golden.get("score").asDouble(), out.get("score").asDouble(), 1e-4 * 30);
        assertEquals(5, out.get("rewards").size());
        double sum = 0;
        for (JsonNode g : out.get("gating")) {
            sum += g.asDouble();
        }
        assertEquals(2.5, sum, 1e-5, "gating weights sum to logit_scale");
    }

    @Test
    void armoRmScoredFromIdsWithoutItsTokenizerNamesTheMissingFile() throws IOException {
        Path random = Cli.randomModel(temp, "armo", Files.readString(TestData.fixture("armo-rm")
                .resolve("config.json")), "f32");
        Cli.Result r = Cli.run("score", "--reward-model", random, "--ids", "1,2,3");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("needs its tokenizer.json"), r::toString);
    }

    private static JsonNode inspect(Path dir) throws IOException {
        Cli.Result r = Cli.run("inspect", dir, "--json");
        assertEquals(0, r.code(), r::toString);
        return TestData.JSON.readTree(r.out());
    }
}
