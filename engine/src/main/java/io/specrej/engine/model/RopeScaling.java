package io.specrej.engine.model;

/**
 * config.json's rope_scaling, reduced to what the supported rope types need.
 *
 * @param type "default", "linear" or "llama3"
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 1.0, 1.0, 0);
}
