package io.specrej.engine.model;

/** Qwen3: per-head RMSNorm of queries and keys before the rotation; {@code attention_bias} as Llama. */
final class Qwen3Architecture extends RmsRopeArchitecture {
    Qwen3Architecture() {
        super("qwen3", "Qwen3");
    }

    @Override
    boolean qkvBias(ConfigFields f) {
        return f.bool("attention_bias", false);
    }

    @Override
    boolean qkNorm() {
        return true;
    }

    @Override
    Integer slidingWindow(ConfigFields f) {
        return refuseSlidingWindow(f);
    }
}
