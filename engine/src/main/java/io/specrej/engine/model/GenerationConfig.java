package io.specrej.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * generation_config.json, as transformers' generate reads it: stop tokens (eos_token_id, one id or a list) and the
 * checkpoint's suggested sampling defaults. Absent file → stop tokens fall back to config.json's eos_token_id.
 */
public record GenerationConfig(List<Integer> eosTokenIds, Integer padTokenId, Integer bosTokenId, Boolean doSample,
                               Double temperature, Integer topK, Double topP, Integer maxNewTokens) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static GenerationConfig load(Path dir, ModelConfig model) {
        Path file = dir.resolve("generation_config.json");
        if (!Files.exists(file)) {
            return new GenerationConfig(model.eosTokenIds(), model.padTokenId(), model.bosTokenId(), null, null, null,
                    null, null);
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("")
                    + ")");
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": expected a JSON object");
        }
        List<Integer> eos = root.has("eos_token_id") && !root.get("eos_token_id").isNull()
                ? ids(file, root.get("eos_token_id")) : model.eosTokenIds();
        return new GenerationConfig(eos,
                intOr(file, root, "pad_token_id", model.padTokenId()),
                intOr(file, root, "bos_token_id", model.bosTokenId()),
                root.has("do_sample") ? root.get("do_sample").asBoolean() : null,
                root.hasNonNull("temperature") ? root.get("temperature").asDouble() : null,
                root.hasNonNull("top_k") ? root.get("top_k").asInt() : null,
                root.hasNonNull("top_p") ? root.get("top_p").asDouble() : null,
                root.hasNonNull("max_new_tokens") ? root.get("max_new_tokens").asInt() : null);
    }

    private static List<Integer> ids(Path file, JsonNode node) {
        List<Integer> ids = new ArrayList<>();
        if (node.isInt()) {
            ids.add(node.asInt());
        } else if (node.isArray()) {
            for (JsonNode n : node) {
                if (!n.isInt()) {
                    throw new BadInputException(file + ": eos_token_id must hold integers, found " + node);
                }
                ids.add(n.asInt());
            }
        } else {
            throw new BadInputException(file + ": eos_token_id must be an integer or a list, found " + node);
        }
        return List.copyOf(ids);
    }

    private static Integer intOr(Path file, JsonNode root, String key, Integer fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (n.isArray() && !n.isEmpty()) {
            n = n.get(0);
        }
        if (!n.isInt()) {
            throw new BadInputException(file + ": " + key + " must be an integer, found " + n);
        }
        return n.asInt();
    }
}
