package io.specrej.engine.model;

import io.specrej.engine.tensor.WeightMatrix;

/**
 * One transformer block's weights. Llama-family blocks use q/k/v/o and gate/up/down; GPT-2 blocks use the fused
 * {@code qkv} (c_attn, transposed to [3·hidden, hidden]) and up/down (c_fc, c_proj) with no gate. Absent parts are
 * null; biases are small float copies, matrices stay in their stored dtype.
 */
record LayerWeights(
        float[] attentionNormWeight,
        float[] attentionNormBias,
        WeightMatrix q,
        WeightMatrix k,
        WeightMatrix v,
        WeightMatrix qkv,
        float[] qBias,
        float[] kBias,
        float[] vBias,
        float[] qkvBias,
        float[] qNorm,
        float[] kNorm,
        WeightMatrix o,
        float[] oBias,
        float[] mlpNormWeight,
        float[] mlpNormBias,
        WeightMatrix gate,
        float[] gateBias,
        WeightMatrix up,
        float[] upBias,
        WeightMatrix down,
        float[] downBias) {
}
