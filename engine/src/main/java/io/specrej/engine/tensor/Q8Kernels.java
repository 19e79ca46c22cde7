package io.specrej.engine.tensor;

import static io.specrej.engine.tensor.VectorKernels.LANES;
import static io.specrej.engine.tensor.VectorKernels.SP;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tiles of {@link Q8Matmul} (written out shape by shape like {@link VectorKernels}'; edit them together).
 * Tile {@code RxG} computes R input rows against G groups of {@link Q8Weight#GROUP} weight rows: the lanes of a vector
 * are weight rows (the interleaved layout of {@link Q8Weight}), so each lane accumulates one output on its own.
 *
 * <p>The arithmetic of an output {@code (r, j)}, the same in every tile, so it never depends on the tile, the batch,
 * the thread count or even the vector width: {@code acc = +0}; for each block of 32 columns in increasing order, a
 * block sum {@code p = +0}, then {@code p = fma(x[r][k], (float) q[j][k], p)} for k in increasing order, then
 * {@code acc = fma(p, scale[j][block], acc)}; the output is {@code acc}. The scale is applied once per block, and no
 * sum runs across lanes: one multiply-add per weight and input row, which is what lets an 8-bit weight move through
 * the core as fast as it streams from memory.
 *
 * <p>JIT notes: a lane-per-column layout (horizontal sums per output) was tried first; its tiles exceeded C2's
 * inlining node budget ({@code NodeCountInliningCutoff}), left vector calls un-inlined (boxed) and ran 2-20x slower
 * than the BF16 tiles. These tiles have no cross-lane work and stay small.
 */
final class Q8Kernels {
    private static final int BLOCK = Q8Weight.BLOCK;
    private static final int GROUP = Q8Weight.GROUP;
    /** Bytes for one column of a group; at least 64 bits (the smallest byte vector), extra lanes unused. */
    private static final VectorSpecies<Byte> BSP =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));

    private Q8Kernels() {
    }

    /** One column of a group: GROUP codes from byte offset {@code o}, widened exactly to float. */
    private static FloatVector bytes(MemorySegment q, long o) {
        return (FloatVector) ByteVector.fromMemorySegment(BSP, q, o, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, SP, 0);
    }

    /** Input row r (from {@code a[ai]}) against groups [g, g+8); writes {@code out[oi + i * N + t * GROUP + lane]}. */
    static void tile1x8(float[] a, int ai, int K, Q8Weight w, int g, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final float[] sc = w.scales;
        final int blocks = K / BLOCK;
        final long qStride = (long) K * GROUP;
        final int sStride = blocks * GROUP;
        final long q0 = g * qStride;
        final int s0 = g * sStride;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP), c04 = FloatVector.zero(SP), c05 = FloatVector.zero(SP), c06 = FloatVector.zero(SP), c07 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            FloatVector p00 = FloatVector.zero(SP), p01 = FloatVector.zero(SP), p02 = FloatVector.zero(SP), p03 = FloatVector.zero(SP), p04 = FloatVector.zero(SP), p05 = FloatVector.zero(SP), p06 = FloatVector.zero(SP), p07 = FloatVector.zero(SP);
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k++) {
                final long o = q0 + (long) k * GROUP;
                final FloatVector x0 = FloatVector.broadcast(SP, a[ai + k]);
                p00 = x0.fma(bytes(qs, o), p00);
                p01 = x0.fma(bytes(qs, o + qStride), p01);
                p02 = x0.fma(bytes(qs, o + 2 * qStride), p02);
                p03 = x0.fma(bytes(qs, o + 3 * qStride), p03);
                p04 = x0.fma(bytes(qs, o + 4 * qStride), p04);
                p05 = x0.fma(bytes(qs, o + 5 * qStride), p05);
                p06 = x0.fma(bytes(qs, o + 6 * qStride), p06);
                p07 = x0.fma(bytes(qs, o + 7 * qStride), p07);
            }
            final int so = s0 + b * GROUP;
            final FloatVector d0 = FloatVector.fromArray(SP, sc, so);
            c00 = p00.fma(d0, c00);
            final FloatVector d1 = FloatVector.fromArray(SP, sc, so + sStride);
            c01 = p01.fma(d1, c01);
            final FloatVector d2 = FloatVector.fromArray(SP, sc, so + 2 * sStride);
            c02 = p02.fma(d2, c02);
            final FloatVector d3 = FloatVector.fromArray(SP, sc, so + 3 * sStride);
            c03 = p03.fma(d3, c03);
            final FloatVector d4 = FloatVector.fromArray(SP, sc, so + 4 * sStride);
            c04 = p04.fma(d4, c04);
            final FloatVector d5 = FloatVector.fromArray(SP, sc, so + 5 * sStride);
            c05 = p05.fma(d5, c05);
            final FloatVector d6 = FloatVector.fromArray(SP, sc, so + 6 * sStride);
            c06 = p06.fma(d6, c06);
            final FloatVector d7 = FloatVector.fromArray(SP, sc, so + 7 * sStride);
            c07 = p07.fma(d7, c07);
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + GROUP);
        c02.intoArray(out, oi + 2 * GROUP);
        c03.intoArray(out, oi + 3 * GROUP);
        c04.intoArray(out, oi + 4 * GROUP);
        c05.intoArray(out, oi + 5 * GROUP);
        c06.intoArray(out, oi + 6 * GROUP);
        c07.intoArray(out, oi + 7 * GROUP);
    }

    /** Input row r (from {@code a[ai]}) against group g; writes {@code out[oi + i * N + t * GROUP + lane]}. */
    static void tile1x1(float[] a, int ai, int K, Q8Weight w, int g, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final float[] sc = w.scales;
        final int blocks = K / BLOCK;
        final long qStride = (long) K * GROUP;
        final int sStride = blocks * GROUP;
        final long q0 = g * qStride;
        final int s0 = g * sStride;
        FloatVector c00 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            FloatVector p00 = FloatVector.zero(SP);
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k++) {
                final long o = q0 + (long) k * GROUP;
                final FloatVector x0 = FloatVector.broadcast(SP, a[ai + k]);
                p00 = x0.fma(bytes(qs, o), p00);
            }
            final int so = s0 + b * GROUP;
            final FloatVector d0 = FloatVector.fromArray(SP, sc, so);
            c00 = p00.fma(d0, c00);
        }
        c00.intoArray(out, oi);
    }

    /** Input rows [r, r+4) (from {@code a[ai]}) against groups [g, g+3); writes {@code out[oi + i * N + t * GROUP + lane]}. */
    static void tile4x3(float[] a, int ai, int K, Q8Weight w, int g, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final float[] sc = w.scales;
        final int blocks = K / BLOCK;
        final long qStride = (long) K * GROUP;
        final int sStride = blocks * GROUP;
        final long q0 = g * qStride;
        final int s0 = g * sStride;
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP), c11 = FloatVector.zero(SP), c12 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP), c21 = FloatVector.zero(SP), c22 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP), c31 = FloatVector.zero(SP), c32 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            FloatVector p00 = FloatVector.zero(SP), p01 = FloatVector.zero(SP), p02 = FloatVector.zero(SP);
            FloatVector p10 = FloatVector.zero(SP), p11 = FloatVector.zero(SP), p12 = FloatVector.zero(SP);
            FloatVector p20 = FloatVector.zero(SP), p21 = FloatVector.zero(SP), p22 = FloatVector.zero(SP);
            FloatVector p30 = FloatVector.zero(SP), p31 = FloatVector.zero(SP), p32 = FloatVector.zero(SP);
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k++) {
                final long o = q0 + (long) k * GROUP;
                final FloatVector w0 = bytes(qs, o);
                final FloatVector w1 = bytes(qs, o + qStride);
                final FloatVector w2 = bytes(qs, o + 2 * qStride);
                final FloatVector x0 = FloatVector.broadcast(SP, a[ai + k]);
                p00 = x0.fma(w0, p00);
                p01 = x0.fma(w1, p01);
                p02 = x0.fma(w2, p02);
                final FloatVector x1 = FloatVector.broadcast(SP, a[a1i + k]);
                p10 = x1.fma(w0, p10);
                p11 = x1.fma(w1, p11);
                p12 = x1.fma(w2, p12);
                final FloatVector x2 = FloatVector.broadcast(SP, a[a2i + k]);
                p20 = x2.fma(w0, p20);
                p21 = x2.fma(w1, p21);
                p22 = x2.fma(w2, p22);
                final FloatVector x3 = FloatVector.broadcast(SP, a[a3i + k]);
                p30 = x3.fma(w0, p30);
                p31 = x3.fma(w1, p31);
                p32 = x3.fma(w2, p32);
            }
            final int so = s0 + b * GROUP;
            final FloatVector d0 = FloatVector.fromArray(SP, sc, so);
            c00 = p00.fma(d0, c00);
            c10 = p10.fma(d0, c10);
            c20 = p20.fma(d0, c20);
            c30 = p30.fma(d0, c30);
            final FloatVector d1 = FloatVector.fromArray(SP, sc, so + sStride);
            c01 = p01.fma(d1, c01);
            c11 = p11.fma(d1, c11);
            c21 = p21.fma(d1, c21);
            c31 = p31.fma(d1, c31);
            final FloatVector d2 = FloatVector.fromArray(SP, sc, so + 2 * sStride);
            c02 = p02.fma(d2, c02);
            c12 = p12.fma(d2, c12);
            c22 = p22.fma(d2, c22);
            c32 = p32.fma(d2, c32);
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + GROUP);
        c02.intoArray(out, oi + 2 * GROUP);
        c10.intoArray(out, oi + N);
        c11.intoArray(out, oi + N + GROUP);
        c12.intoArray(out, oi + N + 2 * GROUP);
        c20.intoArray(out, oi + 2 * N);
        c21.intoArray(out, oi + 2 * N + GROUP);
        c22.intoArray(out, oi + 2 * N + 2 * GROUP);
        c30.intoArray(out, oi + 3 * N);
        c31.intoArray(out, oi + 3 * N + GROUP);
        c32.intoArray(out, oi + 3 * N + 2 * GROUP);
    }

    /** Input rows [r, r+4) (from {@code a[ai]}) against groups [g, g+2); writes {@code out[oi + i * N + t * GROUP + lane]}. */
    static void tile4x2(float[] a, int ai, int K, Q8Weight w, int g, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final float[] sc = w.scales;
        final int blocks = K / BLOCK;
        final long qStride = (long) K * GROUP;
        final int sStride = blocks * GROUP;
        final long q0 = g * qStride;
        final int s0 = g * sStride;
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP), c11 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP), c21 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP), c31 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            FloatVector p00 = FloatVector.zero(SP), p01 = FloatVector.zero(SP);
            FloatVector p10 = FloatVector.zero(SP), p11 = FloatVector.zero(SP);
            FloatVector p20 = FloatVector.zero(SP), p21 = FloatVector.zero(SP);
            FloatVector p30 = FloatVector.zero(SP), p31 = FloatVector.zero(SP);
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k++) {
                final long o = q0 + (long) k * GROUP;
                final FloatVector w0 = bytes(qs, o);
                final FloatVector w1 = bytes(qs, o + qStride);
                final FloatVector x0 = FloatVector.broadcast(SP, a[ai + k]);
                p00 = x0.fma(w0, p00);
                p01 = x0.fma(w1, p01);
                final FloatVector x1 = FloatVector.broadcast(SP, a[a1i + k]);
                p10 = x1.fma(w0, p10);
                p11 = x1.fma(w1, p11);
                final FloatVector x2 = FloatVector.broadcast(SP, a[a2i + k]);
                p20 = x2.fma(w0, p20);
                p21 = x2.fma(w1, p21);
                final FloatVector x3 = FloatVector.broadcast(SP, a[a3i + k]);
                p30 = x3.fma(w0, p30);
                p31 = x3.fma(w1, p31);
            }
            final int so = s0 + b * GROUP;
            final FloatVector d0 = FloatVector.fromArray(SP, sc, so);
            c00 = p00.fma(d0, c00);
            c10 = p10.fma(d0, c10);
            c20 = p20.fma(d0, c20);
            c30 = p30.fma(d0, c30);
            final FloatVector d1 = FloatVector.fromArray(SP, sc, so + sStride);
            c01 = p01.fma(d1, c01);
            c11 = p11.fma(d1, c11);
            c21 = p21.fma(d1, c21);
            c31 = p31.fma(d1, c31);
        }
        c00.intoArray(out, oi);
        c01.intoArray(out, oi + GROUP);
        c10.intoArray(out, oi + N);
        c11.intoArray(out, oi + N + GROUP);
        c20.intoArray(out, oi + 2 * N);
        c21.intoArray(out, oi + 2 * N + GROUP);
        c30.intoArray(out, oi + 3 * N);
        c31.intoArray(out, oi + 3 * N + GROUP);
    }

    /** Input rows [r, r+4) (from {@code a[ai]}) against group g; writes {@code out[oi + i * N + t * GROUP + lane]}. */
    static void tile4x1(float[] a, int ai, int K, Q8Weight w, int g, float[] out, int oi, int N) {
        final MemorySegment qs = w.quants;
        final float[] sc = w.scales;
        final int blocks = K / BLOCK;
        final long qStride = (long) K * GROUP;
        final int sStride = blocks * GROUP;
        final long q0 = g * qStride;
        final int s0 = g * sStride;
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        FloatVector c00 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP);
        for (int b = 0; b < blocks; b++) {
            FloatVector p00 = FloatVector.zero(SP);
            FloatVector p10 = FloatVector.zero(SP);
            FloatVector p20 = FloatVector.zero(SP);
            FloatVector p30 = FloatVector.zero(SP);
            for (int k = b * BLOCK, end = k + BLOCK; k < end; k++) {
                final long o = q0 + (long) k * GROUP;
                final FloatVector w0 = bytes(qs, o);
                final FloatVector x0 = FloatVector.broadcast(SP, a[ai + k]);
                p00 = x0.fma(w0, p00);
                final FloatVector x1 = FloatVector.broadcast(SP, a[a1i + k]);
                p10 = x1.fma(w0, p10);
                final FloatVector x2 = FloatVector.broadcast(SP, a[a2i + k]);
                p20 = x2.fma(w0, p20);
                final FloatVector x3 = FloatVector.broadcast(SP, a[a3i + k]);
                p30 = x3.fma(w0, p30);
            }
            final int so = s0 + b * GROUP;
            final FloatVector d0 = FloatVector.fromArray(SP, sc, so);
            c00 = p00.fma(d0, c00);
            c10 = p10.fma(d0, c10);
            c20 = p20.fma(d0, c20);
            c30 = p30.fma(d0, c30);
        }
        c00.intoArray(out, oi);
        c10.intoArray(out, oi + N);
        c20.intoArray(out, oi + 2 * N);
        c30.intoArray(out, oi + 3 * N);
    }
}
