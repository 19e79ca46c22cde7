package io.specrej.engine.text;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a checkpoint's tokenizer.json belongs to its weights. A tokenizer copied from another model (a Llama-3
 * tokenizer in a Qwen directory) loads and encodes without complaint, then feeds ids past the embedding or never
 * produces the stop id, so generation runs to the length limit: both are refused at load, naming the numbers.
 */
public final class TokenizerFit {
    private TokenizerFit() {
    }

    /**
     * @throws BadInputException when the tokenizer has more tokens than the model's vocab_size, or the configured
     *                           eos/bos/pad ids are not tokens of the tokenizer
     */
    public static void check(Path dir, HfTokenizer tokenizer, ModelConfig config, GenerationConfig generation) {
        int tokens = tokenizer.vocabSize();
        if (tokens > config.vocabSize()) {
            throw new BadInputException(dir + ": tokenizer.json has " + tokens + " tokens, more than the model's "
                    + "vocab_size " + config.vocabSize() + " (config.json), so its ids can run past the embedding; "
                    + "is tokenizer.json from another model?");
        }
        List<String> named = new ArrayList<>();
        for (int id : generation.eosTokenIds()) {
            named.add(unknown("eos_token_id", id, tokenizer));
        }
        named.add(unknown("bos_token_id", generation.bosTokenId(), tokenizer));
        named.add(unknown("pad_token_id", generation.padTokenId(), tokenizer));
        named.removeIf(s -> s == null);
        if (!named.isEmpty()) {
            throw new BadInputException(dir + ": " + String.join(", ", named) + " (config.json or "
                    + "generation_config.json) " + (named.size() == 1 ? "is not a token" : "are not tokens")
                    + " of tokenizer.json, which has " + tokens + " tokens; is tokenizer.json from another model?");
        }
    }

    /** "name id" when the id is configured and the tokenizer has no token with it, else null. */
    private static String unknown(String name, Integer id, HfTokenizer tokenizer) {
        // A negative id is how some configs write "none"; transformers ignores it too.
        return id == null || id < 0 || tokenizer.idToToken(id) != null ? null : name + " " + id;
    }
}
