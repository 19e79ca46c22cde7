package io.specrej.engine.model;

import java.util.List;

/**
 * One model family (config.json's {@code model_type}) in one place: the class names it loads, the config keys it
 * reads with transformers' defaults, its block options and its tensor-name table. Everything else (the loader,
 * {@code random-model}, {@code inspect}, the forward pass) reads these, so adding a family is one implementation
 * registered in {@link Architectures} plus its golden test (docs/ARCHITECTURE.md, "Adding a family").
 */
public interface Architecture {
    /** config.json's {@code model_type}. */
    String modelType();

    /**
     * The {@code architectures[0]} class names this family loads; the first is the causal LM assumed when the list is
     * absent. Reward classes are mapped to their head by {@link RewardHeads}.
     */
    List<String> classNames();

    /** Reads this family's keys from config.json (with transformers' defaults when absent). */
    Body body(ConfigFields f);

    /** The prefix of backbone tensor names ({@code model.}, {@code transformer.}); bare backbones omit it. */
    String backbonePrefix();

    /** Adds the embeddings, blocks and final norm of a checkpoint of {@code c} to {@code table}. */
    void bodyTensors(ModelConfig c, TensorTable table);

    /** Whether a causal LM of this family has {@code lm_head.bias} (GPT-J). */
    default boolean lmHeadBias() {
        return false;
    }

    /** The shape and switches one family reads from config.json. */
    record Body(int hiddenSize, int layers, int heads, int kvHeads, int headDim, int intermediateSize,
                int maxPositions, double normEps, double ropeTheta, RopeScaling ropeScaling,
                boolean tieWordEmbeddings, boolean qkvBias, boolean oBias, boolean mlpBias, String activation,
                Integer slidingWindow, BlockOptions block) {
    }
}
