package io.specrej.engine.model;

import java.util.List;

/** Llama (and the Llama-3 family): {@code attention_bias} biases q/k/v and o, {@code mlp_bias} the MLP. */
final class LlamaArchitecture extends RmsRopeArchitecture {
    LlamaArchitecture() {
        super("llama", "Llama");
    }

    @Override
    public List<String> classNames() {
        return List.of("LlamaForCausalLM", "LlamaForSequenceClassification", "LlamaModel",
                RewardHeads.ARMO_RM_CLASS);
    }

    @Override
    boolean qkvBias(ConfigFields f) {
        return f.bool("attention_bias", false);
    }

    @Override
    boolean mlpBias(ConfigFields f) {
        return f.bool("mlp_bias", false);
    }
}
