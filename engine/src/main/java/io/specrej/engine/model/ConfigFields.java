package io.specrej.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import java.nio.file.Path;

/** Typed access to config.json fields with messages that name the file and the field. */
final class ConfigFields {
    final Path file;
    final JsonNode root;
    final String prefix;

    ConfigFields(Path file, JsonNode root) {
        this(file, root, "");
    }

    ConfigFields(Path file, JsonNode root, String prefix) {
        this.file = file;
        this.root = root;
        this.prefix = prefix;
    }

    String requiredString(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new BadInputException(file + ": missing field " + prefix + key);
        }
        if (!n.isTextual()) {
            throw new BadInputException(file + ": " + prefix + key + " must be a string, found " + n);
        }
        return n.asText();
    }

    String string(String key, String fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new BadInputException(file + ": " + prefix + key + " must be a string, found " + n);
        }
        return n.asText();
    }

    int positiveInt(String key, Integer fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new BadInputException(file + ": missing field " + prefix + key + " (a positive integer)");
            }
            return fallback;
        }
        if (!n.isIntegralNumber() || n.asLong() <= 0 || n.asLong() > Integer.MAX_VALUE) {
            throw new BadInputException(file + ": " + prefix + key + " must be a positive integer, found " + n);
        }
        return n.asInt();
    }

    Integer optionalInt(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isArray() && n.size() >= 1 && n.get(0).isInt()) {
            return n.get(0).asInt(); // some configs store pad/bos as a one-element list
        }
        if (!n.isIntegralNumber()) {
            throw new BadInputException(file + ": " + prefix + key + " must be an integer or null, found " + n);
        }
        return n.asInt();
    }

    double positiveDouble(String key, Double fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new BadInputException(file + ": missing field " + prefix + key + " (a positive number)");
            }
            return fallback;
        }
        if (!n.isNumber() || !(n.asDouble() > 0)) {
            throw new BadInputException(file + ": " + prefix + key + " must be a positive number, found " + n);
        }
        return n.asDouble();
    }

    boolean bool(String key, boolean fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new BadInputException(file + ": " + prefix + key + " must be true or false, found " + n);
        }
        return n.asBoolean();
    }
}
