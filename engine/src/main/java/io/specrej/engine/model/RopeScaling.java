package io.specrej.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;

/**
 * config.json's rope_scaling, reduced to what the supported rope types need.
 *
 * @param type "default", "linear" or "llama3"
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 1.0, 1.0, 0);

    /** Reads {@code rope_scaling} (absent or null: none). */
    static RopeScaling parse(ConfigFields f) {
        JsonNode node = f.root.get("rope_scaling");
        if (node == null || node.isNull()) {
            return NONE;
        }
        if (!node.isObject()) {
            throw new BadInputException(f.file + ": rope_scaling must be an object or null, found " + node);
        }
        JsonNode typeNode = node.has("rope_type") ? node.get("rope_type") : node.get("type");
        String type = typeNode == null ? "default" : typeNode.asText();
        ConfigFields s = new ConfigFields(f.file, node, "rope_scaling.");
        return switch (type) {
            case "default" -> NONE;
            case "linear" -> new RopeScaling("linear", s.positiveDouble("factor", null), 1, 1, 0);
            case "llama3" -> new RopeScaling("llama3", s.positiveDouble("factor", null),
                    s.positiveDouble("low_freq_factor", null), s.positiveDouble("high_freq_factor", null),
                    s.positiveInt("original_max_position_embeddings", null));
            default -> throw new BadInputException(f.file + ": rope_scaling type \"" + type
                    + "\" is not supported (supported: default, linear, llama3)");
        };
    }
}
