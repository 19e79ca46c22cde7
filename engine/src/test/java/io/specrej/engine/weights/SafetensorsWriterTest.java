package io.specrej.engine.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.tensor.DType;
import io.specrej.engine.weights.SafetensorsWriter.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's files must read back exactly, and follow the layout Hugging Face's safetensors expects. */
class SafetensorsWriterTest {
    @TempDir
    Path dir;

    /** A value that differs for every element and is exactly representable in F16 and BF16 for small i. */
    static float value(long i) {
        return (i % 251 - 125) * 0.25f;
    }

    static TensorSpec f32(String name, long... shape) {
        return new TensorSpec(name, DType.F32, shape, (chunk, first) -> {
            for (long i = first; chunk.hasRemaining(); i++) {
                chunk.putFloat(value(i));
            }
        });
    }

    static TensorSpec bf16(String name, long... shape) {
        return new TensorSpec(name, DType.BF16, shape, (chunk, first) -> {
            for (long i = first; chunk.hasRemaining(); i++) {
                chunk.putShort((short) (Float.floatToRawIntBits(value(i)) >>> 16));
            }
        });
    }

    static TensorSpec f16(String name, long... shape) {
        return new TensorSpec(name, DType.F16, shape, (chunk, first) -> {
            for (long i = first; chunk.hasRemaining(); i++) {
                chunk.putShort(Float.floatToFloat16(value(i)));
            }
        });
    }

    private static void assertValues(float[] got) {
        for (int i = 0; i < got.length; i++) {
            assertEquals(value(i), got[i], "element " + i);
        }
    }

    @Test
    void f32RoundTrip() throws Exception {
        SafetensorsWriter.write(dir.resolve("model.safetensors"), List.of(f32("w", 3, 5)), Map.of());
        assertValues(RawSafetensors.f32(dir.resolve("model.safetensors"), "w"));
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            assertValues(w.floats("w", 15));
            assertEquals(DType.F32, w.matrix("w", 3, 5).dtype());
        }
    }

    @Test
    void bf16RoundTrip() throws Exception {
        SafetensorsWriter.write(dir.resolve("model.safetensors"), List.of(bf16("b", 40)), Map.of());
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            assertEquals(DType.BF16, w.tensor("b").dtype());
            assertEquals(80, w.tensor("b").byteSize());
            assertValues(w.vector("b", 40));
        }
    }

    @Test
    void f16RoundTrip() throws Exception {
        SafetensorsWriter.write(dir.resolve("model.safetensors"), List.of(f16("h", 2, 300)), Map.of());
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            assertEquals(DType.F16, w.tensor("h").dtype());
            assertValues(w.floats("h", 600));
            short[] bits = RawSafetensors.bits16(dir.resolve("model.safetensors"), "h");
            assertEquals(Float.floatToFloat16(value(299)), bits[299]);
        }
    }

    @Test
    void multiTensorFileIsSortedContiguousPaddedAndCarriesMetadata() throws Exception {
        Path file = dir.resolve("multi.safetensors");
        SafetensorsWriter.write(file, List.of(f32("zeta", 7), bf16("alpha", 3, 3), f16("mid", 1), f32("empty", 0, 4)),
                Map.of("producer", "test"));
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLength % 8, "header must be padded to a multiple of 8");
        assertEquals(' ', (char) bytes[(int) (8 + headerLength - 1)], "padding is spaces");

        JsonNode header = RawSafetensors.header(file);
        Iterator<String> keys = header.fieldNames();
        List<String> order = new ArrayList<>();
        keys.forEachRemaining(order::add);
        assertEquals(List.of("__metadata__", "alpha", "empty", "mid", "zeta"), order);
        assertEquals("pt", header.get("__metadata__").get("format").asText());
        assertEquals("test", header.get("__metadata__").get("producer").asText());
        long expectedBegin = 0;
        for (String name : order.subList(1, order.size())) {
            JsonNode offsets = header.get(name).get("data_offsets");
            assertEquals(expectedBegin, offsets.get(0).asLong(), name + " must start where the previous ended");
            expectedBegin = offsets.get(1).asLong();
        }
        assertEquals(bytes.length, 8 + headerLength + expectedBegin, "no bytes beyond the last tensor");

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("alpha", "empty", "mid", "zeta"), new ArrayList<>(f.tensors().keySet()));
            assertArrayEquals(new long[] {3, 3}, f.tensors().get("alpha").shape());
            assertEquals("test", f.metadata().get("producer"));
            // Padding makes the data region, and so the first tensor of a page-aligned mapping, 8-byte aligned.
            assertEquals(0, f.tensors().get("alpha").data().address() % 8);
        }
    }

    @Test
    void largeTensorIsStreamedInChunksOfAtMost4MiB() throws Exception {
        long elements = 2_500_000; // 10 MB of F32: three chunks
        List<Integer> chunkSizes = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        TensorSpec big = new TensorSpec("big", DType.F32, new long[] {elements}, (chunk, first) -> {
            chunkSizes.add(chunk.remaining());
            starts.add(first);
            assertEquals(ByteOrder.LITTLE_ENDIAN, chunk.order());
            for (long i = first; chunk.hasRemaining(); i++) {
                chunk.putFloat(i);
            }
        });
        Path file = dir.resolve("big.safetensors");
        SafetensorsWriter.write(file, List.of(big), Map.of());
        assertEquals(List.of(4 << 20, 4 << 20, (int) (elements * 4 - (8 << 20))), chunkSizes);
        assertEquals(List.of(0L, (long) (1 << 20), (long) (2 << 20)), starts);
        float[] back = RawSafetensors.f32(file, "big");
        for (int i = 0; i < back.length; i++) {
            assertEquals((float) i, back[i], "element " + i);
        }
    }

    @Test
    void fillerThatLeavesBytesUnwrittenIsRejected() {
        TensorSpec lazy = new TensorSpec("lazy", DType.F32, new long[] {4}, (chunk, first) -> chunk.putFloat(1f));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SafetensorsWriter.write(dir.resolve("x.safetensors"), List.of(lazy), Map.of()));
        assertTrue(e.getMessage().contains("lazy: filler wrote 4 bytes at element 0, expected 16"), e.getMessage());
    }

    @Test
    void duplicateNamesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(dir.resolve("d.safetensors"), List.of(f32("a", 1), f32("a", 2)),
                        Map.of()));
    }

    @Test
    void indexFileListsWeightMapAndTotalSize() throws Exception {
        SafetensorsWriter.writeIndex(dir, Map.of("b", "s2.safetensors", "a", "s1.safetensors"), 1234);
        JsonNode index = RawSafetensors.JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertEquals(1234, index.get("metadata").get("total_size").asLong());
        assertEquals("s1.safetensors", index.get("weight_map").get("a").asText());
        assertEquals("s2.safetensors", index.get("weight_map").get("b").asText());
    }
}
