package io.specrej.engine.model;

import java.util.List;

/** Mistral: Llama's block with an optional sliding attention window. */
final class MistralArchitecture extends RmsRopeArchitecture {
    MistralArchitecture() {
        super("mistral", "Mistral");
    }

    @Override
    public List<String> classNames() {
        return List.of("MistralForCausalLM", "MistralForSequenceClassification", "MistralModel",
                RewardHeads.EURUS_RM_CLASS);
    }

    @Override
    boolean qkvBias(ConfigFields f) {
        return false;
    }

    @Override
    Integer slidingWindow(ConfigFields f) {
        return f.optionalInt("sliding_window");
    }
}
