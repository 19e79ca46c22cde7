package io.specrej.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerConfigTest {
    @TempDir
    Path dir;

    private TokenizerConfig load(String tokenizerConfigJson) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfigJson);
        return TokenizerConfig.load(dir);
    }

    @Test
    void fixtureConfig() {
        TokenizerConfig c = TokenizerConfig.load(TestData.fixtures().resolve("tokenizer"));
        assertEquals("<|endoftext|>", c.bosToken());
        assertEquals("<|im_end|>", c.eosToken());
        assertEquals("<|endoftext|>", c.padToken());
        assertNull(c.unkToken());
        assertEquals(false, c.addBosToken());
        assertEquals(false, c.addEosToken());
        assertEquals(256, c.modelMaxLength());
        assertTrue(c.chatTemplate().startsWith("{% for message in messages %}"));
        assertEquals(Map.of("bos_token", "<|endoftext|>", "eos_token", "<|im_end|>", "pad_token", "<|endoftext|>"),
                c.specialTokens());
    }

    @Test
    void tokensMayBeStringsObjectsOrNull() throws IOException {
        TokenizerConfig c = load("""
                {"bos_token": "<s>",
                 "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false, "special": true},
                 "pad_token": null}""");
        assertEquals("<s>", c.bosToken());
        assertEquals("</s>", c.eosToken());
        assertNull(c.padToken());
        assertNull(c.unkToken());
        assertNull(c.addBosToken());
        assertEquals(Long.MAX_VALUE, c.modelMaxLength());
        assertNull(c.chatTemplate());
    }

    @Test
    void missingTokensComeFromSpecialTokensMap() throws IOException {
        Files.writeString(dir.resolve("special_tokens_map.json"), """
                {"bos_token": {"content": "<bos>"}, "eos_token": "<from-map>", "unk_token": "<unk>"}""");
        TokenizerConfig c = load("{\"eos_token\": \"</s>\", \"bos_token\": null}");
        assertEquals("<bos>", c.bosToken());
        assertEquals("</s>", c.eosToken()); // tokenizer_config.json wins where it has a value
        assertEquals("<unk>", c.unkToken());
    }

    @Test
    void chatTemplateListTakesDefaultElseFirst() throws IOException {
        assertEquals("D", load("""
                {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""")
                .chatTemplate());
        assertEquals("T", load("""
                {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "rag", "template": "R"}]}""")
                .chatTemplate());
    }

    @Test
    void chatTemplateFileIsUsedWhenTheConfigHasNone() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ from_file }}\n");
        assertEquals("{{ from_file }}\n", load("{}").chatTemplate());
        assertEquals("inline", load("{\"chat_template\": \"inline\"}").chatTemplate());
    }

    @Test
    void hugeModelMaxLengthSaturates() throws IOException {
        assertEquals(Long.MAX_VALUE, load("{\"model_max_length\": 1000000000000000019884624838656}").modelMaxLength());
        assertEquals(131072, load("{\"model_max_length\": 131072}").modelMaxLength());
    }

    @Test
    void emptyDirectoryGivesEmptyConfig() {
        TokenizerConfig c = TokenizerConfig.load(dir);
        assertTrue(c.specialTokens().isEmpty());
        assertNull(c.chatTemplate());
    }

    @Test
    void garbledJsonNamesTheFile() throws IOException {
        BadInputException e = assertThrows(BadInputException.class, () -> load("{\"bos_token\": \"<s>\",,}"));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer_config.json").toString()), e.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        Files.writeString(dir.resolve("special_tokens_map.json"), "not json");
        e = assertThrows(BadInputException.class, () -> TokenizerConfig.load(dir));
        assertTrue(e.getMessage().contains("special_tokens_map.json"), e.getMessage());
    }

    @Test
    void wrongTypesNameTheField() throws IOException {
        BadInputException e = assertThrows(BadInputException.class, () -> load("{\"eos_token\": 2}"));
        assertTrue(e.getMessage().contains("eos_token") && e.getMessage().contains("tokenizer_config.json"),
                e.getMessage());
        e = assertThrows(BadInputException.class, () -> load("{\"chat_template\": 5}"));
        assertTrue(e.getMessage().contains("chat_template"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> load("[1, 2]"));
        assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
    }
}
