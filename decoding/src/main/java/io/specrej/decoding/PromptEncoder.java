package io.specrej.decoding;

import io.specrej.engine.text.ChatMessage;
import io.specrej.engine.text.ChatTemplate;
import io.specrej.engine.text.HfTokenizer;
import java.util.List;

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
        if (template == null) {
            return new Prompt(text, tokenizer.encode(text, true));
        }
        String rendered = template.render(List.of(ChatMessage.user(text)), true);
        return new Prompt(text, tokenizer.encode(rendered, false));
    }
}
