package io.specrej.engine.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The model families (config.json's model_type) SpecRej runs. */
public enum Family {
    LLAMA("llama"),
    MISTRAL("mistral"),
    QWEN2("qwen2"),
    QWEN3("qwen3"),
    GPT2("gpt2");

    private final String modelType;

    Family(String modelType) {
        this.modelType = modelType;
    }

    public String modelType() {
        return modelType;
    }

    /** True for the RMSNorm + RoPE + gated-MLP families that share one forward pass. */
    public boolean isLlamaLike() {
        return this != GPT2;
    }

    public static Family fromModelType(String modelType) {
        for (Family f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        return null;
    }

    public static String supportedList() {
        return Arrays.stream(values()).map(Family::modelType).collect(Collectors.joining(", "));
    }
}
