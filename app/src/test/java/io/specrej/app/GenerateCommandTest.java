package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.text.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
    private static final Path LLAMA = TestData.fixture("llama");

    @TempDir
    Path temp;

    /** Parses JSON-lines output, checking each line has exactly the four documented fields. */
    static List<JsonNode> jsonLines(Cli.Result r) throws IOException {
        assertEquals(0, r.code(), r::toString);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : r.outLines()) {
            JsonNode node = TestData.JSON.readTree(line);
            Set<String> fields = new TreeSet<>();
            node.fieldNames().forEachRemaining(fields::add);
            assertEquals(Set.of("index", "token_ids", "text", "finish_reason"), fields, line);
            assertTrue(node.get("text").isTextual() && node.get("token_ids").isArray(), line);
            lines.add(node);
        }
        return lines;
    }

    @Test
    void greedyIdsReproduceTransformersGoldenContinuation() throws IOException {
        for (JsonNode seq : TestData.golden("llama").get("sequences")) {
            Cli.Result r = Cli.run("generate", "--model", LLAMA, "--ids", TestData.ids(seq.get("input_ids")),
                    "--greedy", "--max-new-tokens", 24, "--ignore-eos", "--json");
            List<JsonNode> lines = jsonLines(r);
            assertEquals(1, lines.size());
            assertEquals(0, lines.get(0).get("index").asInt());
            assertArrayEquals(TestData.intArray(seq.at("/greedy/new_tokens")),
                    TestData.intArray(lines.get(0).get("token_ids")), seq.get("name").asText());
            assertEquals("length", lines.get(0).get("finish_reason").asText());
        }
    }

    @Test
    void plainPromptIsEncodedLikeTokenizerCall() throws IOException {
        // golden seq5 is the fixture tokenizer's encoding of "Hello world"
        JsonNode seq5 = TestData.golden("llama").get("sequences").get(0);
        Cli.Result r = Cli.run("generate", "--model", LLAMA, "--prompt", "Hello world", "--greedy",
                "--max-new-tokens", 24, "--ignore-eos", "--json");
        assertArrayEquals(TestData.intArray(seq5.at("/greedy/new_tokens")),
                TestData.intArray(jsonLines(r).get(0).get("token_ids")));
    }

    @Test
    void chatPromptIsEncodedLikeApplyChatTemplate() throws IOException {
        // golden seq40 is a ChatML user turn plus the opened assistant turn; recover its user text and re-render it.
        JsonNode seq40 = TestData.golden("llama").get("sequences").get(2);
        String rendered;
        try (HfTokenizer tokenizer = HfTokenizer.load(LLAMA)) {
            rendered = tokenizer.decode(TestData.intArray(seq40.get("input_ids")), false);
        }
        String start = "<|im_start|>user\n";
        String content = rendered.substring(rendered.indexOf(start) + start.length(), rendered.indexOf("<|im_end|>"));
        Cli.Result r = Cli.run("generate", "--model", LLAMA, "--prompt", content, "--chat", "--greedy",
                "--max-new-tokens", 24, "--ignore-eos", "--json");
        assertArrayEquals(TestData.intArray(seq40.at("/greedy/new_tokens")),
                TestData.intArray(jsonLines(r).get(0).get("token_ids")));
    }

    @Test
    void samplingIsReproducibleForASeedAndDiffersForAnother() throws IOException {
        // The fixture's logits span ~±160, so temperature 1 is nearly greedy; 50 makes samples really differ.
        Object[] args = {"generate", "--model", LLAMA, "--ids", "72,360,111", "--n", 3, "--max-new-tokens", 8,
                "--temperature", 50.0, "--json", "--seed", 7};
        List<JsonNode> first = jsonLines(Cli.run(args));
        List<JsonNode> again = jsonLines(Cli.run(args));
        args[args.length - 1] = 8;
        List<JsonNode> other = jsonLines(Cli.run(args));
        assertEquals(3, first.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, first.get(i).get("index").asInt());
        }
        assertEquals(first, again);
        assertNotEquals(first, other);
        assertNotEquals(first.get(0).get("token_ids"), first.get(1).get("token_ids"), "each index has its own stream");
    }

    @Test
    void chatGenerationStopsAtEosOfMiniAlpaca() throws IOException {
        // Seed 2 lets some of these 10 samples finish within 40 tokens (eos id 2 from generation_config.json).
        List<JsonNode> lines = jsonLines(Cli.run("generate", "--model", TestData.embedded("mini-alpaca-gen"),
                "--chat", "--prompt", "Name a color.", "--n", 10, "--seed", 2, "--max-new-tokens", 40, "--json"));
        assertEquals(10, lines.size());
        int stopped = 0;
        for (JsonNode line : lines) {
            int[] tokens = TestData.intArray(line.get("token_ids"));
            long eosCount = Arrays.stream(tokens).filter(t -> t == 2).count();
            if (line.get("finish_reason").asText().equals("stop")) {
                stopped++;
                assertEquals(2, tokens[tokens.length - 1], line.toString());
                assertEquals(1, eosCount, line.toString());
                assertTrue(!line.get("text").asText().contains("<|im_end|>"), "special tokens are skipped in text");
            } else {
                assertEquals(40, tokens.length, line.toString());
                assertEquals(0, eosCount, line.toString());
            }
        }
        assertTrue(stopped > 0, "expected at least one of 10 samples to stop at eos");
    }

    @Test
    void listValuedEosInGenerationConfigStopsAtAnyOfItsIds() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        // Greedy from "Hello world" produces 409, 41, 81, 68, 186, 130, ...: 130 is the sixth token.
        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": [447, 130]}");
        int[] golden = TestData.intArray(TestData.golden("llama").at("/sequences/0/greedy/new_tokens"));
        JsonNode line = jsonLines(Cli.run("generate", "--model", model, "--ids", "72,360,111,351,310", "--greedy",
                "--max-new-tokens", 24, "--json")).get(0);
        assertEquals("stop", line.get("finish_reason").asText());
        assertArrayEquals(Arrays.copyOf(golden, 6), TestData.intArray(line.get("token_ids")));

        JsonNode ignored = jsonLines(Cli.run("generate", "--model", model, "--ids", "72,360,111,351,310", "--greedy",
                "--max-new-tokens", 24, "--ignore-eos", "--json")).get(0);
        assertEquals("length", ignored.get("finish_reason").asText());
        assertArrayEquals(golden, TestData.intArray(ignored.get("token_ids")));
    }

    @Test
    void generationConfigSuppliesGreedyAndMaxNewTokensDefaults() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Files.writeString(model.resolve("generation_config.json"),
                "{\"eos_token_id\": 447, \"do_sample\": false, \"max_new_tokens\": 5}");
        int[] golden = TestData.intArray(TestData.golden("llama").at("/sequences/0/greedy/new_tokens"));
        JsonNode line = jsonLines(Cli.run("generate", "--model", model, "--ids", "72,360,111,351,310", "--json"))
                .get(0);
        assertArrayEquals(Arrays.copyOf(golden, 5), TestData.intArray(line.get("token_ids")));
    }

    @Test
    void idsWorkWithoutTokenizerAndTextIsEmpty() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Files.delete(model.resolve("tokenizer.json"));
        JsonNode line = jsonLines(Cli.run("generate", "--model", model, "--ids", "72,360", "--greedy",
                "--max-new-tokens", 3, "--json")).get(0);
        assertEquals(3, line.get("token_ids").size());
        assertEquals("", line.get("text").asText());

        Cli.Result readable = Cli.run("generate", "--model", model, "--ids", "72,360", "--max-new-tokens", 3);
        assertEquals(0, readable.code(), readable::toString);
        assertTrue(readable.out().contains("token ids: ["), readable::toString);
    }

    @Test
    void readableOutputListsSequencesAndReportsSpeedOnStderr() {
        Cli.Result r = Cli.run("generate", "--model", LLAMA, "--prompt", "Hello world", "--n", 2,
                "--max-new-tokens", 4, "--ignore-eos");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("--- sequence 0: length, 4 tokens ---"), r::toString);
        assertTrue(r.out().contains("--- sequence 1: length, 4 tokens ---"), r::toString);
        List<String> err = r.errLines();
        assertTrue(err.get(err.size() - 1).matches(".*tokens/s\\); prefill and first token [0-9.]+ s, then decode "
                + "[0-9.]+ tokens/s"), r::toString);
        Cli.Result json = Cli.run("generate", "--model", LLAMA, "--prompt", "Hello world", "--n", 2,
                "--max-new-tokens", 4, "--ignore-eos", "--json");
        List<String> jsonErr = json.errLines();
        assertTrue(jsonErr.get(jsonErr.size() - 1).startsWith("{\"sequences\":2,") && jsonErr.get(jsonErr.size() - 1)
                .contains("\"time_to_first_token_seconds\""), json::toString);
    }
}
