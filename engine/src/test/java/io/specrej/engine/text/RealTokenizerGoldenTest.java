package io.specrej.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Llama-3 and Qwen3 tokenizers and chat templates (testdata/fixtures/real-tokenizers, tokenizer.json
 * gzipped to keep the repository small): every rendering in rendered-real.json comes out byte-identical through the
 * production path (the template and special tokens of tokenizer_config.json), and encoding it gives one special-token
 * id for every special token in the text.
 */
class RealTokenizerGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The special tokens the renderings contain, with the ids the real vocabularies give them. */
    private static final Map<String, Map<String, Integer>> SPECIAL = Map.of(
            "llama3", Map.of("<|begin_of_text|>", 128000, "<|start_header_id|>", 128006, "<|end_header_id|>", 128007,
                    "<|eot_id|>", 128009),
            "qwen3", Map.of("<|im_start|>", 151644, "<|im_end|>", 151645, "<think>", 151667, "</think>", 151668,
                    "<tool_call>", 151657, "</tool_call>", 151658, "<tool_response>", 151665,
                    "</tool_response>", 151666));
    private static final Map<String, HfTokenizer> TOKENIZERS = new HashMap<>();

    @TempDir
    static Path temp;

    @BeforeAll
    static void unpack() throws IOException {
        for (String name : SPECIAL.keySet()) {
            Path source = TestData.fixtures().resolve("real-tokenizers").resolve(name);
            Path dir = Files.createDirectories(temp.resolve(name));
            try (InputStream in = new GZIPInputStream(Files.newInputStream(source.resolve("tokenizer.json.gz")))) {
                Files.copy(in, dir.resolve(HfTokenizer.FILE));
            }
            Files.copy(source.resolve(TokenizerConfig.FILE), dir.resolve(TokenizerConfig.FILE));
            TOKENIZERS.put(name, HfTokenizer.load(dir));
        }
    }

    @AfterAll
    static void close() {
        TOKENIZERS.values().forEach(HfTokenizer::close);
    }

    @Test
    void everyRenderingIsByteIdenticalAndEncodesItsSpecialTokens() throws IOException {
        JsonNode root = JSON.readTree(TestData.fixtures().resolve("chat_templates").resolve("rendered-real.json")
                .toFile());
        int checked = 0;
        for (JsonNode c : root.get("cases")) {
            String name = c.get("template").asText();
            String what = name + " / " + c.get("conversation").asText() + " / add_generation_prompt="
                    + c.get("add_generation_prompt").asBoolean() + " " + c.get("template_kwargs")
                    + (c.get("tools").isNull() ? "" : " with tools");
            HfTokenizer tokenizer = TOKENIZERS.get(name);
            ChatTemplate template = ChatTemplate.fromTokenizerConfig(tokenizer.config());
            Map<String, Object> extra = new HashMap<>(JSON.convertValue(c.get("template_kwargs"), Map.class));
            extra.put("tools", JSON.convertValue(c.get("tools"), Object.class));
            JsonNode specialMap = templateInfo(root, name).get("special_tokens_map");
            if (specialMap.has("additional_special_tokens")) {
                extra.put("additional_special_tokens",
                        JSON.convertValue(specialMap.get("additional_special_tokens"), List.class));
            }
            String rendered = template.renderMessages(messages(root.get("conversations").get(
                    c.get("conversation").asText())), c.get("add_generation_prompt").asBoolean(), extra);
            assertEquals(c.get("rendered").asText(), rendered, what);
            int[] ids = tokenizer.encode(rendered, false);
            for (Map.Entry<String, Integer> special : SPECIAL.get(name).entrySet()) {
                assertEquals(occurrences(rendered, special.getKey()), count(ids, special.getValue()),
                        what + ": ids of " + special.getKey());
            }
            checked++;
        }
        assertEquals(22, checked);
    }

    /** ArmoRM's model code hard-codes these ids; the engine derives them by encoding the text with the tokenizer. */
    @Test
    void armoRmGatePatternIsTheHardCodedLlama3Ids() {
        assertArrayEquals(new int[] {128009, 128006, 78191, 128007, 271}, TOKENIZERS.get("llama3")
                .encode("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", false));
    }

    private static JsonNode templateInfo(JsonNode root, String name) {
        for (JsonNode t : root.get("templates")) {
            if (t.get("name").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no template " + name);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> messages(JsonNode array) {
        List<Map<String, Object>> out = new ArrayList<>();
        array.forEach(m -> out.add(JSON.convertValue(m, LinkedHashMap.class)));
        return out;
    }

    private static int occurrences(String text, String token) {
        int n = 0;
        for (int i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length())) {
            n++;
        }
        return n;
    }

    private static int count(int[] ids, int id) {
        int n = 0;
        for (int x : ids) {
            n += x == id ? 1 : 0;
        }
        return n;
    }
}
