package io.specrej.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
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
            root = JSON.readTree(BoundedFiles.readUtf8(file, BoundedFiles.CONFIG_BYTES, "a JSON config"));
        } catch (IOException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("")
                    + ")");
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": expected a JSON object");
        }
        List<Integer> eos = root.has("eos_token_id") && !root.get("eos_token_id").isNull()
                ? ids(file, root.get("eos_token_id")) : model.eosTokenIds();
        Integer pad = intOr(file, root, "pad_token_id", model.padTokenId());
        Integer bos = intOr(file, root, "bos_token_id", model.bosTokenId());
        if (root.has("eos_token_id")) {
            eos.forEach(id -> inVocabulary(file, "eos_token_id", id, model));
        }
        if (root.hasNonNull("pad_token_id")) {
            inVocabulary(file, "pad_token_id", pad, model);
        }
        if (root.hasNonNull("bos_token_id")) {
            inVocabulary(file, "bos_token_id", bos, model);
        }
        Integer maxNewTokens = intOr(file, root, "max_new_tokens", null);
        if (maxNewTokens != null && maxNewTokens < 1) {
            // transformers' generate raises on it too; ignoring it would silently generate another length
            throw new BadInputException(file + ": max_new_tokens is " + maxNewTokens + ", expected a positive integer");
        }
        return new GenerationConfig(eos, pad, bos,
                root.has("do_sample") ? root.get("do_sample").asBoolean() : null,
                number(file, root, "temperature"),
                intOr(file, root, "top_k", null),
                number(file, root, "top_p"),
                maxNewTokens);
    }

    /** A stop or padding id outside the vocabulary would never match a sampled token, or index past the logits. */
    private static void inVocabulary(Path file, String field, int id, ModelConfig model) {
        if (id < 0 || id >= model.vocabSize()) {
            throw new BadInputException(file + ": " + field + " " + id + " is outside the vocabulary of "
                    + model.vocabSize() + " tokens (config.json's vocab_size), expected 0 to "
                    + (model.vocabSize() - 1));
        }
    }

    private static Double number(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new BadInputException(file + ": " + key + " must be a number, found " + n);
        }
        return n.asDouble();
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
