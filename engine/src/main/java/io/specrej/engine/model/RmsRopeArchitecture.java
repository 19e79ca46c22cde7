package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.TensorTable.Role;
import java.util.List;

/**
 * The Llama shape that Llama, Mistral, Qwen2 and Qwen3 share: RMSNorm before attention and before the MLP, separate
 * q/k/v projections, rotate-half rotary positions, a gated SiLU MLP, {@code model.}-prefixed names. Each family
 * states only where it differs (biases, q/k norms, sliding windows).
 */
abstract class RmsRopeArchitecture implements Architecture {
    private final String modelType;
    private final String classPrefix;

    RmsRopeArchitecture(String modelType, String classPrefix) {
        this.modelType = modelType;
        this.classPrefix = classPrefix;
    }

    @Override
    public final String modelType() {
        return modelType;
    }

    @Override
    public List<String> classNames() {
        return List.of(classPrefix + "ForCausalLM", classPrefix + "ForSequenceClassification", classPrefix + "Model");
    }

    @Override
    public final String backbonePrefix() {
        return "model.";
    }

    /** Whether q/k/v have biases; o_proj's bias is {@link #oBias}. */
    abstract boolean qkvBias(ConfigFields f);

    boolean oBias(ConfigFields f) {
        return qkvBias(f);
    }

    boolean mlpBias(ConfigFields f) {
        return false;
    }

    boolean qkNorm() {
        return false;
    }

    /** Mistral's sliding window; the others refuse what they would compute differently. */
    Integer slidingWindow(ConfigFields f) {
        return null;
    }

    @Override
    public final Body body(ConfigFields f) {
        int hidden = f.positiveInt("hidden_size", null);
        int heads = f.positiveInt("num_attention_heads", null);
        int kvHeads = f.positiveInt("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw new BadInputException(f.file + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim = f.positiveInt("head_dim", hidden / heads);
        String activation = f.string("hidden_act", "silu");
        if (!activation.equals("silu") && !activation.equals("swish")) {
            throw new BadInputException(f.file + ": activation \"" + activation + "\" is not supported for "
                    + modelType + " (supported: silu)");
        }
        BlockOptions block = new BlockOptions(BlockOptions.Norm.RMS, BlockOptions.Positions.ROTARY_HALF, headDim,
                false, true, qkNorm(), false, "max_position_embeddings");
        // transformers' PretrainedConfig defaults tie_word_embeddings to true; these families' configs default it
        // to false.
        return new Body(hidden, f.positiveInt("num_hidden_layers", null), heads, kvHeads, headDim,
                f.positiveInt("intermediate_size", null), f.positiveInt("max_position_embeddings", 2048),
                f.positiveDouble("rms_norm_eps", 1e-6), f.positiveDouble("rope_theta", 10000.0),
                RopeScaling.parse(f), f.bool("tie_word_embeddings", false), qkvBias(f), oBias(f), mlpBias(f),
                activation, slidingWindow(f), block);
    }

    @Override
    public final void bodyTensors(ModelConfig c, TensorTable t) {
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        t.matrix("model.embed_tokens.weight", -1, Role.EMBED, c.vocabSize(), h);
        for (int i = 0; i < c.layers(); i++) {
            String l = "model.layers." + i + ".";
            String a = l + "self_attn.";
            String m = l + "mlp.";
            t.ones(l + "input_layernorm.weight", i, Role.ATTN_NORM, h);
            t.matrix(a + "q_proj.weight", i, Role.Q, c.qDim(), h);
            t.matrix(a + "k_proj.weight", i, Role.K, c.kvDim(), h);
            t.matrix(a + "v_proj.weight", i, Role.V, c.kvDim(), h);
            if (c.qkvBias()) {
                t.zeros(a + "q_proj.bias", i, Role.Q_BIAS, c.qDim());
                t.zeros(a + "k_proj.bias", i, Role.K_BIAS, c.kvDim());
                t.zeros(a + "v_proj.bias", i, Role.V_BIAS, c.kvDim());
            }
            if (c.block().qkNorm()) {
                t.ones(a + "q_norm.weight", i, Role.Q_NORM, c.headDim());
                t.ones(a + "k_norm.weight", i, Role.K_NORM, c.headDim());
            }
            t.matrix(a + "o_proj.weight", i, Role.O, h, c.qDim());
            if (c.oBias()) {
                t.zeros(a + "o_proj.bias", i, Role.O_BIAS, h);
            }
            t.ones(l + "post_attention_layernorm.weight", i, Role.MLP_NORM, h);
            t.matrix(m + "gate_proj.weight", i, Role.GATE, inter, h);
            t.matrix(m + "up_proj.weight", i, Role.UP, inter, h);
            t.matrix(m + "down_proj.weight", i, Role.DOWN, h, inter);
            if (c.mlpBias()) {
                t.zeros(m + "gate_proj.bias", i, Role.GATE_BIAS, inter);
                t.zeros(m + "up_proj.bias", i, Role.UP_BIAS, inter);
                t.zeros(m + "down_proj.bias", i, Role.DOWN_BIAS, h);
            }
        }
        t.ones("model.norm.weight", -1, Role.FINAL_NORM, h);
    }

    /** Qwen2/Qwen3 slide only when use_sliding_window is set, and then only on some layers: refused. */
    static Integer refuseSlidingWindow(ConfigFields f) {
        if (f.bool("use_sliding_window", false)) {
            throw new BadInputException(f.file + ": use_sliding_window=true is not supported (expected false)");
        }
        return null;
    }
}
