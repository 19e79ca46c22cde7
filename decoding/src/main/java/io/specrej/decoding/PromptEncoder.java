package io.specrej.decoding;

import io.specrej.engine.text.ChatMessage;
import io.specrej.engine.text.ChatTemplate;
import io.specrej.engine.text.HfTokenizer;
import java.util.List;
import java.util.Map;

/**
 * Prompt text to generator ids, one rule for app and tests: with a chat template, the text becomes one user turn
 * rendered with add_generation_prompt=true and encoded without special tokens (the template already wrote them, as
 * transformers' apply_chat_template(tokenize=True) does); without one, the plain text is encoded with the tokenizer's
 * special tokens (e.g. a BOS), as a base model expects.
 */
public final class PromptEncoder {
    private final HfTokenizer tokenizer;
    private final ChatTemplate template;

    public PromptEncoder(HfTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.template = ChatTemplate.fromTokenizerConfig(tokenizer.config());
    }

    public boolean hasChatTemplate() {
        return template != null;
    }

    public Prompt encode(String text) {
        return encode(text, null, Map.of());
    }

    /**
     * A user turn after an optional system message, rendered with extra template variables (transformers'
     * {@code apply_chat_template(..., **kwargs)}, e.g. Qwen3's {@code enable_thinking}). Without a chat template the
     * system text, if any, goes before the prompt, separated by a blank line.
     */
    public Prompt encode(String text, String system, Map<String, ?> templateKwargs) {
        List<ChatMessage> messages = system == null ? List.of(ChatMessage.user(text))
                : List.of(ChatMessage.system(system), ChatMessage.user(text));
        if (template == null) {
            String plain = system == null ? text : system + "\n\n" + text;
            return new Prompt(text, messages, tokenizer.encode(plain, true));
        }
        return new Prompt(text, messages, tokenizer.encode(render(messages, templateKwargs), false));
    }

    /**
     * A whole conversation (a prompt file's {@code messages}, ending with the user's turn) after an optional system
     * message, rendered with the generation prompt opened; the prompt's text is the last user message. A conversation
     * that brings its own system message and a {@code system} as well is refused: which one was meant cannot be told.
     * Without a chat template the contents are joined by blank lines, as a single text would be.
     */
    public Prompt encode(List<ChatMessage> conversation, String system, Map<String, ?> templateKwargs) {
        if (conversation.isEmpty()) {
            throw new io.specrej.engine.BadInputException("a conversation needs at least the user's message");
        }
        List<ChatMessage> messages = new java.util.ArrayList<>();
        if (system != null) {
            if (conversation.stream().anyMatch(m -> m.role().equals("system"))) {
                throw new io.specrej.engine.BadInputException("--system was given and the prompt's messages carry "
                        + "their own system message; drop one of them");
            }
            messages.add(ChatMessage.system(system));
        }
        messages.addAll(conversation);
        String text = conversation.get(conversation.size() - 1).content();
        if (template == null) {
            String plain = String.join("\n\n", messages.stream().map(ChatMessage::content).toList());
            return new Prompt(text, messages, tokenizer.encode(plain, true));
        }
        return new Prompt(text, messages, tokenizer.encode(render(messages, templateKwargs), false));
    }

    /** The generator's input text for a conversation (what --print-prompt shows). */
    public String render(List<ChatMessage> messages, Map<String, ?> templateKwargs) {
        if (template == null) {
            throw new io.specrej.engine.BadInputException("the generator has no chat template to render messages");
        }
        return template.render(messages, true, templateKwargs);
    }
}
