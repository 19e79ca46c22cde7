package io.specrej.app;

import io.specrej.engine.model.TensorTable;
import io.specrej.engine.tensor.Bf16;
import io.specrej.engine.tensor.DType;
import io.specrej.engine.weights.SafetensorsWriter.TensorFiller;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.stream.IntStream;

/**
 * Element values for random checkpoints, fast enough to write an 8B model at disk speed.
 *
 * <p>Element i of a tensor is a pure function of (seed, tensor name, i): a SplitMix64 hash of a counter, not a
 * stateful generator. That makes a checkpoint identical however the writer chunks it, and lets one chunk be filled by
 * all cores at once. The "normal" values are an Irwin-Hall sum of four 16-bit uniforms scaled to standard deviation
 * 0.02 (transformers' initializer_range): bell-shaped with tails cut at ±3.5σ, which is all a speed benchmark needs
 * and six times cheaper than Box-Muller.
 */
final class RandomFill {
    static final double STD = 0.02;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** Variance of one 16-bit uniform is (65536² − 1) / 12; four of them are summed. */
    private static final double SCALE = STD / Math.sqrt(4 * (65536.0 * 65536.0 - 1) / 12);
    private static final double MEAN = 4 * 65535 / 2.0;
    /** Elements per parallel task: large enough that forking costs nothing next to the hashing. */
    private static final int TASK_ELEMENTS = 1 << 16;

    private RandomFill() {
    }

    static TensorFiller filler(TensorTable.Entry tensor, DType dtype, long seed) {
        return switch (tensor.init()) {
            case ONES -> constant(1f, dtype);
            case ZEROS -> constant(0f, dtype);
            case NORMAL -> normal(streamKey(seed, tensor.name()), dtype);
        };
    }

    /** The i-th value of the stream {@code key}. */
    static float normalAt(long key, long index) {
        long h = mix(key + index * GOLDEN);
        long sum = (h & 0xFFFF) + ((h >>> 16) & 0xFFFF) + ((h >>> 32) & 0xFFFF) + (h >>> 48);
        return (float) ((sum - MEAN) * SCALE);
    }

    /** A per-tensor stream key; FNV-1a over the UTF-8 name keeps it the same on every JVM. */
    static long streamKey(long seed, String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        return mix(seed * GOLDEN ^ h);
    }

    private static TensorFiller normal(long key, DType dtype) {
        int size = dtype.bytes();
        return (chunk, first) -> {
            int base = chunk.position();
            int n = chunk.remaining() / size;
            int tasks = (n + TASK_ELEMENTS - 1) / TASK_ELEMENTS;
            IntStream.range(0, tasks).parallel().forEach(task -> {
                // Absolute puts on a private view: no shared position, so tasks never touch each other's state.
                ByteBuffer view = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int from = task * TASK_ELEMENTS;
                int to = Math.min(n, from + TASK_ELEMENTS);
                for (int i = from; i < to; i++) {
                    put(view, base + i * size, normalAt(key, first + i), dtype);
                }
            });
            chunk.position(chunk.limit());
        };
    }

    private static TensorFiller constant(float value, DType dtype) {
        return (chunk, first) -> {
            while (chunk.hasRemaining()) {
                put(chunk, chunk.position(), value, dtype);
                chunk.position(chunk.position() + dtype.bytes());
            }
        };
    }

    private static void put(ByteBuffer buf, int at, float value, DType dtype) {
        switch (dtype) {
            case F32 -> buf.putFloat(at, value);
            case BF16 -> buf.putShort(at, Bf16.fromFloat(value));
            case F16 -> buf.putShort(at, Float.floatToFloat16(value));
        }
    }

    /** SplitMix64's finalizer: a bijective 64-bit mix with full avalanche. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
