package io.specrej.engine.weights;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code model.safetensors.index.json}: which shard file holds which tensor. */
record ShardIndex(Path indexFile, Map<String, String> weightMap, List<String> shards) {
    static final String FILE_NAME = "model.safetensors.index.json";

    static ShardIndex read(Path indexFile) {
        JsonNode root;
        try {
            root = SafetensorsHeader.JSON.readTree(BoundedFiles.readBytes(indexFile, BoundedFiles.CONFIG_BYTES,
                    "a safetensors index (JSON)"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadInputException(indexFile + ": not valid JSON (" + e.getOriginalMessage()
                    + "), expected {\"metadata\": ..., \"weight_map\": {...}}", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + indexFile, e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new BadInputException(indexFile + ": weight_map is " + (map == null ? "missing" : map.getNodeType())
                    + ", expected an object mapping tensor names to shard files");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        List<String> shards = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual()) {
                throw new BadInputException(indexFile + ": weight_map entry for " + e.getKey() + " is " + v
                        + ", expected a shard file name");
            }
            String shard = v.textValue();
            checkPlainName(indexFile, e.getKey(), shard);
            weightMap.put(e.getKey(), shard);
            if (!shards.contains(shard)) {
                shards.add(shard);
            }
        }
        if (weightMap.isEmpty()) {
            throw new BadInputException(indexFile + ": weight_map is empty, expected at least one tensor");
        }
        return new ShardIndex(indexFile, weightMap, List.copyOf(shards));
    }

    // A shard name like "../../x" would let a downloaded index make us map arbitrary files.
    private static void checkPlainName(Path indexFile, String tensor, String shard) {
        Path p;
        try {
            p = Path.of(shard);
        } catch (InvalidPathException e) {
            throw new BadInputException(indexFile + ": weight_map maps " + tensor + " to an invalid file name ("
                    + e.getReason() + "), expected a file name in the same directory");
        }
        if (shard.isEmpty() || p.isAbsolute() || p.getNameCount() != 1 || shard.equals("..") || shard.equals(".")) {
            throw new BadInputException(indexFile + ": weight_map maps " + tensor + " to \"" + shard
                    + "\", expected a file name in the same directory");
        }
    }
}
