package io.specrej.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateTest {
    private static final List<ChatMessage> ONE_TURN = List.of(ChatMessage.user("Hi"));

    private static String render(String template, List<ChatMessage> messages) {
        return new ChatTemplate(template, Map.of()).render(messages, true);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void strftimeNowUsesTheClockWhenTheTemplateHasNoDateString() throws IOException {
        Clock clock = Clock.fixed(LocalDateTime.of(2025, 3, 9, 8, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        String out = new ChatTemplate(resource("llama31_style.jinja"), Map.of("bos_token", "<|begin_of_text|>"), clock)
                .render(ONE_TURN, true);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date:"
                + " December 2023\nToday Date: 09 Mar 2025\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void strftimeMatchesPython() throws IOException {
        JsonNode cases;
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("pyisms.json")) {
            cases = new ObjectMapper().readTree(in).get("strftime");
        }
        assertFalse(cases.isEmpty());
        for (JsonNode c : cases) {
            String format = c.get("format").asText();
            assertEquals(c.get("expected").asText(),
                    PyStrftime.format(format, LocalDateTime.parse(c.get("time").asText())), format);
        }
    }

    @Test
    void raiseExceptionAbortsWithTheTemplatesMessage() {
        String template = "ok{% if messages[0].role != 'system' %}{{ raise_exception('System message required') }}"
                + "{% endif %}{{ raise_exception('second') }}";
        BadInputException e = assertThrows(BadInputException.class, () -> render(template, ONE_TURN));
        assertEquals("chat template: System message required", e.getMessage());
    }

    @Test
    void jinjavaErrorsBecomeOneLineBadInput() {
        for (String template : List.of("{% if messages %}unclosed", "{{ no_such_function() }}",
                "{{ messages | no_such_filter }}", "{% if x is no_such_test %}{% endif %}", "{{ 'unterminated }}",
                "{% no_such_tag %}", "{{ (messages | first).content.strip(1) }}")) {
            BadInputException e = assertThrows(BadInputException.class, () -> render(template, ONE_TURN), template);
            assertTrue(e.getMessage().startsWith("chat template: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void constructsJinjavaWouldRenderDifferentlyAreRejected() {
        assertThrows(BadInputException.class,
                () -> render("{% for m in messages %}{{ m.role }}{% else %}none{% endfor %}", ONE_TURN));
        assertThrows(BadInputException.class,
                () -> render("{% for m in messages if m.role == 'user' %}{{ m.role }}{% endfor %}", ONE_TURN));
        // {% else %} of an if nested in a for is fine
        assertEquals("userX", render("{% for m in messages %}{% if m.role == 'user' %}user{% else %}other{% endif %}"
                + "{% endfor %}X", ONE_TURN));
    }

    @Test
    void messageTextIsNeverInterpretedAsTemplate() {
        String content = "{{ 7 * 7 }} {% raise_exception('x') %} {# c #} }}";
        assertEquals(content, render("{{ messages[0].content }}", List.of(ChatMessage.user(content))));
    }

    @Test
    void specialTokensExtraVariablesAndDefaults() {
        ChatTemplate t = new ChatTemplate("[{{ bos_token }}|{{ eos_token }}|{{ unk_token }}|{{ flag }}"
                + "|{% if tools is none and documents is none %}none{% endif %}]", java.util.Collections.singletonMap(
                "bos_token", "<s>"));
        assertEquals("[<s>|||True|none]", t.render(ONE_TURN, false, Map.of("flag", true)));
        assertEquals("[<s>||||none]", t.render(ONE_TURN, false));
    }

    @Test
    void nullContentRendersEmpty() {
        assertEquals("<user:>", render("{% for m in messages %}<{{ m.role }}:{{ m.content }}>{% endfor %}",
                List.of(new ChatMessage("user", null))));
    }

    @Test
    void fromTokenizerConfig(@TempDir Path dir) throws IOException {
        assertNull(ChatTemplate.fromTokenizerConfig(TokenizerConfig.load(dir)));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"eos_token\": \"</s>\", \"chat_template\": \"{{ messages[0].content }}{{ eos_token }}\"}");
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(TokenizerConfig.load(dir));
        assertEquals("Hi</s>", t.render(ONE_TURN, false));
        assertEquals("{{ messages[0].content }}{{ eos_token }}", t.source());
    }

    @Test
    void isSafeToShareBetweenThreads() throws Exception {
        ChatTemplate t = new ChatTemplate(resource("qwen3_style.jinja"), Map.of());
        try (var pool = Executors.newFixedThreadPool(8)) {
            List<Future<String>> results = IntStream.range(0, 64)
                    .mapToObj(i -> pool.submit(() -> t.render(List.of(ChatMessage.user("q" + i)), true)))
                    .toList();
            for (int i = 0; i < results.size(); i++) {
                assertEquals("<|im_start|>user\nq" + i + "<|im_end|>\n<|im_start|>assistant\n", results.get(i).get());
            }
        }
    }
}
