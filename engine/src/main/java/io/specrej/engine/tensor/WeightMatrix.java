package io.specrej.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix in the layout of a PyTorch {@code nn.Linear}: {@code rows} output features, each a contiguous run
 * of {@code cols} input features, stored in {@code dtype} (never expanded to F32).
 *
 * <p>{@code data} is usually a zero-copy slice of a memory-mapped safetensors file; it holds exactly
 * {@code rows * cols * dtype.bytes()} bytes.
 */
public record WeightMatrix(String name, DType dtype, int rows, int cols, MemorySegment data) {
    public WeightMatrix {
        long expected = (long) rows * cols * dtype.bytes();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": segment holds " + data.byteSize() + " bytes, expected "
                    + expected + " for " + dtype + " [" + rows + ", " + cols + "]");
        }
    }

    /** Bytes of weight data. */
    public long byteSize() {
        return data.byteSize();
    }

    /**
     * For a backend that has made its own copy of this weight and reads only the copy from now on: lets the kernel
     * drop the checkpoint file's pages of it from this process's memory (a no-op unless memory-mapped).
     */
    public void dropMappedPages() {
        if (data.isMapped()) {
            data.unload();
        }
    }
}
