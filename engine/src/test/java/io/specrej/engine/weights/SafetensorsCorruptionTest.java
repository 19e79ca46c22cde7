package io.specrej.engine.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each defect a safetensors file can have must be reported, naming the file, the tensor, found and expected. */
class SafetensorsCorruptionTest {
    @TempDir
    Path dir;

    private static void assertBad(Path file, String... fragments) {
        BadInputException e = assertThrows(BadInputException.class, () -> SafetensorsFile.open(file).close());
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()), "message should name the file: " + msg);
        for (String f : fragments) {
            assertTrue(msg.contains(f), "message should contain '" + f + "': " + msg);
        }
        assertEquals(-1, msg.indexOf('\n'), "message must be one line: " + msg);
    }

    private Path raw(String header, int dataBytes) throws Exception {
        return RawSafetensors.write(dir.resolve("bad.safetensors"), header, new byte[dataBytes]);
    }

    @Test
    void truncatedFixtureNamesTheTensorAndBothSizes() throws Exception {
        Path src = TestData.fixtureModel("llama").resolve("model.safetensors");
        Path cut = dir.resolve("model.safetensors");
        Files.copy(src, cut);
        long size = Files.size(src);
        try (FileChannel ch = FileChannel.open(cut, StandardOpenOption.WRITE)) {
            ch.truncate(size - 1000);
        }
        // The tensor reaching furthest into the data region is reported: it says how big the file should be.
        JsonNode header = RawSafetensors.header(src);
        String victim = null;
        long furthest = -1;
        for (Map.Entry<String, JsonNode> e : header.properties()) {
            if (e.getValue().has("data_offsets") && e.getValue().get("data_offsets").get(1).asLong() > furthest) {
                furthest = e.getValue().get("data_offsets").get(1).asLong();
                victim = e.getKey();
            }
        }
        assertBad(cut, "tensor " + victim, "file has " + (size - 1000) + " bytes", "needs at least " + size,
                "truncated");
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws Exception {
        Path f = Files.write(dir.resolve("tiny.safetensors"), new byte[] {1, 2, 3});
        assertBad(f, "file has 3 bytes", "expected at least 8");
    }

    @Test
    void headerLengthLargerThanTheFile() throws Exception {
        byte[] header = "{}".getBytes();
        Path f = RawSafetensors.writeWithLength(dir.resolve("long.safetensors"), 5000, header, new byte[0]);
        assertBad(f, "header length is 5000 bytes", "only 2 bytes after");
    }

    @Test
    void headerLengthWithTheTopBitSetIsNotNegative() throws Exception {
        Path f = RawSafetensors.writeWithLength(dir.resolve("huge.safetensors"), -1L, "{}".getBytes(), new byte[0]);
        assertBad(f, "header length is 18446744073709551615 bytes");
    }

    @Test
    void headerLengthZero() throws Exception {
        Path f = RawSafetensors.writeWithLength(dir.resolve("zero.safetensors"), 0, new byte[0], new byte[16]);
        assertBad(f, "header length is 0");
    }

    @Test
    void absurdHeaderLengthInsideAHugeSparseFile() throws Exception {
        Path f = dir.resolve("sparse.safetensors");
        long headerLength = 150L << 20;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(200L << 20); // sparse: no disk space used
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array());
        }
        assertBad(f, "header length is " + headerLength, "expected at most " + (100L << 20));
    }

    @Test
    void garbageJson() throws Exception {
        assertBad(raw("{\"a\": {\"dtype\": \"F32\",, nonsense", 0), "not valid JSON", "expected a JSON object");
    }

    @Test
    void trailingGarbageAfterTheJsonObject() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} {}", 4),
                "not valid JSON", "Trailing token");
    }

    @Test
    void headerIsNotUtf8() throws Exception {
        byte[] header = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        Path f = RawSafetensors.write(dir.resolve("latin.safetensors"), header, new byte[0]);
        assertBad(f, "not valid UTF-8");
    }

    @Test
    void headerIsAnArrayNotAnObject() throws Exception {
        assertBad(raw("[1, 2, 3]", 0), "JSON array [1,2,3]", "expected a JSON object");
    }

    @Test
    void entryMissingDtype() throws Exception {
        assertBad(raw("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor w", "no \"dtype\"");
    }

    @Test
    void entryMissingDataOffsets() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "tensor w", "no \"data_offsets\"");
    }

    @Test
    void shapeOfTheWrongJsonType() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8),
                "tensor w: shape is a JSON string \"2\"", "expected an array of non-negative integers");
    }

    @Test
    void dtypeOfTheWrongJsonType() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                "tensor w: dtype is a JSON number 4", "expected a string");
    }

    @Test
    void negativeDimension() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,2],\"data_offsets\":[0,8]}}", 8),
                "tensor w: shape is [-2,2]", "non-negative");
    }

    @Test
    void dataOffsetsWithThreeElements() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8),
                "tensor w: data_offsets has 3 elements", "expected an array of 2");
    }

    @Test
    void beginAfterEnd() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8),
                "tensor w has data_offsets [8, 4]", "expected begin <= end");
    }

    @Test
    void endBeyondTheDataRegion() throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        Path f = raw(header, 8);
        long fileSize = 8 + header.length() + 8;
        assertBad(f, "tensor w ends at byte 16", "file has " + fileSize + " bytes",
                "needs at least " + (fileSize + 8));
    }

    @Test
    void byteLengthDisagreesWithShape() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3,4],\"data_offsets\":[0,16]}}", 16),
                "tensor w has 16 bytes of data", "expected 24 for BF16 [3, 4]");
    }

    @Test
    void sizeChecksCoverDtypesWeCannotComputeIn() throws Exception {
        assertBad(raw("{\"ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12),
                "tensor ids has 12 bytes of data", "expected 24 for I64 [3]");
        String ok = "{\"a\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"BOOL\",\"shape\":[5],\"data_offsets\":[24,29]},"
                + "\"c\":{\"dtype\":\"F8_E4M3\",\"shape\":[2,2],\"data_offsets\":[29,33]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[33,41]}}";
        try (SafetensorsFile f = SafetensorsFile.open(raw(ok, 41))) {
            assertEquals(null, f.tensors().get("a").dtype());
            assertEquals("F8_E4M3", f.tensors().get("c").dtypeName());
            assertEquals(1, f.tensors().get("d").elementCount());
            assertEquals("[]", f.tensors().get("d").shapeString());
        }
    }

    @Test
    void unknownDtype() throws Exception {
        assertBad(raw("{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,1]}}", 1),
                "tensor w has unknown dtype \"Q4_K\"", "expected one of F64, F32");
    }

    @Test
    void overlappingTensorsAreBothNamed() throws Exception {
        String header = "{\"first\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"second\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[32,48]},"
                + "\"third\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";
        assertBad(raw(header, 48), "tensors first [0, 16) and third [8, 24) overlap", "expected disjoint");
    }

    @Test
    void duplicateTensorNamesAreRejectedNotShadowed() throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertBad(raw(header, 8), "not valid JSON", "Duplicate field 'w'");
    }

    @Test
    void emptyTensorsAndTrailingPaddingAreFine() throws Exception {
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"n\":3},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}      ";
        try (SafetensorsFile f = SafetensorsFile.open(raw(header, 8))) {
            assertEquals(0, f.tensors().get("e").byteSize());
            assertEquals(Map.of("format", "pt", "n", "3"), f.metadata());
        }
    }
}
