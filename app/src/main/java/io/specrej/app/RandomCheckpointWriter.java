package io.specrej.app;

import io.specrej.engine.model.ModelConfig;
import io.specrej.engine.model.TensorTable;
import io.specrej.engine.tensor.DType;
import io.specrej.engine.weights.SafetensorsWriter;
import io.specrej.engine.weights.SafetensorsWriter.TensorSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes random weights for a config as safetensors, streamed (nothing model-sized is ever in memory) and split the
 * way save_pretrained splits: one model.safetensors up to the shard limit, else model-0000i-of-0000n.safetensors
 * files of at most that size plus model.safetensors.index.json.
 */
final class RandomCheckpointWriter {
    /** transformers' default max_shard_size, "5GB" (decimal). */
    static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    record Summary(long parameters, long bytes, List<String> files) {
    }

    private RandomCheckpointWriter() {
    }

    static Summary write(Path dir, ModelConfig config, DType dtype, long seed, long shardBytes, PrintWriter progress)
            throws IOException {
        List<TensorTable.Entry> tensors = config.tensors();
        long parameters = parameters(tensors);
        long bytes = parameters * dtype.bytes();
        List<List<TensorTable.Entry>> shards = plan(tensors, dtype, shardBytes);
        List<String> files = new ArrayList<>();
        Map<String, String> weightMap = new HashMap<>();
        for (int s = 0; s < shards.size(); s++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            List<TensorSpec> specs = new ArrayList<>();
            for (TensorTable.Entry t : shards.get(s)) {
                specs.add(new TensorSpec(t.name(), dtype, t.shape(), RandomFill.filler(t, dtype, seed)));
                weightMap.put(t.name(), file);
            }
            if (progress != null && shards.size() > 1) {
                progress.println("writing " + dir.resolve(file) + " (" + (s + 1) + " of " + shards.size() + ")");
                progress.flush();
            }
            try {
                SafetensorsWriter.write(dir.resolve(file), specs, Map.of());
            } catch (IOException e) {
                // "No space left on device" alone does not say which file
                throw new FileSystemException(dir.resolve(file).toString(), null, String.valueOf(e.getMessage()));
            }
            files.add(file);
        }
        if (shards.size() > 1) {
            SafetensorsWriter.writeIndex(dir, weightMap, bytes);
            files.add("model.safetensors.index.json");
        }
        return new Summary(parameters, bytes, files);
    }

    /** Bytes of the weights of {@code config} in {@code dtype}, before anything is written. */
    static long weightBytes(ModelConfig config, DType dtype) {
        return parameters(config.tensors()) * dtype.bytes();
    }

    private static long parameters(List<TensorTable.Entry> tensors) {
        long parameters = 0;
        for (TensorTable.Entry t : tensors) {
            parameters += t.elements();
        }
        return parameters;
    }

    /**
     * Packs tensors, in name order, into shards of at most {@code shardBytes}; a tensor bigger than the limit gets a
     * shard of its own, as in transformers.
     */
    static List<List<TensorTable.Entry>> plan(List<TensorTable.Entry> tensors, DType dtype,
                                                    long shardBytes) {
        List<TensorTable.Entry> sorted = new ArrayList<>(tensors);
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        List<List<TensorTable.Entry>> shards = new ArrayList<>();
        List<TensorTable.Entry> current = new ArrayList<>();
        long currentBytes = 0;
        for (TensorTable.Entry t : sorted) {
            long size = t.elements() * dtype.bytes();
            if (!current.isEmpty() && currentBytes + size > shardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += size;
        }
        if (!current.isEmpty() || shards.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }
}
