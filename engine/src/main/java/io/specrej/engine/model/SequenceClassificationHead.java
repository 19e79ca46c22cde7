package io.specrej.engine.model;

import io.specrej.engine.weights.FiniteWeights;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.TensorTable.Role;
import io.specrej.engine.weights.CheckpointWeights;

/**
 * transformers' {@code *ForSequenceClassification}: {@code score} [num_labels, hidden] without bias, read at the
 * rightmost token whose id is not the pad id (transformers >= 4.49 ignores the attention mask here), or the last
 * token when there is no pad id.
 */
record SequenceClassificationHead(int numLabels) implements RewardHead {
    static int numLabels(ConfigFields f) {
        if (f.root.has("num_labels")) {
            return f.positiveInt("num_labels", null);
        }
        var id2label = f.root.get("id2label");
        if (id2label != null && id2label.isObject() && !id2label.isEmpty()) {
            return id2label.size();
        }
        return 2; // transformers' PretrainedConfig default
    }

    @Override
    public String kind() {
        return "sequence_classification";
    }

    @Override
    public int labels() {
        return numLabels;
    }

    @Override
    public int outputWidth() {
        return numLabels;
    }

    @Override
    public void tensors(ModelConfig c, TensorTable t) {
        t.matrix("score.weight", -1, Role.HEAD, numLabels, c.hiddenSize());
    }

    @Override
    public OutputHead bind(ModelConfig c, CheckpointWeights w) {
        if (w.contains("score.bias")) {
            throw new BadInputException(w.directory() + ": tensor score.bias is present; transformers' "
                    + c.architecture() + " has no score bias (expected score.weight only)");
        }
        return new LinearHead(FiniteWeights.require(w.matrix("score.weight", numLabels, c.hiddenSize()),
                w.directory()), null);
    }

    @Override
    public int rewardIndex(int[] tokens, int length, Integer padId) {
        return RewardModel.pooledIndex(tokens, length, padId);
    }

    @Override
    public float score(float[] out, int rewardOffset, float[] gate, int gateOffset, int label) {
        return out[rewardOffset + label];
    }
}
