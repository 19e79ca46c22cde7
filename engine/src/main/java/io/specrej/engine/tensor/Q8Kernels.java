package io.specrej.engine.tensor;

import static io.specrej.engine.tensor.VectorKernels.LANES;
import static io.specrej.engine.tensor.VectorKernels.SP;
import static io.specrej.engine.tensor.VectorKernels.reduce;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tiles of {@link Q8Matmul} (written out shape by shape, like {@link VectorKernels}'; edit them
 * together). Tile {@code RxC} computes input rows {@code [r, r+R)} against weight rows {@code [j, j+C)}.
 *
 * <p>Reduction order, the same for every tile: one {@code FloatVector} accumulator per output, for each chunk of
 * {@code LANES} columns in increasing order {@code acc = x[k..] .fma(dequant(w[k..]), acc)}, where
 * {@code dequant} widens the bytes exactly to float and multiplies lanewise by the block's scale; then
 * {@link VectorKernels#reduce}. A row has no tail (columns are whole blocks of 32, a multiple of LANES). So an output
 * has the bits {@link VectorKernels}' F32 tiles give for the dequantized matrix, in any tile, batch or thread.
 */
final class Q8Kernels {
    private static final int BLOCK = Q8Weight.BLOCK;
    private static final ValueLayout.OfFloat F32 = WeightRows.F32_LE;
    /** Bytes for one chunk of LANES weights; at least 64 bits (the smallest byte vector), extra lanes unused. */
    private static final VectorSpecies<Byte> BSP =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));

    static {
        if (BLOCK % LANES != 0) {
            throw new ExceptionInInitializerError("Q8_0 blocks of " + BLOCK + " need LANES dividing it, got " + LANES);
        }
    }

    private Q8Kernels() {
    }

    /** LANES weights from byte offset {@code o}, widened exactly to float, times the block's scale. */
    private static FloatVector dequant(MemorySegment q, long o, FloatVector scale) {
        return ((FloatVector) ByteVector.fromMemorySegment(BSP, q, o, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, SP, 0)).mul(scale);
    }

    static void tile4x4(float[] a, int ai, int K, Q8Weight w, int j, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final MemorySegment sc = w.scales;
        final int blocks = K / BLOCK;
        final long q0 = (long) j * K;
        final long s0 = (long) j * blocks * 4;
        final long q1 = (long) (j + 1) * K;
        final long s1 = (long) (j + 1) * blocks * 4;
        final long q2 = (long) (j + 2) * K;
        final long s2 = (long) (j + 2) * blocks * 4;
        final long q3 = (long) (j + 3) * K;
        final long s3 = (long) (j + 3) * blocks * 4;
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP), c11 = FloatVector.zero(SP), c12 = FloatVector.zero(SP), c13 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP), c21 = FloatVector.zero(SP), c22 = FloatVector.zero(SP), c23 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP), c31 = FloatVector.zero(SP), c32 = FloatVector.zero(SP), c33 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            final FloatVector d0 = FloatVector.broadcast(SP, sc.get(F32, s0 + b * 4L));
            final FloatVector d1 = FloatVector.broadcast(SP, sc.get(F32, s1 + b * 4L));
            final FloatVector d2 = FloatVector.broadcast(SP, sc.get(F32, s2 + b * 4L));
            final FloatVector d3 = FloatVector.broadcast(SP, sc.get(F32, s3 + b * 4L));
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k += LANES) {
                final FloatVector b0 = dequant(qs, q0 + k, d0);
                final FloatVector b1 = dequant(qs, q1 + k, d1);
                final FloatVector b2 = dequant(qs, q2 + k, d2);
                final FloatVector b3 = dequant(qs, q3 + k, d3);
                final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
                c00 = a0.fma(b0, c00);
                c01 = a0.fma(b1, c01);
                c02 = a0.fma(b2, c02);
                c03 = a0.fma(b3, c03);
                final FloatVector a1 = FloatVector.fromArray(SP, a, a1i + k);
                c10 = a1.fma(b0, c10);
                c11 = a1.fma(b1, c11);
                c12 = a1.fma(b2, c12);
                c13 = a1.fma(b3, c13);
                final FloatVector a2 = FloatVector.fromArray(SP, a, a2i + k);
                c20 = a2.fma(b0, c20);
                c21 = a2.fma(b1, c21);
                c22 = a2.fma(b2, c22);
                c23 = a2.fma(b3, c23);
                final FloatVector a3 = FloatVector.fromArray(SP, a, a3i + k);
                c30 = a3.fma(b0, c30);
                c31 = a3.fma(b1, c31);
                c32 = a3.fma(b2, c32);
                c33 = a3.fma(b3, c33);
            }
        }
        out[oi] = reduce(c00);
        out[oi + 1] = reduce(c01);
        out[oi + 2] = reduce(c02);
        out[oi + 3] = reduce(c03);
        out[oi + N] = reduce(c10);
        out[oi + N + 1] = reduce(c11);
        out[oi + N + 2] = reduce(c12);
        out[oi + N + 3] = reduce(c13);
        out[oi + 2 * N] = reduce(c20);
        out[oi + 2 * N + 1] = reduce(c21);
        out[oi + 2 * N + 2] = reduce(c22);
        out[oi + 2 * N + 3] = reduce(c23);
        out[oi + 3 * N] = reduce(c30);
        out[oi + 3 * N + 1] = reduce(c31);
        out[oi + 3 * N + 2] = reduce(c32);
        out[oi + 3 * N + 3] = reduce(c33);
    }

    static void tile4x1(float[] a, int ai, int K, Q8Weight w, int j, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final MemorySegment sc = w.scales;
        final int blocks = K / BLOCK;
        final long q0 = (long) j * K;
        final long s0 = (long) j * blocks * 4;
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        FloatVector c00 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            final FloatVector d0 = FloatVector.broadcast(SP, sc.get(F32, s0 + b * 4L));
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k += LANES) {
                final FloatVector b0 = dequant(qs, q0 + k, d0);
                final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
                c00 = a0.fma(b0, c00);
                final FloatVector a1 = FloatVector.fromArray(SP, a, a1i + k);
                c10 = a1.fma(b0, c10);
                final FloatVector a2 = FloatVector.fromArray(SP, a, a2i + k);
                c20 = a2.fma(b0, c20);
                final FloatVector a3 = FloatVector.fromArray(SP, a, a3i + k);
                c30 = a3.fma(b0, c30);
            }
        }
        out[oi] = reduce(c00);
        out[oi + N] = reduce(c10);
        out[oi + 2 * N] = reduce(c20);
        out[oi + 3 * N] = reduce(c30);
    }

    static void tile1x4(float[] a, int ai, int K, Q8Weight w, int j, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final MemorySegment sc = w.scales;
        final int blocks = K / BLOCK;
        final long q0 = (long) j * K;
        final long s0 = (long) j * blocks * 4;
        final long q1 = (long) (j + 1) * K;
        final long s1 = (long) (j + 1) * blocks * 4;
        final long q2 = (long) (j + 2) * K;
        final long s2 = (long) (j + 2) * blocks * 4;
        final long q3 = (long) (j + 3) * K;
        final long s3 = (long) (j + 3) * blocks * 4;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            final FloatVector d0 = FloatVector.broadcast(SP, sc.get(F32, s0 + b * 4L));
            final FloatVector d1 = FloatVector.broadcast(SP, sc.get(F32, s1 + b * 4L));
            final FloatVector d2 = FloatVector.broadcast(SP, sc.get(F32, s2 + b * 4L));
            final FloatVector d3 = FloatVector.broadcast(SP, sc.get(F32, s3 + b * 4L));
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k += LANES) {
                final FloatVector b0 = dequant(qs, q0 + k, d0);
                final FloatVector b1 = dequant(qs, q1 + k, d1);
                final FloatVector b2 = dequant(qs, q2 + k, d2);
                final FloatVector b3 = dequant(qs, q3 + k, d3);
                final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
                c00 = a0.fma(b0, c00);
                c01 = a0.fma(b1, c01);
                c02 = a0.fma(b2, c02);
                c03 = a0.fma(b3, c03);
            }
        }
        out[oi] = reduce(c00);
        out[oi + 1] = reduce(c01);
        out[oi + 2] = reduce(c02);
        out[oi + 3] = reduce(c03);
    }

    static void tile1x1(float[] a, int ai, int K, Q8Weight w, int j, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final MemorySegment sc = w.scales;
        final int blocks = K / BLOCK;
        final long q0 = (long) j * K;
        final long s0 = (long) j * blocks * 4;
        FloatVector c00 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            final FloatVector d0 = FloatVector.broadcast(SP, sc.get(F32, s0 + b * 4L));
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k += LANES) {
                final FloatVector b0 = dequant(qs, q0 + k, d0);
                final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
                c00 = a0.fma(b0, c00);
            }
        }
        out[oi] = reduce(c00);
    }
}
