package io.specrej.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Builds weight matrices in native segments for the tests. */
final class TestWeights {
    private TestWeights() {
    }

    /**
     * A [rows][cols] weight of {@code dtype} with values uniform in [-1, 1) (rounded to the dtype), read-only, at an
     * odd byte address when {@code unaligned}.
     */
    static WeightMatrix random(DType dtype, int rows, int cols, long seed, boolean unaligned) {
        SplittableRandom rnd = new SplittableRandom(seed);
        return of(dtype, rows, cols, (j, c) -> (float) (rnd.nextDouble() * 2 - 1), unaligned);
    }

    interface Values {
        float at(int row, int col);
    }

    /** A read-only weight with element [j][c] = f(j, c) rounded to the dtype, filled in row-major order. */
    static WeightMatrix of(DType dtype, int rows, int cols, Values f, boolean unaligned) {
        long bytes = (long) rows * cols * dtype.bytes();
        MemorySegment backing = Arena.ofAuto().allocate(bytes + 64, 64);
        MemorySegment seg = backing.asSlice(unaligned ? 1 : 0, bytes);
        long count = (long) rows * cols;
        for (long i = 0; i < count; i++) {
            float v = f.at((int) (i / cols), (int) (i % cols));
            switch (dtype) {
                case F32 -> seg.set(WeightRows.F32_LE, i * 4, v);
                case BF16 -> seg.set(WeightRows.I16_LE, i * 2, Bf16.fromFloat(v));
                case F16 -> seg.set(WeightRows.I16_LE, i * 2, Float.floatToFloat16(v));
            }
        }
        return new WeightMatrix("test." + dtype + "." + rows + "x" + cols, dtype, rows, cols, seg.asReadOnly());
    }

    static float[] randomInput(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 4 - 2);
        }
        return x;
    }
}
