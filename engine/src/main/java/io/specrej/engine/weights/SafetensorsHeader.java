package io.specrej.engine.weights;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file, checked for structure only (types, signs, known dtypes). Checks that need
 * the file size (bounds, overlaps) are {@link SafetensorsFile}'s job.
 */
record SafetensorsHeader(List<Entry> entries, Map<String, String> metadata) {
    /** One tensor entry; offsets are relative to the start of the data region. */
    record Entry(String name, String dtypeName, int elementSize, long[] shape, long begin, long end) {
    }

    static final String METADATA_KEY = "__metadata__";
    /** Real checkpoints hold a few hundred to a few thousand tensors per file. */
    static final int MAX_TENSORS = 100_000;
    /** Values of all kinds: a tensor takes about 15 (name, dtype, a shape of up to 8 dimensions, two offsets). */
    static final long MAX_VALUES = 40L * MAX_TENSORS;

    // Duplicate names would silently shadow each other (last one wins) without strict detection.
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static SafetensorsHeader parse(Path file, ByteBuffer headerBytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file + ": safetensors header is not valid UTF-8 (" + e.getMessage()
                    + "), expected a UTF-8 JSON object");
        }
        checkTensorCount(file, text);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": safetensors header is not valid JSON ("
                    + e.getOriginalMessage() + "), expected a JSON object", e);
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": safetensors header is a JSON " + kind(root)
                    + ", expected a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(readEntry(file, field.getKey(), field.getValue()));
            }
        }
        return new SafetensorsHeader(entries, metadata);
    }

    /**
     * Counts the header's entries and JSON values with a streaming pass before the tree is built: an 86 MB header of
     * 1.45 million empty tensors, or of one shape with millions of dimensions, is within the byte limit but would take
     * gigabytes as a JSON tree.
     */
    private static void checkTensorCount(Path file, String text) {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return; // not an object: the tree parse below says so
            }
            int entries = 0;
            long values = 0;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME && p.getParsingContext().getParent().inRoot()
                        && ++entries > MAX_TENSORS + 1) { // + __metadata__
                    throw new BadInputException(file + ": safetensors header lists more than " + MAX_TENSORS
                            + " tensors, expected at most that many per file (corrupt header?)");
                }
                if (++values > MAX_VALUES) {
                    throw new BadInputException(file + ": safetensors header holds more than " + MAX_VALUES
                            + " JSON values, expected names, dtypes, shapes and offsets of at most " + MAX_TENSORS
                            + " tensors (corrupt header?)");
                }
            }
        } catch (IOException e) {
            // malformed JSON: the tree parse below reports it with its position
        }
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new BadInputException(file + ": " + METADATA_KEY + " is a JSON " + kind(node)
                    + ", expected an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            // The format says string values; tolerate numbers etc. rather than refuse an otherwise fine checkpoint.
            JsonNode v = e.getValue();
            out.put(e.getKey(), v.isTextual() ? v.textValue() : v.toString());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node) {
        String where = file + ": tensor " + name;
        if (!node.isObject()) {
            throw new BadInputException(where + " is a JSON " + kind(node)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = required(where, node, "dtype");
        if (!dtypeNode.isTextual()) {
            throw new BadInputException(where + ": dtype is a JSON " + kind(dtypeNode) + ", expected a string");
        }
        String dtypeName = dtypeNode.textValue();
        int elementSize = StorageTypes.elementSize(dtypeName);
        if (elementSize < 0) {
            throw new BadInputException(where + " has unknown dtype \"" + dtypeName + "\", expected one of "
                    + StorageTypes.KNOWN);
        }
        long[] shape = longArray(where, "shape", required(where, node, "shape"), -1);
        long[] offsets = longArray(where, "data_offsets", required(where, node, "data_offsets"), 2);
        return new Entry(name, dtypeName, elementSize, shape, offsets[0], offsets[1]);
    }

    private static JsonNode required(String where, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null) {
            throw new BadInputException(where + " has no \"" + field + "\", expected dtype, shape and data_offsets");
        }
        return v;
    }

    /** A JSON array of non-negative integers; {@code length} -1 means any length. */
    private static long[] longArray(String where, String field, JsonNode node, int length) {
        String expected = length < 0 ? "an array of non-negative integers"
                : "an array of " + length + " non-negative integers";
        if (!node.isArray()) {
            throw new BadInputException(where + ": " + field + " is a JSON " + kind(node) + ", expected " + expected);
        }
        if (length >= 0 && node.size() != length) {
            throw new BadInputException(where + ": " + field + " has " + node.size() + " elements " + node
                    + ", expected " + expected);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new BadInputException(where + ": " + field + " is " + node + ", expected " + expected);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + abbreviate(node.toString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
