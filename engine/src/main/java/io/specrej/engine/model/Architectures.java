package io.specrej.engine.model;

import java.util.List;
import java.util.stream.Collectors;

/** The registry of supported families, looked up by config.json's {@code model_type}. */
public final class Architectures {
    private static final List<Architecture> ALL = List.of(
            new LlamaArchitecture(), new MistralArchitecture(), new Qwen2Architecture(), new Qwen3Architecture(),
            new Gpt2Architecture(), new GptjArchitecture());

    private Architectures() {
    }

    public static List<Architecture> all() {
        return ALL;
    }

    /** The family for a model_type, or null. */
    public static Architecture forModelType(String modelType) {
        for (Architecture a : ALL) {
            if (a.modelType().equals(modelType)) {
                return a;
            }
        }
        return null;
    }

    public static String supportedList() {
        return ALL.stream().map(Architecture::modelType).collect(Collectors.joining(", "));
    }
}
