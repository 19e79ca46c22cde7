package io.specrej.decoding;

import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.text.HfTokenizer;
import java.nio.file.Path;

/** The generator side of a run: the causal LM, its tokenizer and the tokens that end a response. */
public record Generation(TransformerModel model, HfTokenizer tokenizer, StopTokens stop) implements AutoCloseable {

    /** Loads a Hugging Face model directory; stop tokens from generation_config.json (else config.json's eos). */
    public static Generation load(Path dir) {
        TransformerModel model = TransformerModel.load(dir);
        try {
            HfTokenizer tokenizer = HfTokenizer.load(dir);
            StopTokens stop = StopTokens.of(GenerationConfig.load(dir, model.config()).eosTokenIds());
            return new Generation(model, tokenizer, stop);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public PromptEncoder promptEncoder() {
        return new PromptEncoder(tokenizer);
    }

    /** Response text as a person reads it: special tokens (the stop token among them) left out. */
    public String text(int[] tokens) {
        return tokenizer.decode(tokens, true);
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
    }
}
