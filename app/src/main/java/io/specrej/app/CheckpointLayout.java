package io.specrej.app;

import io.specrej.engine.model.Family;
import io.specrej.engine.model.Head;
import io.specrej.engine.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Every tensor a checkpoint of a given config holds, under transformers' names and shapes: the mirror image of the
 * engine's WeightBinder (keep the two in step). Used to write random checkpoints.
 */
final class CheckpointLayout {
    /** How a tensor is initialized: matrices random, norm scales one, biases zero. */
    enum Init { NORMAL, ONES, ZEROS }

    record Tensor(String name, long[] shape, Init init) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final List<Tensor> tensors = new ArrayList<>();

    private CheckpointLayout() {
    }

    static List<Tensor> of(ModelConfig c) {
        CheckpointLayout layout = new CheckpointLayout();
        if (c.family() == Family.GPT2) {
            layout.gpt2(c);
        } else {
            layout.llama(c);
        }
        // Tied models have no lm_head.weight: save_pretrained drops the alias, and the binder reuses the embedding.
        if (c.head() == Head.CAUSAL_LM && !c.tieWordEmbeddings()) {
            layout.matrix("lm_head.weight", c.vocabSize(), c.hiddenSize());
        }
        if (c.head() == Head.SEQUENCE_CLASSIFICATION) {
            layout.matrix("score.weight", c.numLabels(), c.hiddenSize()); // no bias, as in transformers
        }
        return List.copyOf(layout.tensors);
    }

    /** Llama, Mistral, Qwen2, Qwen3: RMSNorm, separate q/k/v, gated MLP. */
    private void llama(ModelConfig c) {
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        matrix("model.embed_tokens.weight", c.vocabSize(), h);
        boolean qkvBias = c.attentionBias();
        // Llama's attention_bias also biases o_proj; Qwen2's always-on bias covers q/k/v only.
        boolean oBias = c.attentionBias() && c.family() != Family.QWEN2;
        for (int i = 0; i < c.layers(); i++) {
            String l = "model.layers." + i + ".";
            String a = l + "self_attn.";
            String m = l + "mlp.";
            ones(l + "input_layernorm.weight", h);
            matrix(a + "q_proj.weight", c.qDim(), h);
            matrix(a + "k_proj.weight", c.kvDim(), h);
            matrix(a + "v_proj.weight", c.kvDim(), h);
            if (qkvBias) {
                zeros(a + "q_proj.bias", c.qDim());
                zeros(a + "k_proj.bias", c.kvDim());
                zeros(a + "v_proj.bias", c.kvDim());
            }
            if (c.family() == Family.QWEN3) {
                ones(a + "q_norm.weight", c.headDim());
                ones(a + "k_norm.weight", c.headDim());
            }
            matrix(a + "o_proj.weight", h, c.qDim());
            if (oBias) {
                zeros(a + "o_proj.bias", h);
            }
            ones(l + "post_attention_layernorm.weight", h);
            matrix(m + "gate_proj.weight", inter, h);
            matrix(m + "up_proj.weight", inter, h);
            matrix(m + "down_proj.weight", h, inter);
            if (c.mlpBias()) {
                zeros(m + "gate_proj.bias", inter);
                zeros(m + "up_proj.bias", inter);
                zeros(m + "down_proj.bias", h);
            }
        }
        ones("model.norm.weight", h);
    }

    /** GPT-2: LayerNorm with bias, learned positions, Conv1D weights stored [in, out]. */
    private void gpt2(ModelConfig c) {
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        matrix("transformer.wte.weight", c.vocabSize(), h);
        matrix("transformer.wpe.weight", c.maxPositions(), h);
        for (int i = 0; i < c.layers(); i++) {
            String l = "transformer.h." + i + ".";
            ones(l + "ln_1.weight", h);
            zeros(l + "ln_1.bias", h);
            matrix(l + "attn.c_attn.weight", h, 3L * h);
            zeros(l + "attn.c_attn.bias", 3L * h);
            matrix(l + "attn.c_proj.weight", h, h);
            zeros(l + "attn.c_proj.bias", h);
            ones(l + "ln_2.weight", h);
            zeros(l + "ln_2.bias", h);
            matrix(l + "mlp.c_fc.weight", h, inter);
            zeros(l + "mlp.c_fc.bias", inter);
            matrix(l + "mlp.c_proj.weight", inter, h);
            zeros(l + "mlp.c_proj.bias", h);
        }
        ones("transformer.ln_f.weight", h);
        zeros("transformer.ln_f.bias", h);
    }

    private void matrix(String name, long rows, long cols) {
        tensors.add(new Tensor(name, new long[] {rows, cols}, Init.NORMAL));
    }

    private void ones(String name, long length) {
        tensors.add(new Tensor(name, new long[] {length}, Init.ONES));
    }

    private void zeros(String name, long length) {
        tensors.add(new Tensor(name, new long[] {length}, Init.ZEROS));
    }
}
