package io.specrej.app;

import io.specrej.engine.BadInputException;
import java.util.Arrays;

/** Token ids typed on the command line ({@code --ids 1,2,3}), checked against a model's vocabulary. */
final class TokenIds {
    private TokenIds() {
    }

    /** Parses comma- (or space-) separated ids; {@code option} names the parameter in error messages. */
    static int[] parse(String text, String option) {
        String trimmed = text == null ? "" : text.strip();
        if (trimmed.isEmpty()) {
            throw new BadInputException(option + " is empty: give at least one token id, e.g. " + option + " 1,2,3");
        }
        // An empty item ("1,,2", "1,") is a typo, not a separator run: refuse it rather than guess.
        String[] parts = trimmed.split("\\s*,\\s*|\\s+", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty()) {
                throw new BadInputException(option + ": an empty item at position " + (i + 1) + " in \"" + trimmed
                        + "\" (expected non-negative integers separated by commas)");
            }
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new BadInputException(option + ": \"" + parts[i] + "\" is not a token id (expected "
                        + "non-negative integers separated by commas)");
            }
        }
        return ids;
    }

    /** Every id must index a row of the embedding; anything else would read past the weights. */
    static void checkVocabulary(int[] ids, int vocabSize, String option) {
        for (int id : ids) {
            if (id < 0 || id >= vocabSize) {
                throw new BadInputException(option + ": token id " + id + " is outside the model's vocabulary [0, "
                        + vocabSize + ")");
            }
        }
    }

    /** Rejects prompts that leave no room to generate, naming the option the prompt came from. */
    static void checkContext(int[] ids, int contextTokens, String option, int roomNeeded) {
        if (ids.length + roomNeeded > contextTokens) {
            throw new BadInputException(option + " is " + ids.length + " tokens long; the model's context window "
                    + "(max_position_embeddings) is " + contextTokens + " tokens"
                    + (roomNeeded > 0 ? ", leaving no room to generate" : ""));
        }
    }

    static String format(int[] ids) {
        return Arrays.toString(ids);
    }
}
