package io.specrej.engine.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds and parses safetensors bytes by hand, independently of the production reader and writer, so tests can
 * make corrupt files and check decoded values against a second implementation.
 */
final class RawSafetensors {
    static final ObjectMapper JSON = new ObjectMapper();

    private RawSafetensors() {
    }

    /** Writes an 8-byte length, then {@code header} verbatim, then {@code data}. */
    static Path write(Path file, String header, byte[] data) throws IOException {
        return write(file, header.getBytes(StandardCharsets.UTF_8), data);
    }

    static Path write(Path file, byte[] header, byte[] data) throws IOException {
        return writeWithLength(file, header.length, header, data);
    }

    /** Like {@link #write} but with a header length field that may lie. */
    static Path writeWithLength(Path file, long headerLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** The parsed JSON header of a safetensors file. */
    static JsonNode header(Path file) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) all.getLong(0);
        return JSON.readTree(new String(all.array(), 8, n, StandardCharsets.UTF_8));
    }

    /** The raw little-endian bytes of tensor {@code name}, located through the header by hand. */
    static ByteBuffer tensorBytes(Path file, String name) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode entry = header(file).get(name);
        int begin = (int) (8 + n + entry.get("data_offsets").get(0).asLong());
        int end = (int) (8 + n + entry.get("data_offsets").get(1).asLong());
        return ByteBuffer.wrap(all, begin, end - begin).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** F32 tensor {@code name} decoded by hand. */
    static float[] f32(Path file, String name) throws IOException {
        ByteBuffer b = tensorBytes(file, name);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** 16-bit tensor {@code name} as raw bit patterns. */
    static short[] bits16(Path file, String name) throws IOException {
        ByteBuffer b = tensorBytes(file, name);
        short[] out = new short[b.remaining() / 2];
        b.asShortBuffer().get(out);
        return out;
    }

    /** bytes of {@code n} zeros. */
    static byte[] zeros(int n) {
        return new byte[n];
    }
}
