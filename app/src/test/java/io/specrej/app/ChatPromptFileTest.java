package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.decoding.Prompt;
import io.specrej.decoding.PromptEncoder;
import io.specrej.engine.BadInputException;
import io.specrej.engine.text.ChatMessage;
import io.specrej.engine.text.ChatTemplate;
import io.specrej.engine.text.HfTokenizer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prompt files with OpenAI {@code messages}, AlpacaFarm records, standard input, and how run records keep them. */
class ChatPromptFileTest {
    @TempDir
    Path temp;

    private static final String CHAT_LINE = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, "
            + "{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}, "
            + "{\"role\": \"user\", \"content\": \"Name a color.\"}]}";

    @Test
    void messagesRecordsKeepTheConversationAndTheLastUserText() throws Exception {
        Path f = RunFixtures.write(temp.resolve("chat.jsonl"), CHAT_LINE + "\n"
                + "{\"instruction\": \"Translate.\", \"input\": \"Bonjour\"}\n{\"instruction\": \"Smile.\", \"input\": \"\"}\n");
        List<PromptFile.Item> items = PromptFile.read(f).items();
        assertEquals(List.of("Name a color.", "Translate.\n\nBonjour", "Smile."),
                items.stream().map(PromptFile.Item::text).toList());
        assertEquals(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"), ChatMessage.assistant("Hello!"),
                ChatMessage.user("Name a color.")), items.get(0).messages());
        assertNull(items.get(1).messages());
    }

    @Test
    void badMessagesAreOneLineErrorsNamingTheLine() {
        assertEquals(temp.resolve("a.jsonl") + " line 1: the last of \"messages\" has role \"assistant\"; it must be "
                + "the user's turn that the response answers", error("a.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"assistant\", \"content\": \"y\"}]}"));
        assertTrue(error("b.jsonl", "{\"messages\": []}").contains("line 1: \"messages\" must be a non-empty list"));
        assertTrue(error("c.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": 3}]}")
                .contains("\"messages\"[0].content must be a string"));
        assertTrue(error("d.jsonl", "{\"messages\": [{\"content\": \"x\"}]}")
                .contains("\"messages\"[0] must be an object with \"role\" and \"content\""));
    }

    @Test
    void dashReadsStandardInput() throws Exception {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream("first\n\nsecond\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals(List.of("first", "second"), PromptFile.read(Path.of("-")).texts());
            System.setIn(new ByteArrayInputStream(new byte[0]));
            BadInputException e = assertThrows(BadInputException.class, () -> PromptFile.read(Path.of("-")));
            assertEquals("<stdin>: holds no prompts", e.getMessage());
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void aConversationEncodesAsItsTemplateRendersIt() {
        try (HfTokenizer tokenizer = HfTokenizer.load(TestData.fixture("llama"))) {
            PromptEncoder encoder = new PromptEncoder(tokenizer);
            List<ChatMessage> turns = List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello!"),
                    ChatMessage.user("Name a color."));
            Prompt p = encoder.encode(turns, "Be brief.", Map.of());
            ChatTemplate template = ChatTemplate.fromTokenizerConfig(tokenizer.config());
            List<ChatMessage> all = List.of(ChatMessage.system("Be brief."), turns.get(0), turns.get(1), turns.get(2));
            assertArrayEquals(tokenizer.encode(template.render(all, true, Map.of()), false), p.ids());
            assertEquals("Name a color.", p.text());
            assertEquals(all, p.conversation());
            // a single user turn gives exactly what the one-text encode gives
            assertArrayEquals(encoder.encode("Name a color.", "Be brief.", Map.of()).ids(),
                    encoder.encode(List.of(ChatMessage.user("Name a color.")), "Be brief.", Map.of()).ids());
            BadInputException e = assertThrows(BadInputException.class, () -> encoder.encode(
                    List.of(ChatMessage.system("own"), ChatMessage.user("x")), "Be brief.", Map.of()));
            assertTrue(e.getMessage().startsWith("--system was given and the prompt's messages carry"), e.getMessage());
        }
    }

    @Test
    void runRecordsKeepMessagesProvenanceAndBestOfNHasNoAlpha() throws Exception {
        Path prompts = RunFixtures.write(temp.resolve("chat.jsonl"), CHAT_LINE + "\n{\"prompt\": \"Count to five.\"}\n");
        Path out = temp.resolve("bon.jsonl");
        Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2));
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.errLines().stream().anyMatch(l -> l.startsWith("warm-up (untimed): ")), r::toString);
        List<JsonNode> lines = RunFixtures.lines(out);
        JsonNode chat = lines.get(0);
        assertEquals("Name a color.", chat.get("prompt").asText());
        assertEquals(4, chat.get("messages").size());
        assertEquals("assistant", chat.at("/messages/2/role").asText());
        assertEquals("Hello!", chat.at("/messages/2/content").asText());
        assertTrue(lines.get(1).path("messages").isMissingNode(), "a plain prompt has no messages");
        assertTrue(chat.at("/params/alpha").isNull(), "Best-of-N rejects nothing, so it records no alpha");
        JsonNode provenance = chat.get("provenance");
        assertEquals(Provenance.model(TestData.fixture("llama")), provenance.get("generator"));
        assertTrue(provenance.get("threads").asInt() >= 1);
        assertTrue(provenance.get("cpu").asText().contains("cores"));
        assertTrue(provenance.get("specrej_commit").asText().matches("[0-9a-f]{40}|unknown"));
        // --resume reads the file back: provenance is not an option, so it never stops a resume; nor does the
        // alpha 0.5 that Best-of-N lines carried before it was written as null
        com.fasterxml.jackson.databind.node.ObjectNode old = (com.fasterxml.jackson.databind.node.ObjectNode) chat;
        ((com.fasterxml.jackson.databind.node.ObjectNode) old.get("params")).put("alpha", 0.5);
        old.remove("provenance");
        java.nio.file.Files.writeString(out, TestData.JSON.writeValueAsString(old) + "\n");
        Cli.Result resumed = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2), "--resume");
        assertEquals(0, resumed.code(), resumed::toString);
        List<JsonNode> after = RunFixtures.lines(out);
        assertEquals(2, after.size());
        assertEquals(RunFixtures.withoutTimings(lines.get(1)), RunFixtures.withoutTimings(after.get(1)));
    }

    private String error(String name, String text) {
        Path f = RunFixtures.write(temp.resolve(name), text + "\n");
        return assertThrows(BadInputException.class, () -> PromptFile.read(f)).getMessage();
    }
}
