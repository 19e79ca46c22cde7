package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.weights.CheckpointWeights;
import io.specrej.engine.weights.FiniteWeights;

/**
 * Finds each weight a config needs under transformers' key names, checking shapes and dtypes against the config.
 * Accepts both prefixed keys (model.layers.0..., transformer.h.0...) and bare backbone keys (layers.0..., h.0...).
 */
final class WeightBinder {
    private WeightBinder() {
    }

    static ModelWeights bind(ModelConfig c, CheckpointWeights w) {
        return c.family() == Family.GPT2 ? bindGpt2(c, w) : bindLlama(c, w);
    }

    private static ModelWeights bindLlama(ModelConfig c, CheckpointWeights w) {
        String p = w.contains("model.embed_tokens.weight") ? "model." : "";
        int hidden = c.hiddenSize();
        int inter = c.intermediateSize();
        var embed = w.matrix(p + "embed_tokens.weight", c.vocabSize(), hidden);
        LayerWeights[] layers = new LayerWeights[c.layers()];
        boolean qkNorm = c.family() == Family.QWEN3;
        boolean qkvBias = c.attentionBias();
        // Llama's attention_bias also puts a bias on o_proj; Qwen2's always-on bias is q/k/v only.
        boolean oBias = c.attentionBias() && c.family() != Family.QWEN2;
        for (int i = 0; i < c.layers(); i++) {
            String l = p + "layers." + i + ".";
            String a = l + "self_attn.";
            String m = l + "mlp.";
            layers[i] = new LayerWeights(
                    w.vector(l + "input_layernorm.weight", hidden), null,
                    w.matrix(a + "q_proj.weight", c.qDim(), hidden),
                    w.matrix(a + "k_proj.weight", c.kvDim(), hidden),
                    w.matrix(a + "v_proj.weight", c.kvDim(), hidden),
                    null,
                    qkvBias ? w.vector(a + "q_proj.bias", c.qDim()) : null,
                    qkvBias ? w.vector(a + "k_proj.bias", c.kvDim()) : null,
                    qkvBias ? w.vector(a + "v_proj.bias", c.kvDim()) : null,
                    null,
                    qkNorm ? w.vector(a + "q_norm.weight", c.headDim()) : null,
                    qkNorm ? w.vector(a + "k_norm.weight", c.headDim()) : null,
                    w.matrix(a + "o_proj.weight", hidden, c.qDim()),
                    oBias ? w.vector(a + "o_proj.bias", hidden) : null,
                    w.vector(l + "post_attention_layernorm.weight", hidden), null,
                    w.matrix(m + "gate_proj.weight", inter, hidden),
                    c.mlpBias() ? w.vector(m + "gate_proj.bias", inter) : null,
                    w.matrix(m + "up_proj.weight", inter, hidden),
                    c.mlpBias() ? w.vector(m + "up_proj.bias", inter) : null,
                    w.matrix(m + "down_proj.weight", hidden, inter),
                    c.mlpBias() ? w.vector(m + "down_proj.bias", hidden) : null);
        }
        float[] norm = w.vector(p + "norm.weight", hidden);
        return new ModelWeights(embed, null, layers, norm, null, lmHead(c, w, embed), score(c, w));
    }

    private static ModelWeights bindGpt2(ModelConfig c, CheckpointWeights w) {
        String p = w.contains("transformer.wte.weight") ? "transformer." : "";
        int hidden = c.hiddenSize();
        int inter = c.intermediateSize();
        var embed = w.matrix(p + "wte.weight", c.vocabSize(), hidden);
        var positions = w.matrix(p + "wpe.weight", c.maxPositions(), hidden);
        LayerWeights[] layers = new LayerWeights[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String l = p + "h." + i + ".";
            // Conv1D stores [in, out]; matrixTransposed gives the nn.Linear [out, in] layout the kernels expect.
            layers[i] = new LayerWeights(
                    w.vector(l + "ln_1.weight", hidden), w.vector(l + "ln_1.bias", hidden),
                    null, null, null,
                    w.matrixTransposed(l + "attn.c_attn.weight", 3 * hidden, hidden),
                    null, null, null,
                    w.vector(l + "attn.c_attn.bias", 3 * hidden),
                    null, null,
                    w.matrixTransposed(l + "attn.c_proj.weight", hidden, hidden),
                    w.vector(l + "attn.c_proj.bias", hidden),
                    w.vector(l + "ln_2.weight", hidden), w.vector(l + "ln_2.bias", hidden),
                    null, null,
                    w.matrixTransposed(l + "mlp.c_fc.weight", inter, hidden),
                    w.vector(l + "mlp.c_fc.bias", inter),
                    w.matrixTransposed(l + "mlp.c_proj.weight", hidden, inter),
                    w.vector(l + "mlp.c_proj.bias", hidden));
        }
        return new ModelWeights(embed, positions, layers, w.vector(p + "ln_f.weight", hidden),
                w.vector(p + "ln_f.bias", hidden), lmHead(c, w, embed), score(c, w));
    }

    private static WeightMatrix lmHead(ModelConfig c, CheckpointWeights w, WeightMatrix embed) {
        if (c.head() != Head.CAUSAL_LM) {
            return null;
        }
        if (c.tieWordEmbeddings()) {
            return FiniteWeights.require(embed, w.directory()); // NaN logits would always sample token 0
        }
        if (!w.contains("lm_head.weight")) {
            throw new BadInputException(w.directory() + ": tensor lm_head.weight is missing and config.json has "
                    + "tie_word_embeddings=false (expected an untied output head)");
        }
        return FiniteWeights.require(w.matrix("lm_head.weight", c.vocabSize(), c.hiddenSize()), w.directory());
    }

    private static WeightMatrix score(ModelConfig c, CheckpointWeights w) {
        if (c.head() != Head.SEQUENCE_CLASSIFICATION) {
            return null;
        }
        if (w.contains("score.bias")) {
            throw new BadInputException(w.directory() + ": tensor score.bias is present; transformers' "
                    + c.architecture() + " has no score bias (expected score.weight only)");
        }
        return FiniteWeights.require(w.matrix("score.weight", c.numLabels(), c.hiddenSize()), w.directory());
    }
}
