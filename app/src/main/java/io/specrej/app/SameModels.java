package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Run records record their models by absolute path, so a run resumed or merged from another checkout or machine
 * (shards on machines that mount the models elsewhere, a run file committed and resumed from a fresh clone) names
 * the same models by other paths. Two records' params describe the same run when they are equal, or equal but for
 * the model paths while their provenance shows the same model files (the hashes of config, tokenizer and weights
 * header).
 */
final class SameModels {
    private static final String[] MODELS = {"generator", "reward_model"};

    private SameModels() {
    }

    /** {@code found}'s params with the model paths of {@code expected} where the provenance hashes agree. */
    static JsonNode aligned(JsonNode found, JsonNode foundProvenance, JsonNode expected, JsonNode expectedProvenance) {
        if (!found.isObject() || found.equals(expected)) {
            return found;
        }
        ObjectNode copy = null;
        for (String model : MODELS) {
            JsonNode a = found.get(model);
            JsonNode b = expected.get(model);
            if (a == null || b == null || a.equals(b) || !a.isTextual() || !b.isTextual()) {
                continue;
            }
            JsonNode ha = foundProvenance == null ? null : foundProvenance.get(model);
            JsonNode hb = expectedProvenance == null ? null : expectedProvenance.get(model);
            if (ha != null && ha.isObject() && !ha.isEmpty() && ha.equals(hb)) {
                copy = copy == null ? (ObjectNode) found.deepCopy() : copy;
                copy.set(model, b);
            }
        }
        return copy == null ? found : copy;
    }
}
