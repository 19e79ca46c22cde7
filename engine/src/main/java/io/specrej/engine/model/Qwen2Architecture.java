package io.specrej.engine.model;

/** Qwen2: q/k/v always biased (there is no config key), o_proj never. */
final class Qwen2Architecture extends RmsRopeArchitecture {
    Qwen2Architecture() {
        super("qwen2", "Qwen2");
    }

    @Override
    boolean qkvBias(ConfigFields f) {
        return true;
    }

    @Override
    boolean oBias(ConfigFields f) {
        return false;
    }

    @Override
    Integer slidingWindow(ConfigFields f) {
        return refuseSlidingWindow(f);
    }
}
