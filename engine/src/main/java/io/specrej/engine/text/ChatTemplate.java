package io.specrej.engine.text;

import io.specrej.engine.BadInputException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face chat template, rendered as transformers' {@code apply_chat_template(tokenize=False)} renders it:
 * jinja2 with trim_blocks and lstrip_blocks, loop controls, {@code raise_exception}, {@code strftime_now},
 * {@code tojson}, and the variables {@code messages}, {@code add_generation_prompt}, {@code tools=None},
 * {@code documents=None} and the special tokens.
 *
 * <p>The template runs on Jinjava. {@link JinjaLexer} and {@link PyExpressions} first rewrite it so that Jinjava
 * sees jinja2's whitespace and Python's literals; {@link JinjavaEnv} supplies the globals, filters and Python
 * methods. Instances are immutable and may be shared between threads.
 */
public final class ChatTemplate {
    /** Variables that a template may test with {@code is defined} but that Jinjava only knows as functions. */
    private static final List<String> FUNCTION_NAMES = List.of("raise_exception", "strftime_now");

    private final String source;
    private final String translated;
    private final Map<String, String> specialTokens;
    private final Clock clock;
    private final TemplateLimits limits;

    /**
     * @param source the jinja2 template text (as in tokenizer_config.json's chat_template)
     * @param specialTokens template variables such as bos_token/eos_token/pad_token/unk_token; null values are
     *     left undefined
     * @throws BadInputException if the template cannot be lexed
     */
    public ChatTemplate(String source, Map<String, String> specialTokens) {
        this(source, specialTokens, Clock.systemDefaultZone(), TemplateLimits.fromSystemProperties());
    }

    ChatTemplate(String source, Map<String, String> specialTokens, Clock clock) {
        this(source, specialTokens, clock, TemplateLimits.fromSystemProperties());
    }

    /** @param limits caps on every render of this template (see {@link TemplateLimits}) */
    public ChatTemplate(String source, Map<String, String> specialTokens, Clock clock, TemplateLimits limits) {
        this.source = Objects.requireNonNull(source, "source");
        this.specialTokens = new HashMap<>(specialTokens == null ? Map.of() : specialTokens);
        this.specialTokens.values().removeIf(Objects::isNull);
        this.clock = clock;
        this.limits = Objects.requireNonNull(limits, "limits");
        JinjaLexer.Translation t;
        try {
            t = JinjaLexer.translate(source);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("chat template: " + e.getMessage(), e);
        }
        String unknown = JinjavaEnv.unknownFilterOrTest(t.filters(), t.tests());
        if (unknown != null) {
            throw new BadInputException("chat template: " + unknown);
        }
        this.translated = t.source();
    }

    /** The template of a tokenizer config with its special tokens, or null when the config has no template. */
    public static ChatTemplate fromTokenizerConfig(TokenizerConfig config) {
        return config.chatTemplate() == null ? null : new ChatTemplate(config.chatTemplate(), config.specialTokens());
    }

    /** The template text as given. */
    public String source() {
        return source;
    }

    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders the conversation.
     *
     * @param extraVariables further template variables, as keyword arguments to apply_chat_template (for example
     *     Qwen3's {@code enable_thinking}); they may override tools/documents and the special tokens
     * @throws BadInputException "chat template: ..." when the template calls raise_exception or fails to render
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> extraVariables) {
        return renderMessages(toMaps(messages), addGenerationPrompt, extraVariables);
    }

    /**
     * Renders messages given as the dicts apply_chat_template receives: any keys beyond role and content (Qwen3's
     * {@code reasoning_content}, {@code tool_calls} with nested dicts) are passed through as they are.
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
                                 Map<String, ?> extraVariables) {
        Map<String, Object> vars = new HashMap<>();
        for (String name : FUNCTION_NAMES) {
            vars.put(name, name);
        }
        vars.put("tools", null);
        vars.put("documents", null);
        vars.putAll(specialTokens);
        vars.putAll(extraVariables);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        try {
            return JinjavaEnv.render(translated, vars, clock, limits);
        } catch (JinjavaEnv.RenderFailure e) {
            String message = e.raisedByTemplate ? e.getMessage() : oneLine(e.getMessage());
            throw new BadInputException("chat template: " + message);
        }
    }

    private static List<Map<String, Object>> toMaps(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>(); // Python dicts keep insertion order: role, content
            map.put("role", m.role());
            map.put("content", m.content());
            out.add(map);
        }
        return out;
    }

    private static String oneLine(String message) {
        String s = message == null ? "rendering failed" : message.strip();
        s = s.replaceAll("(Syntax error in '[^']*': )\\1+", "$1"); // Jinjava nests the same prefix
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl).strip() + " ...";
    }
}
