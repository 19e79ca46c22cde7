package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.TensorTable.Role;
import java.util.List;

/**
 * GPT-J (GPTJForCausalLM): one LayerNorm feeding attention and the MLP in parallel
 * ({@code x + attn(ln_1(x)) + mlp(ln_1(x))}), rotary positions on the first {@code rotary_dim} dimensions of each
 * head with interleaved pairs (rotate_every_two), unbiased q/k/v/out projections, a biased GELU MLP
 * (fc_in/fc_out), scores divided by sqrt(head_dim), and an untied lm_head with a bias.
 */
final class GptjArchitecture implements Architecture {
    @Override
    public String modelType() {
        return "gptj";
    }

    @Override
    public List<String> classNames() {
        return List.of("GPTJForCausalLM", "GPTJModel");
    }

    @Override
    public String backbonePrefix() {
        return "transformer.";
    }

    @Override
    public boolean lmHeadBias() {
        return true;
    }

    @Override
    public Body body(ConfigFields f) {
        int[] hiddenAndHeads = GptConfigKeys.hiddenAndHeads(f);
        int hidden = hiddenAndHeads[0];
        int heads = hiddenAndHeads[1];
        int headDim = hidden / heads;
        // GPTJConfig's default; a null rotary_dim makes transformers rotate with embed_dim-wide tables, which only
        // works for one head, so it is refused rather than guessed.
        if (f.root.has("rotary_dim") && f.root.get("rotary_dim").isNull()) {
            throw new BadInputException(f.file + ": rotary_dim null is not supported (expected an even number <= "
                    + headDim + ", the head size)");
        }
        int rotaryDim = f.positiveInt("rotary_dim", 64);
        if (rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new BadInputException(f.file + ": rotary_dim " + rotaryDim + " must be even and at most the head "
                    + "size n_embd / n_head = " + headDim);
        }
        BlockOptions block = new BlockOptions(BlockOptions.Norm.LAYER, BlockOptions.Positions.ROTARY_INTERLEAVED,
                rotaryDim, true, false, false, true, "n_positions");
        return new Body(hidden, f.positiveInt("n_layer", null), heads, heads, headDim,
                f.positiveInt("n_inner", 4 * hidden), f.positiveInt("n_positions", 2048),
                f.positiveDouble("layer_norm_epsilon", 1e-5), 10000.0, RopeScaling.NONE,
                f.bool("tie_word_embeddings", false), false, false, true, GptConfigKeys.activation(f), null, block);
    }

    @Override
    public void bodyTensors(ModelConfig c, TensorTable t) {
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        t.matrix("transformer.wte.weight", -1, Role.EMBED, c.vocabSize(), h);
        for (int i = 0; i < c.layers(); i++) {
            String l = "transformer.h." + i + ".";
            String a = l + "attn.";
            t.norm(BlockOptions.Norm.LAYER, l + "ln_1.", i, Role.ATTN_NORM, Role.ATTN_NORM_BIAS, h);
            t.matrix(a + "q_proj.weight", i, Role.Q, h, h);
            t.matrix(a + "k_proj.weight", i, Role.K, h, h);
            t.matrix(a + "v_proj.weight", i, Role.V, h, h);
            t.matrix(a + "out_proj.weight", i, Role.O, h, h);
            t.matrix(l + "mlp.fc_in.weight", i, Role.UP, inter, h);
            t.zeros(l + "mlp.fc_in.bias", i, Role.UP_BIAS, inter);
            t.matrix(l + "mlp.fc_out.weight", i, Role.DOWN, h, inter);
            t.zeros(l + "mlp.fc_out.bias", i, Role.DOWN_BIAS, h);
        }
        t.norm(BlockOptions.Norm.LAYER, "transformer.ln_f.", -1, Role.FINAL_NORM, Role.FINAL_NORM_BIAS, h);
    }
}
