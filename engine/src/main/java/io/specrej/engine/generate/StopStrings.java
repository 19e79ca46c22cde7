package io.specrej.engine.generate;

import io.specrej.engine.text.HfTokenizer;
import java.util.List;

/**
 * Stop strings (OpenAI's {@code stop}, vLLM's and transformers' {@code stop_strings}): a sequence ends when its decoded text contains one of the strings, and the text returned
 * ends before it. A new occurrence must end in the newest token, so only a tail of the tokens is decoded per step
 * (enough for the longest string), not the whole response.
 */
public final class StopStrings implements StopCondition {
    /** Tokens decoded beyond the longest stop string's length, for tokens that decode to nothing. */
    private static final int SLACK_TOKENS = 8;

    private final List<String> strings;
    private final HfTokenizer tokenizer;
    private final int tailTokens;

    public StopStrings(List<String> strings, HfTokenizer tokenizer) {
        this.strings = strings;
        this.tokenizer = tokenizer;
        int longest = 0;
        for (String s : strings) {
            longest = Math.max(longest, s.length());
        }
        this.tailTokens = longest + SLACK_TOKENS;
    }

    public boolean isEmpty() {
        return strings.isEmpty();
    }

    @Override
    public boolean shouldStop(SequenceState s) {
        if (strings.isEmpty()) {
            return false;
        }
        int[] tokens = s.tokens();
        int from = Math.max(0, tokens.length - tailTokens);
        String tail = tokenizer.decode(java.util.Arrays.copyOfRange(tokens, from, tokens.length), true);
        for (String stop : strings) {
            if (tail.contains(stop)) {
                return true;
            }
        }
        return false;
    }

    /** The text up to the first stop string (all of it when none occurs). */
    public String cut(String text) {
        int end = text.length();
        for (String stop : strings) {
            int at = text.indexOf(stop);
            if (at >= 0) {
                end = Math.min(end, at);
            }
        }
        return text.substring(0, end);
    }

    /**
     * How much of a growing text can be sent now: not a trailing replacement character (an incomplete UTF-8
     * sequence the next token completes), nor a tail that could still become a stop string.
     */
    public int safeLength(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        int held = 0;
        for (String stop : strings) {
            for (int k = Math.min(stop.length() - 1, end); k > held; k--) {
                if (text.regionMatches(end - k, stop, 0, k)) {
                    held = k;
                    break;
                }
            }
        }
        return end - held;
    }
}
