package io.specrej.engine.model;

import io.specrej.engine.tensor.WeightMatrix;

/**
 * All weights of a model, resolved against config.json. {@code lmHead} is the embedding matrix itself when the
 * checkpoint ties them; {@code score} is the classification head of a reward model.
 */
record ModelWeights(
        WeightMatrix embedTokens,
        WeightMatrix positionEmbeddings,
        LayerWeights[] layers,
        float[] finalNormWeight,
        float[] finalNormBias,
        WeightMatrix lmHead,
        WeightMatrix score) {
}
