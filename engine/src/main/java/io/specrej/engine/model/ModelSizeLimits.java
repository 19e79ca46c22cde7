package io.specrej.engine.model;

import io.specrej.engine.BadInputException;

/**
 * Upper bounds on the sizes a config.json declares, checked before anything is allocated from them: a config with
 * {@code num_hidden_layers: 1000000000} must fail in a millisecond with one line, not after gigabytes of per-layer
 * objects. Each bound is far above every released checkpoint (the largest has 126 layers, a hidden size of 16 384, a
 * vocabulary of about 260 000 and a context of ten million tokens); the weights' shapes are checked against the
 * safetensors files afterwards in any case.
 */
final class ModelSizeLimits {
    static final int MAX_LAYERS = 1024;
    static final int MAX_HIDDEN = 1 << 17;
    static final int MAX_HEADS = 4096;
    static final int MAX_HEAD_DIM = 4096;
    static final int MAX_INTERMEDIATE = 1 << 20;
    static final int MAX_VOCAB = 1 << 23;
    static final int MAX_LABELS = 1 << 16;

    private ModelSizeLimits() {
    }

    static void check(ModelConfig c) {
        boolean gpt2 = c.family().modelType().startsWith("gpt"); // GPT-2 and GPT-J name their sizes n_*
        bound(c, gpt2 ? "n_layer" : "num_hidden_layers", c.layers(), MAX_LAYERS);
        bound(c, gpt2 ? "n_embd" : "hidden_size", c.hiddenSize(), MAX_HIDDEN);
        bound(c, gpt2 ? "n_head" : "num_attention_heads", c.heads(), MAX_HEADS);
        bound(c, "head_dim", c.headDim(), MAX_HEAD_DIM);
        if (c.headDim() < 1) { // hidden_size // num_attention_heads when head_dim is not given
            throw new BadInputException(c.file() + ": head_dim comes out as " + c.headDim() + " (hidden size "
                    + c.hiddenSize() + " over " + c.heads() + " attention heads); expected at least 1");
        }
        bound(c, gpt2 ? "n_inner" : "intermediate_size", c.intermediateSize(), MAX_INTERMEDIATE);
        bound(c, "vocab_size", c.vocabSize(), MAX_VOCAB);
        bound(c, "num_labels", c.numLabels(), MAX_LABELS);
    }

    private static void bound(ModelConfig c, String field, long value, long max) {
        if (value > max) {
            throw new BadInputException(c.file() + ": " + field + " is " + value + ", more than " + max
                    + " (no real checkpoint comes near; is the config corrupt?)");
        }
    }
}
