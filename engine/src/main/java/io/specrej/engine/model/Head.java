package io.specrej.engine.model;

/** What sits on top of the transformer body. */
public enum Head {
    /** Next-token logits over the vocabulary (a generator). */
    CAUSAL_LM,
    /** num_labels scores pooled at the last non-pad token (a reward model). */
    SEQUENCE_CLASSIFICATION
}
