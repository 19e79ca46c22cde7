package io.specrej.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rendering in the shared fixtures' chat_templates/rendered.json (transformers + jinja2 3.1.2), and every
 * probe in pyisms.json (the Python-isms real templates use, rendered by jinja2 in transformers' environment by the
 * make_pyisms.py next to it), must come out byte-identical, or raise where jinja2 raised.
 */
class ChatTemplateGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> fixtureRenderings() throws IOException {
        Path dir = TestData.fixtures().resolve("chat_templates");
        JsonNode root = JSON.readTree(dir.resolve("rendered.json").toFile());
        Map<String, JsonNode> templates = new HashMap<>();
        root.get("templates").forEach(t -> templates.put(t.get("name").asText(), t));
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            JsonNode t = templates.get(c.get("template").asText());
            String name = c.get("template").asText() + " / " + c.get("conversation").asText()
                    + " / add_generation_prompt=" + c.get("add_generation_prompt").asBoolean();
            cases.add(Arguments.of(name, Files.readString(dir.resolve(t.get("file").asText())),
                    messages(root.get("conversations").get(c.get("conversation").asText())),
                    c.get("add_generation_prompt").asBoolean(), strings(t.get("special_tokens")), Map.of(),
                    text(c.get("rendered")), text(c.get("error"))));
        }
        return cases.stream();
    }

    static Stream<Arguments> pythonProbes() throws IOException {
        JsonNode root;
        try (InputStream in = ChatTemplateGoldenTest.class.getResourceAsStream("pyisms.json")) {
            root = JSON.readTree(in);
        }
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            Map<String, Object> extra = new HashMap<>();
            c.get("extra").properties().forEach(e ->
                    extra.put(e.getKey(), e.getValue().isBoolean() ? e.getValue().asBoolean() : e.getValue().asText()));
            cases.add(Arguments.of(c.get("name").asText(), c.get("template").asText(), messages(c.get("messages")),
                    c.get("add_generation_prompt").asBoolean(), strings(c.get("special_tokens")), extra,
                    text(c.get("rendered")), text(c.get("error"))));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtureRenderings")
    void rendersLikeTransformers(String name, String template, List<ChatMessage> messages, boolean generationPrompt,
            Map<String, String> specialTokens, Map<String, Object> extra, String expected, String error) {
        check(template, messages, generationPrompt, specialTokens, extra, expected, error);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pythonProbes")
    void rendersPythonIsmsLikeJinja2(String name, String template, List<ChatMessage> messages,
            boolean generationPrompt, Map<String, String> specialTokens, Map<String, Object> extra, String expected,
            String error) {
        check(template, messages, generationPrompt, specialTokens, extra, expected, error);
    }

    private static void check(String template, List<ChatMessage> messages, boolean generationPrompt,
            Map<String, String> specialTokens, Map<String, Object> extra, String expected, String error) {
        if (expected != null) {
            assertEquals(expected, new ChatTemplate(template, specialTokens).render(messages, generationPrompt, extra));
            return;
        }
        BadInputException e = assertThrows(BadInputException.class,
                () -> new ChatTemplate(template, specialTokens).render(messages, generationPrompt, extra));
        assertTrue(e.getMessage().startsWith("chat template: "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        if (error.startsWith("TemplateError: ")) { // raise_exception: the template's own message, verbatim
            assertEquals("chat template: " + error.substring("TemplateError: ".length()), e.getMessage());
        }
    }

    private static List<ChatMessage> messages(JsonNode array) {
        List<ChatMessage> out = new ArrayList<>();
        array.forEach(m -> out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText())));
        return out;
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> out = new HashMap<>();
        object.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
