package io.specrej.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class HfTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURE = TestData.fixtures().resolve("tokenizer");
    private static HfTokenizer tok;

    @BeforeAll
    static void load() {
        tok = HfTokenizer.load(FIXTURE);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static Stream<JsonNode> goldenCases() throws IOException {
        List<JsonNode> cases = new ArrayList<>();
        JSON.readTree(TestData.fixtures().resolve("golden/tokenizer.json").toFile()).get("cases").forEach(cases::add);
        return cases.stream();
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("goldenCases")
    void matchesGoldenEncodingAndDecoding(JsonNode c) {
        String text = c.get("text").asText();
        int[] ids = ints(c.get("ids"));
        assertArrayEquals(ids, tok.encode(text, false), text);
        for (int i = 0; i < ids.length; i++) {
            assertEquals(c.get("tokens").get(i).asText(), tok.idToToken(ids[i]));
            assertEquals(ids[i], tok.tokenToId(c.get("tokens").get(i).asText()));
        }
        assertEquals(c.get("decoded").asText(), tok.decode(ids, false));
        assertEquals(c.get("decoded_skip_special_tokens").asText(), tok.decode(ids, true));
    }

    @Test
    void vocabularyAndSpecialIds() {
        assertEquals(448, tok.vocabSize());
        assertEquals(445, tok.bosId());
        assertEquals(447, tok.eosId());
        assertEquals(445, tok.padId());
        assertEquals(446, tok.tokenToId("<|im_start|>"));
        assertEquals("<|im_end|>", tok.idToToken(447));
        assertEquals("Ġ", tok.idToToken(32)); // byte-level BPE: id == byte value for the 256 byte symbols
        assertNull(tok.tokenToId("<|not a token|>"));
        assertNull(tok.idToToken(448));
        assertEquals("<|im_end|>", tok.config().eosToken());
    }

    @Test
    void longTextIsNeitherTruncatedNorPadded() {
        // model_max_length is 256 here and DJL would cut at 512 by default.
        String text = "The quick brown fox jumps over the lazy dog. ".repeat(250);
        int[] ids = tok.encode(text, false);
        assertTrue(ids.length > 2000, "got " + ids.length);
        assertEquals(text, tok.decode(ids, false));
        assertArrayEquals(ids, tok.encode(text, true)); // this tokenizer has no post-processor
        assertEquals(3, tok.encode("Hi!", false).length);
    }

    @Test
    void truncationAndPaddingInTokenizerJsonAreIgnored(@TempDir Path dir) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(FIXTURE.resolve("tokenizer.json").toFile());
        json.set("truncation", JSON.readTree(
                "{\"direction\": \"Right\", \"max_length\": 8, \"strategy\": \"LongestFirst\", \"stride\": 0}"));
        json.set("padding", JSON.readTree("{\"strategy\": {\"Fixed\": 64}, \"direction\": \"Right\","
                + " \"pad_to_multiple_of\": null, \"pad_id\": 445, \"pad_type_id\": 0, \"pad_token\": \"<|endoftext|>\"}"));
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(json));
        String text = "word ".repeat(1200);
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            int[] ids = t.encode(text, false);
            assertArrayEquals(tok.encode(text, false), ids);
            assertTrue(ids.length > 1000);
            assertEquals(3, t.encode("Hi!", true).length);
        }
    }

    @Test
    void miniAlpacaTemplateAndSpecialTokens() {
        try (HfTokenizer t = HfTokenizer.load(TestData.repoRoot().resolve("models/mini-alpaca-gen"))) {
            ChatTemplate template = ChatTemplate.fromTokenizerConfig(t.config());
            String instruction = "Name three primary colors.";
            String prompt = template.render(List.of(ChatMessage.user(instruction)), true);
            assertEquals("<|im_start|>user\n" + instruction + "<|im_end|>\n<|im_start|>assistant\n", prompt);
            int[] ids = t.encode(prompt, false);
            assertEquals(1, ids[0]);
            assertEquals(1, count(ids, 2));
            assertEquals(2, count(ids, 1));
            assertEquals(prompt, t.decode(ids, false));
            assertEquals("user\n" + instruction + "\nassistant\n", t.decode(ids, true));
            assertEquals(2, t.eosId());
            assertEquals(0, t.padId());
            assertNull(t.bosId());
        }
    }

    private static int count(int[] ids, int id) {
        int n = 0;
        for (int x : ids) {
            n += x == id ? 1 : 0;
        }
        return n;
    }

    @Test
    void missingTokenizerJsonNamesTheDirectory(@TempDir Path dir) {
        BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(dir.toString()) && e.getMessage().contains("tokenizer.json"),
                e.getMessage());
        Path absent = dir.resolve("no-such-model");
        e = assertThrows(BadInputException.class, () -> HfTokenizer.load(absent));
        assertTrue(e.getMessage().contains(absent.toString()) && e.getMessage().contains("does not exist"),
                e.getMessage());
    }

    @Test
    void garbledFilesNameTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());

        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0},"
                + " \"merges\": 7}}");
        e = assertThrows(BadInputException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());

        Files.copy(FIXTURE.resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": ");
        e = assertThrows(BadInputException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer_config.json").toString()), e.getMessage());
    }
}
