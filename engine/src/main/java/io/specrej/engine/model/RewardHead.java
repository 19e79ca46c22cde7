package io.specrej.engine.model;

import io.specrej.engine.weights.CheckpointWeights;

/**
 * One kind of reward head: its config keys (read by {@link RewardHeads}), its tensors, how it turns final-norm hidden
 * states into output rows, which token's row is the reward, and how a score is read from the rows.
 * {@link RewardModel} drives it; {@link ForwardPass} only calls the bound {@link OutputHead}.
 */
public interface RewardHead {
    /** A name for inspect and errors, e.g. {@code sequence_classification}. */
    String kind();

    /** How many reward labels a caller may choose from (num_labels for a classifier, 1 otherwise). */
    int labels();

    /** Floats per output row of the bound head. */
    int outputWidth();

    /** Adds the head's tensors to the table (names shared by the loader and random-model). */
    void tensors(ModelConfig c, TensorTable table);

    OutputHead bind(ModelConfig c, CheckpointWeights w);

    /** Index of the token whose output row is the reward, for a sequence of {@code length} tokens. */
    int rewardIndex(int[] tokens, int length, Integer padId);

    /**
     * Text whose encoding (with the reward model's own tokenizer, no special tokens added) marks a second position
     * the score reads (ArmoRM's gating position: the start of its last occurrence), or null when there is none.
     */
    default String gateText() {
        return null;
    }

    /**
     * The score from the reward token's output row ({@code out[rewardOffset ...]}) and, for a gating head, the gate
     * token's row ({@code gate[gateOffset ...]}; ignored otherwise).
     */
    float score(float[] out, int rewardOffset, float[] gate, int gateOffset, int label);

    /**
     * The parts of a score a user may want to see (ArmoRM: per-objective rewards and gating weights), by name, from
     * {@link RewardModel#rows}; empty for a plain head.
     */
    default java.util.Map<String, float[]> explain(float[] rewardRow, float[] gateRow) {
        return java.util.Map.of();
    }
}
