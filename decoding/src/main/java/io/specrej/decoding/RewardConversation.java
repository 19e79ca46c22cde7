package io.specrej.decoding;

import io.specrej.engine.text.ChatMessage;
import io.specrej.engine.text.ChatTemplate;
import io.specrej.engine.text.HfTokenizer;
import java.util.List;

/**
 * What the reward model reads for a (prompt, response) pair, following the official speculative-rejection code: the
 * generator's response tokens decoded to text (special tokens skipped), the conversation [user: prompt, assistant:
 * response] rendered with the reward model's chat template (add_generation_prompt=false, so the assistant turn is
 * closed with its end-of-turn tokens even for a partial response) and encoded without adding special tokens.
 *
 * <p>A reward model with no chat template gets "prompt\n\nresponse" encoded with its special tokens — a guess that
 * suits a plain-text reward model, stated here so nobody mistakes it for a convention.
 */
public final class RewardConversation {
    private final HfTokenizer generatorTokenizer;
    private final HfTokenizer rewardTokenizer;
    private final ChatTemplate template;

    public RewardConversation(HfTokenizer generatorTokenizer, HfTokenizer rewardTokenizer) {
        this.generatorTokenizer = generatorTokenizer;
        this.rewardTokenizer = rewardTokenizer;
        this.template = ChatTemplate.fromTokenizerConfig(rewardTokenizer.config());
    }

    public String responseText(int[] responseTokens) {
        return generatorTokenizer.decode(responseTokens, true);
    }

    /** Reward-model input ids for a response given as generator tokens. */
    public int[] encode(String prompt, int[] responseTokens) {
        return encodeText(prompt, responseText(responseTokens));
    }

    /** Reward-model input ids for a response given as text. */
    public int[] encodeText(String prompt, String response) {
        return encodeText(List.of(ChatMessage.user(prompt)), response);
    }

    /** Reward-model input ids for a response (as generator tokens) that follows a conversation. */
    public int[] encode(List<ChatMessage> context, int[] responseTokens) {
        return encodeText(context, responseText(responseTokens));
    }

    /**
     * Reward-model input ids for a response that follows a conversation; without a chat template the turns' texts
     * and the response are joined by blank lines.
     */
    public int[] encodeText(List<ChatMessage> context, String response) {
        if (template == null) {
            StringBuilder text = new StringBuilder();
            for (ChatMessage m : context) {
                text.append(m.content()).append("\n\n");
            }
            return rewardTokenizer.encode(text.append(response).toString(), true);
        }
        List<ChatMessage> messages = new java.util.ArrayList<>(context);
        messages.add(ChatMessage.assistant(response));
        return rewardTokenizer.encode(template.render(messages, false), false);
    }

    /**
     * The tokens every response's input starts with (the rendered prompt up to where the response begins), found as
     * the common prefix of two probe conversations. Only an optimisation: scoring stays exact whatever it returns.
     */
    public int[] sharedPrefix(String prompt) {
        return sharedPrefix(List.of(ChatMessage.user(prompt)));
    }

    /** {@link #sharedPrefix(String)} for a conversation. */
    public int[] sharedPrefix(List<ChatMessage> context) {
        int[] a = encodeText(context, "A");
        int[] b = encodeText(context, "z");
        return java.util.Arrays.copyOf(a, commonPrefix(a, a.length, b, b.length));
    }

    static int commonPrefix(int[] a, int aLength, int[] b, int bLength) {
        int n = Math.min(aLength, bLength);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
