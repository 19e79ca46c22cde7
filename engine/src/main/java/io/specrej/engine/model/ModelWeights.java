package io.specrej.engine.model;

import io.specrej.engine.tensor.WeightMatrix;

/**
 * All weights of a model, resolved against config.json; {@code head} is the causal-LM head (the embedding matrix
 * itself when tied) or the bound reward head.
 */
record ModelWeights(
        WeightMatrix embedTokens,
        WeightMatrix positionEmbeddings,
        LayerWeights[] layers,
        float[] finalNormWeight,
        float[] finalNormBias,
        OutputHead head) {
}
