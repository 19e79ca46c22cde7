package io.specrej.engine.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes safetensors checkpoints that both {@link SafetensorsFile} and Hugging Face {@code safetensors} read.
 *
 * <p>Tensor data is produced by a {@link TensorFiller} one chunk (at most {@value #CHUNK_BYTES} bytes) at a time and
 * streamed to disk, so a multi-GiB checkpoint never sits in memory.
 */
public final class SafetensorsWriter {
    static final int CHUNK_BYTES = 4 << 20;

    /** One tensor to write: its name, element type, shape and the source of its elements. */
    public record TensorSpec(String name, DType dtype, long[] shape, TensorFiller filler) {
        public TensorSpec {
            shape = shape.clone();
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
                }
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** Produces tensor elements chunk by chunk. */
    @FunctionalInterface
    public interface TensorFiller {
        /**
         * Fills {@code chunk} (little-endian, position 0, {@code remaining()} a multiple of the element size) with
         * consecutive elements starting at element index {@code firstElement}, using relative puts until it has no
         * remaining bytes.
         */
        void fill(ByteBuffer chunk, long firstElement);
    }

    private SafetensorsWriter() {
    }

    /** Writes {@code tensors} (sorted by name) to {@code file}, with {@code "format": "pt"} plus {@code metadata}. */
    public static void write(Path file, List<TensorSpec> tensors, Map<String, String> metadata) throws IOException {
        List<TensorSpec> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(TensorSpec::name));
        Set<String> seen = new HashSet<>();
        for (TensorSpec t : sorted) {
            if (!seen.add(t.name()) || t.name().equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name " + t.name() + " is duplicated or reserved");
            }
        }
        byte[] header = header(sorted, metadata);
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(out, prefix);
            writeFully(out, ByteBuffer.wrap(header));
            for (TensorSpec t : sorted) {
                writeData(out, t, chunk);
            }
        }
    }

    private static byte[] header(List<TensorSpec> sorted, Map<String, String> metadata) throws JsonProcessingException {
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
        meta.put("format", "pt");
        new TreeMap<>(metadata).forEach(meta::put);
        long offset = 0;
        for (TensorSpec t : sorted) {
            long bytes = Math.multiplyExact(t.elementCount(), t.dtype().bytes());
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = SafetensorsHeader.JSON.writeValueAsBytes(root);
        // Padding keeps the data region 8-byte aligned, so mapped F32/BF16 tensors are aligned too.
        int padded = (json.length + 7) & ~7;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void writeData(FileChannel out, TensorSpec t, ByteBuffer chunk) throws IOException {
        int size = t.dtype().bytes();
        long total = t.elementCount();
        long perChunk = CHUNK_BYTES / size;
        for (long first = 0; first < total; first += perChunk) {
            int n = (int) Math.min(perChunk, total - first);
            chunk.clear().limit(n * size);
            t.filler().fill(chunk, first);
            if (chunk.position() != n * size) {
                throw new IllegalStateException(t.name() + ": filler wrote " + chunk.position() + " bytes at element "
                        + first + ", expected " + (n * size));
            }
            writeFully(out, chunk.flip());
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    /** Writes {@code model.safetensors.index.json} into {@code dir}; {@code totalSize} is the sum of tensor bytes. */
    public static void writeIndex(Path dir, Map<String, String> weightMap, long totalSize) throws IOException {
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        new TreeMap<>(weightMap).forEach(map::put);
        Files.write(dir.resolve(ShardIndex.FILE_NAME),
                SafetensorsHeader.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
}
