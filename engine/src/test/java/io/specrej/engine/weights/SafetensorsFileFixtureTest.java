package io.specrej.engine.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.TestData;
import io.specrej.engine.tensor.DType;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reads the checked-in Hugging Face fixtures (written by torch's save_pretrained). */
class SafetensorsFileFixtureTest {
    private static Path llamaFile(String model) {
        return TestData.fixtureModel(model).resolve("model.safetensors");
    }

    @Test
    void llamaHeaderNamesShapesAndDtypes() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(llamaFile("llama"))) {
            Map<String, TensorInfo> t = f.tensors();
            assertEquals(21, t.size()); // embed, lm_head, final norm, 2 layers x 9
            TensorInfo embed = t.get("model.embed_tokens.weight");
            assertArrayEquals(new long[] {448, 64}, embed.shape());
            assertEquals("[448, 64]", embed.shapeString());
            assertEquals(448L * 64, embed.elementCount());
            assertEquals(DType.F32, embed.dtype());
            assertEquals("F32", embed.dtypeName());
            assertEquals(448L * 64 * 4, embed.byteSize());
            assertEquals(llamaFile("llama"), embed.file());
            assertArrayEquals(new long[] {128, 64}, t.get("model.layers.0.mlp.up_proj.weight").shape());
            assertArrayEquals(new long[] {64, 128}, t.get("model.layers.1.mlp.down_proj.weight").shape());
            assertArrayEquals(new long[] {32, 64}, t.get("model.layers.1.self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[] {64}, t.get("model.norm.weight").shape());
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertTrue(embed.data().isMapped(), "tensor data must be a slice of the mapping, not a copy");
        }
    }

    @Test
    void tensorsAreOrderedByName() {
        try (SafetensorsFile f = SafetensorsFile.open(llamaFile("qwen2"))) {
            List<String> names = new ArrayList<>(f.tensors().keySet());
            List<String> sorted = new ArrayList<>(names);
            sorted.sort(null);
            assertEquals(sorted, names);
            assertTrue(names.contains("model.layers.0.self_attn.q_proj.bias"));
        }
    }

    @Test
    void llamaBf16HasTheSameTensorsInBf16() {
        try (SafetensorsFile f32 = SafetensorsFile.open(llamaFile("llama"));
                SafetensorsFile bf16 = SafetensorsFile.open(llamaFile("llama-bf16"))) {
            assertEquals(f32.tensors().keySet(), bf16.tensors().keySet());
            for (TensorInfo t : bf16.tensors().values()) {
                assertEquals(DType.BF16, t.dtype(), t.name());
                assertArrayEquals(f32.tensors().get(t.name()).shape(), t.shape(), t.name());
                assertEquals(t.elementCount() * 2, t.byteSize(), t.name());
            }
        }
    }

    @Test
    void everyF32ElementMatchesTheBytesParsedByHand() throws Exception {
        Path file = llamaFile("llama");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : List.of("model.embed_tokens.weight", "model.layers.1.self_attn.o_proj.weight",
                    "model.norm.weight")) {
                float[] expected = RawSafetensors.f32(file, name);
                TensorInfo t = f.tensors().get(name);
                assertEquals(expected.length, t.elementCount());
                for (int i = 0; i < expected.length; i++) {
                    float got = t.data().getAtIndex(
                            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got), name + "[" + i + "]");
                }
            }
        }
    }

    /** The bf16 fixture is the f32 one rounded to nearest-even; recompute that rounding independently. */
    @Test
    void bf16FixtureIsTheF32FixtureRoundedToNearestEven() throws Exception {
        Path f32File = llamaFile("llama");
        Path bf16File = llamaFile("llama-bf16");
        for (String name : List.of("model.embed_tokens.weight", "model.layers.0.mlp.gate_proj.weight")) {
            float[] f32 = RawSafetensors.f32(f32File, name);
            short[] bf16 = RawSafetensors.bits16(bf16File, name);
            for (int i = 0; i < f32.length; i++) {
                int bits = Float.floatToRawIntBits(f32[i]);
                int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
                assertEquals(rounded, bf16[i] & 0xFFFF, name + "[" + i + "]");
            }
        }
    }

    @Test
    void gpt2StoresConv1dWeightsAsInOut() {
        try (SafetensorsFile f = SafetensorsFile.open(TestData.fixtureModel("gpt2").resolve("model.safetensors"))) {
            assertArrayEquals(new long[] {64, 192}, f.tensors().get("transformer.h.0.attn.c_attn.weight").shape());
            assertArrayEquals(new long[] {192}, f.tensors().get("transformer.h.0.attn.c_attn.bias").shape());
            assertArrayEquals(new long[] {448, 64}, f.tensors().get("transformer.wte.weight").shape());
            assertNull(f.tensors().get("lm_head.weight"), "gpt2 ties lm_head to wte and does not store it");
        }
    }

    @Test
    void tensorDataIsUnusableAfterClose() throws Exception {
        SafetensorsFile f = SafetensorsFile.open(llamaFile("llama"));
        TensorInfo t = f.tensors().get("model.norm.weight");
        f.close();
        f.close(); // idempotent
        assertThrows(IllegalStateException.class,
                () -> t.data().get(ValueLayout.JAVA_BYTE, 0));
        assertTrue(Files.exists(t.file()));
    }
}
