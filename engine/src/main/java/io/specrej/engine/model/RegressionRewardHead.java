package io.specrej.engine.model;

import io.specrej.engine.weights.FiniteWeights;

import io.specrej.engine.model.TensorTable.Role;
import io.specrej.engine.weights.CheckpointWeights;

/**
 * Eurus-RM ({@code EurusRewardModel}): a Mistral backbone and {@code regression_head} [1, hidden] without bias, read
 * at the last position whose attention mask is 1. A sequence handed to the engine has no padding, so that is its last
 * token, pad ids included (unlike the sequence-classification rule).
 */
record RegressionRewardHead() implements RewardHead {
    @Override
    public String kind() {
        return "eurus_regression";
    }

    @Override
    public int labels() {
        return 1;
    }

    @Override
    public int outputWidth() {
        return 1;
    }

    @Override
    public void tensors(ModelConfig c, TensorTable t) {
        t.matrix("regression_head.weight", -1, Role.HEAD, 1, c.hiddenSize());
    }

    @Override
    public OutputHead bind(ModelConfig c, CheckpointWeights w) {
        return new LinearHead(FiniteWeights.require(w.matrix("regression_head.weight", 1, c.hiddenSize()),
                w.directory()), null);
    }

    @Override
    public int rewardIndex(int[] tokens, int length, Integer padId) {
        return length - 1;
    }

    @Override
    public float score(float[] out, int rewardOffset, float[] gate, int gateOffset, int label) {
        return out[rewardOffset];
    }
}
