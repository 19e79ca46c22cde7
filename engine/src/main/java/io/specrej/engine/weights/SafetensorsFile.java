package io.specrej.engine.weights;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file whose header has been fully validated against the file, so every
 * {@link TensorInfo#data()} slice is in bounds and of the size its dtype and shape imply.
 *
 * <p>Data is never copied to the heap: tensors are slices of one read-only mapping owned by a shared arena, readable
 * from any thread until {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Real headers are kilobytes to a few MiB; anything larger is corruption, not a checkpoint. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, Arena arena, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps {@code file} read-only and validates its header; throws {@link BadInputException} on any defect. */
    public static SafetensorsFile open(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file, expected a safetensors file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (size < 8) {
            throw new BadInputException(file + ": file has " + size
                    + " bytes, expected at least 8 (the safetensors header length)");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Parsed parsed = validate(file, mapped);
            return new SafetensorsFile(file, arena, parsed.tensors(), parsed.metadata());
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map " + file, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private record Parsed(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    private static Parsed validate(Path file, MemorySegment mapped) {
        long size = mapped.byteSize();
        long headerLength = mapped.get(U64_LE, 0);
        if (headerLength == 0) {
            throw new BadInputException(file + ": safetensors header length is 0, expected a JSON header");
        }
        // Unsigned compare: a u64 with the top bit set reads as negative in Java.
        if (Long.compareUnsigned(headerLength, size - 8) > 0) {
            throw new BadInputException(file + ": safetensors header length is " + Long.toUnsignedString(headerLength)
                    + " bytes but the file has only " + (size - 8) + " bytes after the 8-byte length"
                    + " (truncated or not a safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new BadInputException(file + ": safetensors header length is " + headerLength
                    + " bytes, expected at most " + MAX_HEADER_BYTES + " (corrupt header)");
        }
        SafetensorsHeader header = SafetensorsHeader.parse(file, mapped.asSlice(8, headerLength).asByteBuffer());
        long dataStart = 8 + headerLength;
        long dataLength = size - dataStart;
        checkBoundsAndSizes(file, header.entries(), size, dataStart, dataLength);
        checkOverlaps(file, header.entries());

        List<SafetensorsHeader.Entry> byName = new ArrayList<>(header.entries());
        byName.sort(Comparator.comparing(SafetensorsHeader.Entry::name));
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : byName) {
            MemorySegment data = mapped.asSlice(dataStart + e.begin(), e.end() - e.begin());
            tensors.put(e.name(), new TensorInfo(e.name(), e.dtypeName(), DType.fromSafetensors(e.dtypeName()),
                    e.shape(), data, file));
        }
        return new Parsed(Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(header.metadata()));
    }

    private static void checkBoundsAndSizes(Path file, List<SafetensorsHeader.Entry> entries, long fileSize,
            long dataStart, long dataLength) {
        SafetensorsHeader.Entry furthest = null;
        for (SafetensorsHeader.Entry e : entries) {
            String where = file + ": tensor " + e.name();
            if (e.begin() > e.end()) {
                throw new BadInputException(where + " has data_offsets [" + e.begin() + ", " + e.end()
                        + "], expected begin <= end");
            }
            long expected = expectedBytes(where, e);
            long found = e.end() - e.begin();
            if (found != expected) {
                throw new BadInputException(where + " has " + found + " bytes of data, expected " + expected
                        + " for " + e.dtypeName() + " " + TensorInfo.shapeString(e.shape()));
            }
            if (furthest == null || e.end() > furthest.end()) {
                furthest = e;
            }
        }
        // Report the furthest tensor, so the message gives the size the whole file should have.
        if (furthest != null && furthest.end() > dataLength) {
            throw new BadInputException(file + ": tensor " + furthest.name() + " ends at byte " + furthest.end()
                    + " of the data region, but the file has " + fileSize + " bytes and the header needs at least "
                    + Long.toUnsignedString(dataStart + furthest.end()) + " (truncated file?)");
        }
    }

    private static long expectedBytes(String where, SafetensorsHeader.Entry e) {
        try {
            long n = e.elementSize();
            for (long d : e.shape()) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException overflow) {
            throw new BadInputException(where + " has shape " + TensorInfo.shapeString(e.shape())
                    + ", expected a shape whose byte size fits in 63 bits");
        }
    }

    private static void checkOverlaps(Path file, List<SafetensorsHeader.Entry> entries) {
        List<SafetensorsHeader.Entry> sorted = new ArrayList<>();
        for (SafetensorsHeader.Entry e : entries) {
            if (e.end() > e.begin()) { // an empty tensor occupies no bytes and so cannot overlap anything
                sorted.add(e);
            }
        }
        sorted.sort(Comparator.comparingLong(SafetensorsHeader.Entry::begin)
                .thenComparingLong(SafetensorsHeader.Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            SafetensorsHeader.Entry prev = sorted.get(i - 1);
            SafetensorsHeader.Entry cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new BadInputException(file + ": tensors " + prev.name() + " [" + prev.begin() + ", "
                        + prev.end() + ") and " + cur.name() + " [" + cur.begin() + ", " + cur.end()
                        + ") overlap, expected disjoint data_offsets");
            }
        }
    }

    /** The file this was mapped from. */
    public Path file() {
        return file;
    }

    /** Every tensor, ordered by name. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} entries (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Unmaps the file; every {@link TensorInfo#data()} from it becomes unusable. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
