package io.specrej.engine.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What SpecRej needs from a model directory's tokenizer_config.json: the special tokens, add_bos/eos_token,
 * model_max_length and the chat template.
 *
 * <p>Special tokens missing (or null) there are taken from special_tokens_map.json. A chat template may also live
 * in chat_template.jinja (transformers 4.50+ saves it there), which is used when tokenizer_config.json has none.
 * Every file is optional; an empty directory gives an empty config.
 */
public final class TokenizerConfig {
    public static final String FILE = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_FILE = "special_tokens_map.json";
    public static final String TEMPLATE_FILE = "chat_template.jinja";
    private static final String[] TOKEN_FIELDS = {"bos_token", "eos_token", "pad_token", "unk_token"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> specialTokens;
    private final Boolean addBosToken;
    private final Boolean addEosToken;
    private final long modelMaxLength;
    private final String chatTemplate;

    private TokenizerConfig(Map<String, String> specialTokens, Boolean addBosToken, Boolean addEosToken,
            long modelMaxLength, String chatTemplate) {
        this.specialTokens = Map.copyOf(specialTokens);
        this.addBosToken = addBosToken;
        this.addEosToken = addEosToken;
        this.modelMaxLength = modelMaxLength;
        this.chatTemplate = chatTemplate;
    }

    /** Reads the tokenizer files of a model directory; missing files are skipped, unreadable ones rejected. */
    public static TokenizerConfig load(Path modelDir) {
        Path configFile = modelDir.resolve(FILE);
        JsonNode config = readJson(configFile);
        JsonNode specialMap = readJson(modelDir.resolve(SPECIAL_TOKENS_FILE));
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String field : TOKEN_FIELDS) {
            String value = token(config, field, configFile);
            if (value == null) {
                value = token(specialMap, field, modelDir.resolve(SPECIAL_TOKENS_FILE));
            }
            if (value != null) {
                tokens.put(field, value);
            }
        }
        String template = chatTemplate(config, configFile);
        Path templateFile = modelDir.resolve(TEMPLATE_FILE);
        if (template == null && Files.isRegularFile(templateFile)) {
            template = readString(templateFile);
        }
        return new TokenizerConfig(tokens, bool(config, "add_bos_token", configFile),
                bool(config, "add_eos_token", configFile), maxLength(config, configFile), template);
    }

    /** bos_token, eos_token, pad_token and unk_token, for those that are set. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    public String bosToken() {
        return specialTokens.get("bos_token");
    }

    public String eosToken() {
        return specialTokens.get("eos_token");
    }

    public String padToken() {
        return specialTokens.get("pad_token");
    }

    public String unkToken() {
        return specialTokens.get("unk_token");
    }

    /** add_bos_token, or null when the file does not say (the tokenizer.json post-processor decides then). */
    public Boolean addBosToken() {
        return addBosToken;
    }

    public Boolean addEosToken() {
        return addEosToken;
    }

    /** model_max_length, or Long.MAX_VALUE when absent or transformers' "very large integer" placeholder. */
    public long modelMaxLength() {
        return modelMaxLength;
    }

    /** The chat template (the "default" one when there are several), or null. */
    public String chatTemplate() {
        return chatTemplate;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.exists(file)) {
            return JSON.createObjectNode();
        }
        String text = readString(file);
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || !node.isObject()) {
                throw new BadInputException(file + ": expected a JSON object, found "
                        + (node == null ? "an empty file" : node.getNodeType().toString().toLowerCase()));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ")", e);
        }
    }

    private static String readString(Path file) {
        try {
            return BoundedFiles.readUtf8(file, BoundedFiles.CONFIG_BYTES, "a tokenizer config or chat template");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e + ")", e);
        }
    }

    /** A special token is a string, null, or an AddedToken object {"content": "...", ...}. */
    private static String token(JsonNode config, String field, Path file) {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return v.get("content").asText();
        }
        throw new BadInputException(file + ": field " + field + " is " + v
                + ", expected a string, null or an object with a \"content\" string");
    }

    private static Boolean bool(JsonNode config, String field, Path file) {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw new BadInputException(file + ": field " + field + " is " + v + ", expected true or false");
        }
        return v.asBoolean();
    }

    private static long maxLength(JsonNode config, Path file) {
        JsonNode v = config.get("model_max_length");
        if (v == null || v.isNull()) {
            return Long.MAX_VALUE;
        }
        if (!v.isNumber() || v.doubleValue() < 1) {
            throw new BadInputException(file + ": field model_max_length is " + v + ", expected a positive integer");
        }
        // transformers writes int(1e30) when a tokenizer has no limit; that does not fit a long.
        return v.isIntegralNumber() && v.canConvertToLong() ? v.longValue()
                : v.doubleValue() >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) v.doubleValue();
    }

    /** chat_template is a string or a list of {"name", "template"}; the "default" entry wins, else the first. */
    private static String chatTemplate(JsonNode config, Path file) {
        JsonNode v = config.get("chat_template");
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isArray() && !v.isEmpty()) {
            JsonNode chosen = v.get(0);
            for (JsonNode entry : v) {
                if ("default".equals(entry.path("name").asText())) {
                    chosen = entry;
                    break;
                }
            }
            if (chosen.path("template").isTextual()) {
                return chosen.get("template").asText();
            }
        }
        throw new BadInputException(file + ": field chat_template is not a string or a list of"
                + " {\"name\", \"template\"} objects");
    }
}
