package io.specrej.engine.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import io.specrej.engine.tensor.DType;
import io.specrej.engine.tensor.WeightMatrix;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWeightsTest {
    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private static String assertBad(Executable action, String... fragments) {
        BadInputException e = assertThrows(BadInputException.class, action);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain '" + f + "': " + e.getMessage());
        }
        return e.getMessage();
    }

    @Test
    void opensTheLlamaFixture() throws Exception {
        Path llama = TestData.fixtureModel("llama");
        try (CheckpointWeights w = CheckpointWeights.open(llama)) {
            assertEquals(llama, w.directory());
            assertEquals(21, w.names().size());
            assertTrue(w.contains("lm_head.weight"));
            assertFalse(w.contains("model.layers.2.mlp.up_proj.weight"));
            long dataBytes = 0;
            for (String n : w.names()) {
                dataBytes += w.tensor(n).elementCount() * 4;
            }
            assertEquals(dataBytes, w.totalBytes());
            // save_pretrained packs tensors back to back, so their bytes are the file minus length and header.
            Path file = llama.resolve("model.safetensors");
            long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8)
                    .order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(Files.size(file) - 8 - headerLength, w.totalBytes());
        }
    }

    @Test
    void matrixIsAZeroCopyViewWithTheFileValues() throws Exception {
        Path llama = TestData.fixtureModel("llama");
        String name = "model.layers.0.mlp.up_proj.weight";
        float[] expected = RawSafetensors.f32(llama.resolve("model.safetensors"), name);
        try (CheckpointWeights w = CheckpointWeights.open(llama)) {
            WeightMatrix m = w.matrix(name, 128, 64);
            assertEquals(DType.F32, m.dtype());
            assertEquals(w.tensor(name).data().address(), m.data().address(), "must not copy");
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], m.data().getAtIndex(F32_LE, i), "element " + i);
            }
        }
    }

    @Test
    void bf16MatrixKeepsItsDtype() {
        try (CheckpointWeights w = CheckpointWeights.open(TestData.fixtureModel("llama-bf16"))) {
            WeightMatrix m = w.matrix("model.embed_tokens.weight", 448, 64);
            assertEquals(DType.BF16, m.dtype());
            assertEquals(448L * 64 * 2, m.byteSize());
        }
    }

    @Test
    void matrixWithTheWrongShapeSaysWhatItFound() {
        Path llama = TestData.fixtureModel("llama");
        try (CheckpointWeights w = CheckpointWeights.open(llama)) {
            assertBad(() -> w.matrix("model.layers.0.mlp.up_proj.weight", 128, 96), llama.toString(),
                    "tensor model.layers.0.mlp.up_proj.weight has shape [128, 64], expected [128, 96] from config.json");
            assertBad(() -> w.matrix("model.norm.weight", 64, 1), "has shape [64], expected [64, 1]");
        }
    }

    @Test
    void matrixWithADtypeWeCannotComputeIn() throws Exception {
        RawSafetensors.write(dir.resolve("model.safetensors"),
                "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2,3],\"data_offsets\":[0,48]}}", new byte[48]);
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            assertBad(() -> w.matrix("ids", 2, 3), dir.toString(),
                    "tensor ids has dtype I64, expected F32, BF16 or F16");
            assertBad(() -> w.floats("ids", 6), "has dtype I64");
        }
    }

    @Test
    void missingTensorNamesTheDirectoryAndTheTensor() {
        Path llama = TestData.fixtureModel("llama");
        try (CheckpointWeights w = CheckpointWeights.open(llama)) {
            assertBad(() -> w.tensor("model.layers.7.mlp.up_proj.weight"), llama.toString(),
                    "tensor model.layers.7.mlp.up_proj.weight not found");
            assertBad(() -> w.matrix("nope", 1, 1), "tensor nope not found");
        }
    }

    @Test
    void vectorAndFloatsDecodeF32AndBf16() throws Exception {
        Path llama = TestData.fixtureModel("llama");
        float[] expected = RawSafetensors.f32(llama.resolve("model.safetensors"), "model.norm.weight");
        short[] bf16 = RawSafetensors.bits16(
                TestData.fixtureModel("llama-bf16").resolve("model.safetensors"), "model.norm.weight");
        try (CheckpointWeights w = CheckpointWeights.open(llama);
                CheckpointWeights b = CheckpointWeights.open(TestData.fixtureModel("llama-bf16"))) {
            assertArrayEquals(expected, w.vector("model.norm.weight", 64));
            float[] widened = b.vector("model.norm.weight", 64);
            for (int i = 0; i < 64; i++) {
                assertEquals(Float.intBitsToFloat((bf16[i] & 0xFFFF) << 16), widened[i]);
                assertEquals(expected[i], widened[i], Math.abs(expected[i]) / 128, "bf16 keeps 8 bits");
            }
            assertBad(() -> w.vector("model.norm.weight", 65), "has shape [64], expected [65]");
        }
    }

    @Test
    void floatsAcceptsAnyShapeButVectorOnlyOneDimension() throws Exception {
        Path rm = TestData.fixtureModel("llama-rm");
        float[] expected = RawSafetensors.f32(rm.resolve("model.safetensors"), "score.weight");
        try (CheckpointWeights w = CheckpointWeights.open(rm)) {
            assertArrayEquals(expected, w.floats("score.weight", 64));
            assertBad(() -> w.vector("score.weight", 64), "tensor score.weight has shape [1, 64], expected [64]");
            assertBad(() -> w.floats("score.weight", 128), "[1, 64] (64 elements), expected 128 elements");
        }
    }

    @Test
    void matrixTransposedF32MatchesElementByElement() throws Exception {
        Path gpt2 = TestData.fixtureModel("gpt2");
        String name = "transformer.h.0.attn.c_attn.weight"; // stored [in 64, out 192]
        float[] stored = RawSafetensors.f32(gpt2.resolve("model.safetensors"), name);
        try (CheckpointWeights w = CheckpointWeights.open(gpt2)) {
            WeightMatrix m = w.matrixTransposed(name, 192, 64);
            assertEquals(DType.F32, m.dtype());
            for (int r = 0; r < 192; r++) {
                for (int c = 0; c < 64; c++) {
                    assertEquals(stored[c * 192 + r], m.data().getAtIndex(F32_LE, r * 64L + c), r + "," + c);
                }
            }
            assertBad(() -> w.matrixTransposed(name, 64, 192), gpt2.toString(),
                    "has shape [64, 192], expected [192, 64] from config.json (stored transposed as [in, out])");
        }
    }

    @Test
    void matrixTransposedBf16AcrossTileEdgesAndInParallel() throws Exception {
        // 130 x 70 crosses partial 64-wide tiles; 1030 x 1100 is large enough for the parallel path.
        SafetensorsWriter.write(dir.resolve("model.safetensors"),
                List.of(SafetensorsWriterTest.bf16("small", 130, 70), SafetensorsWriterTest.bf16("big", 1030, 1100),
                        SafetensorsWriterTest.f16("half", 3, 2)),
                Map.of());
        for (String name : List.of("small", "big", "half")) {
            short[] stored = RawSafetensors.bits16(dir.resolve("model.safetensors"), name);
            try (CheckpointWeights w = CheckpointWeights.open(dir)) {
                long[] shape = w.tensor(name).shape();
                int in = (int) shape[0];
                int out = (int) shape[1];
                WeightMatrix m = w.matrixTransposed(name, out, in);
                assertEquals(w.tensor(name).dtype(), m.dtype(), "no widening");
                assertEquals((long) in * out * 2, m.byteSize());
                ValueLayout.OfShort s = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (int r = 0; r < out; r++) {
                    for (int c = 0; c < in; c++) {
                        if (stored[c * out + r] != m.data().getAtIndex(s, (long) r * in + c)) {
                            assertEquals(stored[c * out + r], m.data().getAtIndex(s, (long) r * in + c),
                                    name + " " + r + "," + c);
                        }
                    }
                }
            }
        }
    }

    @Test
    void shardedCheckpointThroughTheIndex() throws Exception {
        String s1 = "model-00001-of-00002.safetensors";
        String s2 = "model-00002-of-00002.safetensors";
        SafetensorsWriter.write(dir.resolve(s1),
                List.of(SafetensorsWriterTest.f32("a", 4, 3), SafetensorsWriterTest.bf16("b", 5)), Map.of());
        SafetensorsWriter.write(dir.resolve(s2), List.of(SafetensorsWriterTest.f16("c", 2, 2)), Map.of());
        SafetensorsWriter.writeIndex(dir, Map.of("a", s1, "b", s1, "c", s2), 48 + 10 + 8);
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            assertEquals(Set.of("a", "b", "c"), w.names());
            assertEquals(48 + 10 + 8, w.totalBytes());
            assertEquals(dir.resolve(s2), w.tensor("c").file());
            assertEquals(SafetensorsWriterTest.value(11), w.matrix("a", 4, 3).data().getAtIndex(F32_LE, 11));
            assertEquals(SafetensorsWriterTest.value(4), w.vector("b", 5)[4]);
            assertEquals(SafetensorsWriterTest.value(3), w.floats("c", 4)[3]);
        }
    }

    @Test
    void missingShard() throws Exception {
        SafetensorsWriter.write(dir.resolve("s1.safetensors"), List.of(SafetensorsWriterTest.f32("a", 1)), Map.of());
        SafetensorsWriter.writeIndex(dir, Map.of("a", "s1.safetensors", "z", "s2.safetensors"), 8);
        assertBad(() -> CheckpointWeights.open(dir), "model.safetensors.index.json",
                "shard s2.safetensors (holding z) is missing", dir.resolve("s2.safetensors").toString());
    }

    @Test
    void tensorListedInTheMapButAbsentFromItsShard() throws Exception {
        SafetensorsWriter.write(dir.resolve("s1.safetensors"), List.of(SafetensorsWriterTest.f32("a", 1)), Map.of());
        SafetensorsWriter.writeIndex(dir, Map.of("a", "s1.safetensors", "ghost", "s1.safetensors"), 8);
        assertBad(() -> CheckpointWeights.open(dir), "model.safetensors.index.json",
                "tensor ghost is mapped to s1.safetensors, but no shard has it");
    }

    @Test
    void sameTensorInTwoShards() throws Exception {
        SafetensorsWriter.write(dir.resolve("s1.safetensors"), List.of(SafetensorsWriterTest.f32("a", 1)), Map.of());
        SafetensorsWriter.write(dir.resolve("s2.safetensors"),
                List.of(SafetensorsWriterTest.f32("a", 1), SafetensorsWriterTest.f32("b", 1)), Map.of());
        SafetensorsWriter.writeIndex(dir, Map.of("a", "s1.safetensors", "b", "s2.safetensors"), 8);
        assertBad(() -> CheckpointWeights.open(dir), dir.toString(),
                "tensor a occurs in both s1.safetensors and s2.safetensors");
    }

    @Test
    void shardNameThatEscapesTheDirectory() throws Exception {
        SafetensorsWriter.writeIndex(dir, Map.of("a", "../elsewhere.safetensors"), 8);
        assertBad(() -> CheckpointWeights.open(dir), "maps a to \"../elsewhere.safetensors\"",
                "expected a file name in the same directory");
    }

    @Test
    void directoryWithoutAnyCheckpoint() throws Exception {
        assertBad(() -> CheckpointWeights.open(dir), dir.toString(),
                "neither model.safetensors nor model.safetensors.index.json found");
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {0});
        assertBad(() -> CheckpointWeights.open(dir),
                "PyTorch .bin checkpoints are not supported; convert to safetensors");
        assertBad(() -> CheckpointWeights.open(dir.resolve("pytorch_model.bin")), "not a directory");
    }

    @Test
    void corruptSingleFileIsReportedByOpen() throws Exception {
        RawSafetensors.write(dir.resolve("model.safetensors"), "not json at all", new byte[0]);
        assertBad(() -> CheckpointWeights.open(dir), dir.resolve("model.safetensors").toString(), "not valid JSON");
    }

    @Test
    void closeIsIdempotentAndInvalidatesEverything() throws Exception {
        CheckpointWeights w = CheckpointWeights.open(TestData.fixtureModel("gpt2"));
        WeightMatrix mapped = w.matrix("transformer.wte.weight", 448, 64);
        WeightMatrix copied = w.matrixTransposed("transformer.h.0.mlp.c_fc.weight", 128, 64);
        w.close();
        assertDoesNotThrow(w::close);
        assertThrows(IllegalStateException.class, () -> mapped.data().get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> copied.data().get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> w.tensor("transformer.wte.weight"));
    }
}
