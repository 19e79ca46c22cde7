package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.TensorTable.Role;
import java.util.List;

/**
 * GPT-2: LayerNorm with bias, learned positions, a fused c_attn, Conv1D weights stored [in, out], an ungated GELU
 * MLP, scores divided by sqrt(head_dim), tied lm_head by default.
 */
final class Gpt2Architecture implements Architecture {
    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public List<String> classNames() {
        return List.of("GPT2LMHeadModel", "GPT2ForSequenceClassification", "GPT2Model");
    }

    @Override
    public String backbonePrefix() {
        return "transformer.";
    }

    @Override
    public Body body(ConfigFields f) {
        int[] hiddenAndHeads = GptConfigKeys.hiddenAndHeads(f);
        int hidden = hiddenAndHeads[0];
        int heads = hiddenAndHeads[1];
        if (f.bool("scale_attn_by_inverse_layer_idx", false)) {
            throw new BadInputException(f.file + ": scale_attn_by_inverse_layer_idx=true is not supported (expected false)");
        }
        if (f.bool("reorder_and_upcast_attn", false)) {
            throw new BadInputException(f.file + ": reorder_and_upcast_attn=true is not supported (expected false)");
        }
        BlockOptions block = new BlockOptions(BlockOptions.Norm.LAYER, BlockOptions.Positions.LEARNED, 0, false,
                false, false, true, "n_positions");
        return new Body(hidden, f.positiveInt("n_layer", null), heads, heads, hidden / heads,
                f.positiveInt("n_inner", 4 * hidden), f.positiveInt("n_positions", 1024),
                f.positiveDouble("layer_norm_epsilon", 1e-5), 0, RopeScaling.NONE, f.bool("tie_word_embeddings", true),
                true, true, true, GptConfigKeys.activation(f), null, block);
    }

    @Override
    public void bodyTensors(ModelConfig c, TensorTable t) {
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        t.matrix("transformer.wte.weight", -1, Role.EMBED, c.vocabSize(), h);
        t.matrix("transformer.wpe.weight", -1, Role.POSITIONS, c.maxPositions(), h);
        for (int i = 0; i < c.layers(); i++) {
            String l = "transformer.h." + i + ".";
            t.norm(BlockOptions.Norm.LAYER, l + "ln_1.", i, Role.ATTN_NORM, Role.ATTN_NORM_BIAS, h);
            t.conv1d(l + "attn.c_attn.weight", i, Role.QKV, 3L * h, h);
            t.zeros(l + "attn.c_attn.bias", i, Role.QKV_BIAS, 3L * h);
            t.conv1d(l + "attn.c_proj.weight", i, Role.O, h, h);
            t.zeros(l + "attn.c_proj.bias", i, Role.O_BIAS, h);
            t.norm(BlockOptions.Norm.LAYER, l + "ln_2.", i, Role.MLP_NORM, Role.MLP_NORM_BIAS, h);
            t.conv1d(l + "mlp.c_fc.weight", i, Role.UP, inter, h);
            t.zeros(l + "mlp.c_fc.bias", i, Role.UP_BIAS, inter);
            t.conv1d(l + "mlp.c_proj.weight", i, Role.DOWN, h, inter);
            t.zeros(l + "mlp.c_proj.bias", i, Role.DOWN_BIAS, h);
        }
        t.norm(BlockOptions.Norm.LAYER, "transformer.ln_f.", -1, Role.FINAL_NORM, Role.FINAL_NORM_BIAS, h);
    }
}
