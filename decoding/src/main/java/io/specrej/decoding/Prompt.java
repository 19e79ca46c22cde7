package io.specrej.decoding;

/**
 * A prompt in both forms the strategies need: the user's text (the reward model renders the conversation from it,
 * with its own chat template) and the generator's token ids (already rendered with the generator's template).
 */
public record Prompt(String text, int[] ids) {
    public Prompt {
        ids = ids.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }
}
