package io.specrej.app.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The server's one JSON mapper, and strict reading of request fields with 400s that name the field. */
final class Jsons {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Jsons() {
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("writing JSON", e);
        }
    }

    /** The body as a JSON object, or a 400 saying what is wrong with it. */
    static JsonNode parseObject(String body) {
        if (body == null || body.isBlank()) {
            throw ApiError.badRequest("the request body is empty: send a JSON object");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest("the request body must be a JSON object");
        }
        return node;
    }

    /** A command-line JSON object, or a BadInputException naming the option. */
    static JsonNode parseObjectOrBad(String text, String option) {
        try {
            return parseObject(text);
        } catch (ApiError e) {
            throw new io.specrej.engine.BadInputException(option + ": " + e.getMessage());
        }
    }

    static boolean present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && !v.isNull();
    }

    static String string(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.badField(field, "'" + field + "' must be a string, got " + describe(v));
        }
        return v.asText();
    }

    static Double number(JsonNode body, String field, double min, double max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw ApiError.badField(field, "'" + field + "' must be a number, got " + describe(v));
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw ApiError.badField(field, "'" + field + "' must be in [" + plain(min) + ", " + plain(max)
                    + "], got " + v);
        }
        return d;
    }

    static Long integer(JsonNode body, String field, long min, long max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() && !(v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
            throw ApiError.badField(field, "'" + field + "' must be an integer, got " + describe(v));
        }
        if (!v.canConvertToLong()) {
            throw ApiError.badField(field, "'" + field + "' must be in [" + min + ", " + max + "], got " + v);
        }
        long n = v.asLong();
        if (n < min || n > max) {
            throw ApiError.badField(field, "'" + field + "' must be in [" + min + ", " + max + "], got " + n);
        }
        return n;
    }

    static Boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ApiError.badField(field, "'" + field + "' must be true or false, got " + describe(v));
        }
        return v.asBoolean();
    }

    static String describe(JsonNode v) {
        String text = v.toString();
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " "
                + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
    }

    private static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
