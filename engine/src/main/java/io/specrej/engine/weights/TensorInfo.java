package io.specrej.engine.weights;

import io.specrej.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a safetensors file, already validated against the file's size.
 *
 * @param name      the tensor name from the header
 * @param dtypeName the dtype string exactly as the header spells it ("F32", "I64", "F8_E4M3", ...)
 * @param dtype     the compute type, or null when SpecRej cannot compute in {@code dtypeName} (I64, BOOL, F8, ...)
 * @param shape     dimensions, outermost first; empty for a scalar
 * @param data      a zero-copy slice of the mapped file holding exactly this tensor's bytes
 * @param file      the file the tensor lives in (for error messages)
 */
public record TensorInfo(String name, String dtypeName, DType dtype, long[] shape, MemorySegment data, Path file) {
    public TensorInfo {
        // Records expose their components; copying keeps callers from mutating a shape others rely on.
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i}, without copying the shape. */
    public long dim(int i) {
        return shape[i];
    }

    /** Product of the dimensions (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Bytes of tensor data. */
    public long byteSize() {
        return data.byteSize();
    }

    /** The shape as people write it, e.g. {@code [896, 4864]}. */
    public String shapeString() {
        return shapeString(shape);
    }

    static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "TensorInfo[" + name + " " + dtypeName + " " + shapeString() + " in " + file + "]";
    }
}
