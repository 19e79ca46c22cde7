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
        if (template == null) {
            return rewardTokenizer.encode(prompt + "\n\n" + response, true);
        }
        String rendered = template.render(List.of(ChatMessage.user(prompt), ChatMessage.assistant(response)), false);
        return rewardTokenizer.encode(rendered, false);
    }

    /**
     * The tokens every response's input starts with (the rendered prompt up to where the response begins), found as
     * the common prefix of two probe conversations. Only an optimisation: scoring stays exact whatever it returns.
     */
    public int[] sharedPrefix(String prompt) {
        int[] a = encodeText(prompt, "A");
        int[] b = encodeText(prompt, "z");
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
