package io.specrej.engine.model;

import io.specrej.engine.weights.FiniteWeights;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.TensorTable.Role;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.weights.CheckpointWeights;

/** A causal LM's head: logits = lm_head · h (+ lm_head.bias for GPT-J); the embedding itself when tied. */
final class LmHead {
    private LmHead() {
    }

    /** Tied models have no lm_head.weight: save_pretrained drops the alias, and the binder reuses the embedding. */
    static void tensors(ModelConfig c, TensorTable t) {
        if (!c.tieWordEmbeddings()) {
            t.matrix("lm_head.weight", -1, Role.LM_HEAD, c.vocabSize(), c.hiddenSize());
        }
        if (c.family().lmHeadBias()) {
            t.zeros("lm_head.bias", -1, Role.LM_HEAD_BIAS, c.vocabSize());
        }
    }

    static LinearHead bind(ModelConfig c, CheckpointWeights w, WeightMatrix embed) {
        WeightMatrix weight = embed;
        if (!c.tieWordEmbeddings()) {
            if (!w.contains("lm_head.weight")) {
                throw new BadInputException(w.directory() + ": tensor lm_head.weight is missing and config.json has "
                        + "tie_word_embeddings=false (expected an untied output head)");
            }
            weight = w.matrix("lm_head.weight", c.vocabSize(), c.hiddenSize());
        }
        float[] bias = c.family().lmHeadBias() ? w.vector("lm_head.bias", c.vocabSize()) : null;
        return new LinearHead(FiniteWeights.require(weight, w.directory()), bias); // NaN logits always sample token 0
    }
}
