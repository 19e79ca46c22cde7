package io.specrej.engine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.DType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19 items 6, 7 and 8: safetensors headers and indexes are bounded, weights' NaNs found. */
class HeaderLimitsTest {
    @TempDir
    Path tmp;

    private Path safetensors(String header, int dataBytes) throws IOException {
        return RawSafetensors.write(tmp.resolve("model.safetensors"), header, new byte[dataBytes]);
    }

    @Test
    void aHeaderOfMillionsOfEmptyTensorsIsRefusedBeforeTheTreeIsBuilt() throws IOException {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i <= SafetensorsHeader.MAX_TENSORS + 1; i++) {
            sb.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[0],")
                    .append("\"data_offsets\":[0,0]}");
        }
        Path file = safetensors(sb.append("}").toString(), 0);
        String m = assertThrows(BadInputException.class, () -> SafetensorsFile.open(file).close()).getMessage();
        assertTrue(m.contains("more than " + SafetensorsHeader.MAX_TENSORS + " tensors"), m);
    }

    @Test
    void aShapeOfMillionsOfDimensionsIsRefusedBeforeTheTreeIsBuilt() throws IOException {
        String zeros = ",0".repeat((int) SafetensorsHeader.MAX_VALUES);
        Path file = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[0" + zeros + "],\"data_offsets\":[0,0]}}", 0);
        String m = assertThrows(BadInputException.class, () -> SafetensorsFile.open(file).close()).getMessage();
        assertTrue(m.contains("more than " + SafetensorsHeader.MAX_VALUES + " JSON values"), m);
    }

    @Test
    void anOffsetNearTheLimitIsReportedWithoutANegativeByteCount() throws IOException {
        long end = Long.MAX_VALUE - 4; // dataStart + end overflows a signed long
        Path file = safetensors("{\"a\":{\"dtype\":\"U8\",\"shape\":[" + (end - 8) + "],\"data_offsets\":[8," + end
                + "]}}", 8);
        String m = assertThrows(BadInputException.class, () -> SafetensorsFile.open(file).close()).getMessage();
        assertTrue(m.contains("ends at byte " + end) && m.contains("needs at least 9223372036854775900"), m);
    }

    @Test
    void aShardNameWithANulByteIsABadIndexNotACrash() throws IOException {
        Path index = Files.writeString(tmp.resolve(ShardIndex.FILE_NAME),
                "{\"weight_map\": {\"w\": \"model-\\u0000.safetensors\"}}");
        String m = assertThrows(BadInputException.class, () -> ShardIndex.read(index)).getMessage();
        assertTrue(m.contains("invalid file name"), m);
    }

    @Test
    void anIndexThatIsADeviceIsRefused() throws IOException {
        Path index = Files.createSymbolicLink(tmp.resolve(ShardIndex.FILE_NAME), Path.of("/dev/zero"));
        String m = assertThrows(BadInputException.class, () -> ShardIndex.read(index)).getMessage();
        assertTrue(m.contains("not a regular file"), m);
    }

    @Test
    void nonFiniteValuesAreFoundInEveryDtypeAndPosition() {
        try (Arena arena = Arena.ofShared()) {
            int n = 300_001; // not a multiple of 4: the four-at-a-time loop and the tail both run
            MemorySegment f32 = arena.allocate(4L * n);
            MemorySegment bf16 = arena.allocate(2L * n);
            MemorySegment f16 = arena.allocate(2L * n);
            assertEquals(-1, FiniteWeights.firstNonFinite(f32, DType.F32, n));
            assertEquals(-1, FiniteWeights.firstNonFinite(bf16, DType.BF16, n));
            for (long at : new long[] {0, 1, 2, 3, 77_777, n - 1}) {
                f32.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, at, Float.NEGATIVE_INFINITY);
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) 0x7FC0); // bf16 NaN
                f16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) 0x7C00); // f16 +inf
                assertEquals(at, FiniteWeights.firstNonFinite(f32, DType.F32, n));
                assertEquals(at, FiniteWeights.firstNonFinite(bf16, DType.BF16, n));
                assertEquals(at, FiniteWeights.firstNonFinite(f16, DType.F16, n));
                f32.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, at, 65504f);
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) 0x7F7F); // bf16 max
                f16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) 0x7BFF); // f16 max
            }
            assertEquals(-1, FiniteWeights.firstNonFinite(f16, DType.F16, n));
            assertFalse(FiniteWeights.firstNonFinite(bf16, DType.BF16, n) >= 0);
        }
    }
}
