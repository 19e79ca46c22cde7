package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tokenizer.json that does not belong to the checkpoint is refused at load, naming both numbers. */
class TokenizerFitTest {
    @TempDir
    Path temp;

    @Test
    void aTokenizerLargerThanTheModelsVocabularyIsRefused() throws Exception {
        Path model = TestData.copyFixture("llama", temp);
        addTokens(model, 448, 452);
        Cli.Result r = Cli.run("generate", "--model", model, "--prompt", "hi", "--max-new-tokens", 2);
        assertEquals(2, r.code(), r::toString);
        assertEquals("error: " + model + ": tokenizer.json has 452 tokens, more than the model's vocab_size 448 "
                + "(config.json), so its ids can run past the embedding; is tokenizer.json from another model?",
                r.err().strip());
    }

    @Test
    void aRewardModelsTokenizerIsCheckedToo() throws Exception {
        Path rm = TestData.copyFixture("llama-rm", temp);
        addTokens(rm, 448, 450);
        Path prompts = RunFixtures.write(temp.resolve("p.txt"), "hello\n");
        Cli.Result r = Cli.run("run", "--model", TestData.fixture("llama"), "--reward-model", rm, "--prompts", prompts,
                "--strategy", "bon", "--n", 1, "--max-new-tokens", 2, "--out", temp.resolve("o.jsonl"));
        assertEquals(2, r.code(), r::toString);
        assertEquals("error: " + rm + ": tokenizer.json has 450 tokens, more than the model's vocab_size 448 "
                + "(config.json), so its ids can run past the embedding; is tokenizer.json from another model?",
                r.err().strip());
        Cli.Result score = Cli.run("score", "--reward-model", rm, "--prompt", "a", "--response", "b");
        assertEquals(2, score.code(), score::toString);
        assertEquals(r.err(), score.err());
    }

    private static void addTokens(Path model, int from, int to) throws Exception {
        ObjectNode tokenizer = (ObjectNode) TestData.readJson(model.resolve("tokenizer.json"));
        ArrayNode added = (ArrayNode) tokenizer.get("added_tokens");
        for (int id = from; id < to; id++) {
            added.addObject().put("id", id).put("content", "<extra_" + id + ">").put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        Files.writeString(model.resolve("tokenizer.json"), TestData.JSON.writeValueAsString(tokenizer));
    }

    @Test
    void aStopIdTheTokenizerCannotProduceIsRefused() throws Exception {
        Path model = TestData.copyFixture("llama", temp);
        ObjectNode tokenizer = (ObjectNode) TestData.readJson(model.resolve("tokenizer.json"));
        ArrayNode added = (ArrayNode) tokenizer.get("added_tokens");
        for (int i = added.size() - 1; i >= 0; i--) {
            if (added.get(i).get("id").asInt() == 447) { // the eos id of generation_config.json
                added.remove(i);
            }
        }
        Files.writeString(model.resolve("tokenizer.json"), TestData.JSON.writeValueAsString(tokenizer));
        Path prompts = RunFixtures.write(temp.resolve("p.txt"), "hello\n");
        Cli.Result r = Cli.run("run", "--model", model, "--reward-model", "self", "--prompts", prompts,
                "--strategy", "bon", "--n", 1, "--max-new-tokens", 2, "--out", temp.resolve("o.jsonl"));
        assertEquals(2, r.code(), r::toString);
        assertEquals("error: " + model + ": eos_token_id 447 (config.json or generation_config.json) is not a token "
                + "of tokenizer.json, which has 447 tokens; is tokenizer.json from another model?", r.err().strip());
    }
}
