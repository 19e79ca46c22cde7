package io.specrej.engine.model;

/** Which {@link RewardHead} an {@code architectures[0]} class loads as; null for a causal LM. */
final class RewardHeads {
    /** RLHFlow/ArmoRM-Llama3-8B-v0.1's trust_remote_code class. */
    static final String ARMO_RM_CLASS = "LlamaForRewardModelWithGating";
    /** openbmb/Eurus-RM-7b's trust_remote_code class. */
    static final String EURUS_RM_CLASS = "EurusRewardModel";

    private RewardHeads() {
    }

    static RewardHead forClass(String className, ConfigFields f) {
        if (className.endsWith("ForSequenceClassification")) {
            return new SequenceClassificationHead(SequenceClassificationHead.numLabels(f));
        }
        return switch (className) {
            case ARMO_RM_CLASS -> GatingRewardHead.parse(f);
            case EURUS_RM_CLASS -> new RegressionRewardHead();
            default -> null;
        };
    }
}
