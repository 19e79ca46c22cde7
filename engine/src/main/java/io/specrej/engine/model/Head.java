package io.specrej.engine.model;

/** What sits on top of the transformer body. */
public enum Head {
    /** Next-token logits over the vocabulary (a generator). */
    CAUSAL_LM,
    /** A reward head ({@link ModelConfig#rewardHead()}: sequence classification, ArmoRM gating, Eurus regression). */
    REWARD
}
