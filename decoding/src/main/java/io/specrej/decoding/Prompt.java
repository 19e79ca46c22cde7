package io.specrej.decoding;

import io.specrej.engine.text.ChatMessage;
import java.util.List;

/**
 * A prompt in the forms the strategies need: the user's text (what run files record), the conversation before the
 * response (the reward model renders it, with the response appended, through its own chat template) and the
 * generator's token ids (already rendered with the generator's template).
 */
public record Prompt(String text, List<ChatMessage> conversation, int[] ids) {
    public Prompt {
        ids = ids.clone();
        conversation = List.copyOf(conversation);
    }

    /** A single user turn. */
    public Prompt(String text, int[] ids) {
        this(text, List.of(ChatMessage.user(text)), ids);
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    public int length() {
        return ids.length;
    }
}
