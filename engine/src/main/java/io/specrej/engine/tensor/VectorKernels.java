package io.specrej.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tiles of {@link VectorMatmul} (generated shape by shape; edit all of them together).
 *
 * <p>The one reduction order every tile uses for an output {@code (r, j)} — so the value never depends on the tile:
 * <ol>
 *   <li>one {@code FloatVector} accumulator of {@link #LANES} lanes, starting at +0.0, and for each chunk
 *       {@code k0 = 0, LANES, 2*LANES, ... < kv} (with {@code kv = cols} rounded down to a multiple of LANES), in
 *       increasing order: {@code acc = x[k0..] .fma(w[k0..], acc)} (lanewise fused multiply-add, exact IEEE);</li>
 *   <li>{@link #reduce}: a fixed pairwise tree over the lanes, built from lanewise adds (not
 *       {@code reduceLanes(ADD)}, whose order the Vector API leaves unspecified and which may differ between the
 *       interpreter and compiled code);</li>
 *   <li>the tail {@code k = kv .. cols-1} in increasing order: {@code s = Math.fma(x[k], w[k], s)}.</li>
 * </ol>
 * A BF16 weight element is widened exactly to float in registers (shift left 16), so the products are the same as
 * for the F32 copy of that weight.
 */
final class VectorKernels {
    static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SP.length();
    static final VectorSpecies<Integer> ISP = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #SP} (half its bit size). */
    static final VectorSpecies<Short> SSP = VectorSpecies.of(short.class, VectorShape.forBitSize(SP.vectorBitSize() / 2));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final VectorShuffle<Float> ROT8 = VectorShuffle.iota(SP, LANES >= 16 ? 8 : 0, 1, true);
    private static final VectorShuffle<Float> ROT4 = VectorShuffle.iota(SP, LANES >= 8 ? 4 : 0, 1, true);
    private static final VectorShuffle<Float> ROT2 = VectorShuffle.iota(SP, 2, 1, true);
    private static final VectorShuffle<Float> ROT1 = VectorShuffle.iota(SP, 1, 1, true);

    static {
        if (LANES < 4 || LANES > 16 || Integer.bitCount(LANES) != 1 || ISP.length() != LANES) {
            throw new ExceptionInInitializerError("unsupported vector shape: " + SP);
        }
    }

    private VectorKernels() {
    }

    /**
     * Sums the lanes of {@code v} in a fixed tree: for {@code s = LANES/2, ..., 2, 1}: {@code v[i] = v[i] + v[i+s]}
     * for {@code i < s}; the result is {@code v[0]}.
     */
    static float reduce(FloatVector v) {
        if (LANES >= 16) {
            v = v.add(v.rearrange(ROT8));
        }
        if (LANES >= 8) {
            v = v.add(v.rearrange(ROT4));
        }
        v = v.add(v.rearrange(ROT2));
        v = v.add(v.rearrange(ROT1));
        return v.lane(0);
    }

    // Index vectors for two-vector selects (selectFrom(v1, v2): index i < 16 picks v1[i], 16 + i picks v2[i]),
    // used when LANES == 16 to run the reduce() tree of 4 or 16 accumulators at once, lanewise (same bits):
    //   HALF:    x = [a0..7 | b0..7] + [a8..15 | b8..15]          (step s=8 of a and b)
    //   QUARTER: from two HALF results, 4 lanes per accumulator   (step s=4)
    //   EIGHTH:  from two QUARTER results, 2 lanes per accumulator (step s=2)
    //   EVEN/ODD: from two EIGHTH results, lane i = accumulator i  (step s=1)
    private static final FloatVector HALF_LO = indexes(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    private static final FloatVector HALF_HI = indexes(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    private static final FloatVector QUARTER_LO = indexes(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    private static final FloatVector QUARTER_HI = indexes(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    private static final FloatVector EIGHTH_LO = indexes(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
    private static final FloatVector EIGHTH_HI = indexes(2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
    private static final FloatVector EVEN = indexes(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static final FloatVector ODD = indexes(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static final VectorSpecies<Float> SP4 = FloatVector.SPECIES_128;

    private static FloatVector indexes(int... idx) {
        if (LANES != 16) {
            return FloatVector.zero(SP); // unused
        }
        float[] f = new float[16];
        for (int i = 0; i < 16; i++) {
            f[i] = idx[i];
        }
        return FloatVector.fromArray(SP, f, 0);
    }

    /** LANES bf16 weights at byte offset {@code o}, widened to floats (exact). */
    static FloatVector bf16(MemorySegment w, long o) {
        return ShortVector.fromMemorySegment(SSP, w, o, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, ISP, 0)
                .reinterpretAsInts()
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    static float f32Tail(float s, float[] a, int ai, MemorySegment w, long wo, int kv, int k1) {
        for (int k = kv; k < k1; k++) {
            s = Math.fma(a[ai + k], w.get(WeightRows.F32_LE, wo + (long) k * 4), s);
        }
        return s;
    }

    static float bf16Tail(float s, float[] a, int ai, MemorySegment w, long wo, int kv, int k1) {
        for (int k = kv; k < k1; k++) {
            s = Math.fma(a[ai + k], Bf16.toFloat(w.get(WeightRows.I16_LE, wo + (long) k * 2)), s);
        }
        return s;
    }

    static void f32Tile4x4(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        if (LANES != 16) {
            f32Tile4x4Any(a, ai, K, w, wo, out, oi, N);
            return;
        }
        final int kv = K & -LANES;
        final long ws = (long) K * 4;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP), c11 = FloatVector.zero(SP), c12 = FloatVector.zero(SP), c13 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP), c21 = FloatVector.zero(SP), c22 = FloatVector.zero(SP), c23 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP), c31 = FloatVector.zero(SP), c32 = FloatVector.zero(SP), c33 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 4;
            final FloatVector b0 = FloatVector.fromMemorySegment(SP, w, o, LE);
            final FloatVector b1 = FloatVector.fromMemorySegment(SP, w, o + ws, LE);
            final FloatVector b2 = FloatVector.fromMemorySegment(SP, w, o + 2 * ws, LE);
            final FloatVector b3 = FloatVector.fromMemorySegment(SP, w, o + 3 * ws, LE);
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
        // the reduce() tree of all accumulators at once, written out so C2 always inlines it
        final FloatVector h0 = HALF_LO.selectFrom(c00, c01).add(HALF_HI.selectFrom(c00, c01));
        final FloatVector h1 = HALF_LO.selectFrom(c02, c03).add(HALF_HI.selectFrom(c02, c03));
        final FloatVector h2 = HALF_LO.selectFrom(c10, c11).add(HALF_HI.selectFrom(c10, c11));
        final FloatVector h3 = HALF_LO.selectFrom(c12, c13).add(HALF_HI.selectFrom(c12, c13));
        final FloatVector h4 = HALF_LO.selectFrom(c20, c21).add(HALF_HI.selectFrom(c20, c21));
        final FloatVector h5 = HALF_LO.selectFrom(c22, c23).add(HALF_HI.selectFrom(c22, c23));
        final FloatVector h6 = HALF_LO.selectFrom(c30, c31).add(HALF_HI.selectFrom(c30, c31));
        final FloatVector h7 = HALF_LO.selectFrom(c32, c33).add(HALF_HI.selectFrom(c32, c33));
        final FloatVector q0 = QUARTER_LO.selectFrom(h0, h1).add(QUARTER_HI.selectFrom(h0, h1));
        final FloatVector q1 = QUARTER_LO.selectFrom(h2, h3).add(QUARTER_HI.selectFrom(h2, h3));
        final FloatVector q2 = QUARTER_LO.selectFrom(h4, h5).add(QUARTER_HI.selectFrom(h4, h5));
        final FloatVector q3 = QUARTER_LO.selectFrom(h6, h7).add(QUARTER_HI.selectFrom(h6, h7));
        final FloatVector e0 = EIGHTH_LO.selectFrom(q0, q1).add(EIGHTH_HI.selectFrom(q0, q1));
        final FloatVector e1 = EIGHTH_LO.selectFrom(q2, q3).add(EIGHTH_HI.selectFrom(q2, q3));
        final FloatVector res = EVEN.selectFrom(e0, e1).add(ODD.selectFrom(e0, e1));
        if (kv == K) {
            ((FloatVector) res.reinterpretShape(SP4, 0)).intoArray(out, oi);
            ((FloatVector) res.slice(4).reinterpretShape(SP4, 0)).intoArray(out, oi + N);
            ((FloatVector) res.slice(8).reinterpretShape(SP4, 0)).intoArray(out, oi + 2 * N);
            ((FloatVector) res.slice(12).reinterpretShape(SP4, 0)).intoArray(out, oi + 3 * N);
            return;
        }
        f32Finish4x4(res, a, ai, K, w, wo, kv, out, oi, N);
    }

    private static void f32Finish4x4(FloatVector res, float[] a, int ai, int K, MemorySegment w, long wo, int kv, float[] out, int oi, int N) {
        final long ws = (long) K * 4;
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        out[oi] = f32Tail(res.lane(0), a, ai, w, wo, kv, K);
        out[oi + 1] = f32Tail(res.lane(1), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = f32Tail(res.lane(2), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = f32Tail(res.lane(3), a, ai, w, wo + 3 * ws, kv, K);
        out[oi + N] = f32Tail(res.lane(4), a, a1i, w, wo, kv, K);
        out[oi + N + 1] = f32Tail(res.lane(5), a, a1i, w, wo + ws, kv, K);
        out[oi + N + 2] = f32Tail(res.lane(6), a, a1i, w, wo + 2 * ws, kv, K);
        out[oi + N + 3] = f32Tail(res.lane(7), a, a1i, w, wo + 3 * ws, kv, K);
        out[oi + 2 * N] = f32Tail(res.lane(8), a, a2i, w, wo, kv, K);
        out[oi + 2 * N + 1] = f32Tail(res.lane(9), a, a2i, w, wo + ws, kv, K);
        out[oi + 2 * N + 2] = f32Tail(res.lane(10), a, a2i, w, wo + 2 * ws, kv, K);
        out[oi + 2 * N + 3] = f32Tail(res.lane(11), a, a2i, w, wo + 3 * ws, kv, K);
        out[oi + 3 * N] = f32Tail(res.lane(12), a, a3i, w, wo, kv, K);
        out[oi + 3 * N + 1] = f32Tail(res.lane(13), a, a3i, w, wo + ws, kv, K);
        out[oi + 3 * N + 2] = f32Tail(res.lane(14), a, a3i, w, wo + 2 * ws, kv, K);
        out[oi + 3 * N + 3] = f32Tail(res.lane(15), a, a3i, w, wo + 3 * ws, kv, K);
    }

    static void f32Tile4x4Any(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        final long ws = (long) K * 4;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP), c11 = FloatVector.zero(SP), c12 = FloatVector.zero(SP), c13 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP), c21 = FloatVector.zero(SP), c22 = FloatVector.zero(SP), c23 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP), c31 = FloatVector.zero(SP), c32 = FloatVector.zero(SP), c33 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 4;
            final FloatVector b0 = FloatVector.fromMemorySegment(SP, w, o, LE);
            final FloatVector b1 = FloatVector.fromMemorySegment(SP, w, o + ws, LE);
            final FloatVector b2 = FloatVector.fromMemorySegment(SP, w, o + 2 * ws, LE);
            final FloatVector b3 = FloatVector.fromMemorySegment(SP, w, o + 3 * ws, LE);
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
        out[oi] = f32Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + 1] = f32Tail(reduce(c01), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = f32Tail(reduce(c02), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = f32Tail(reduce(c03), a, ai, w, wo + 3 * ws, kv, K);
        out[oi + N] = f32Tail(reduce(c10), a, a1i, w, wo, kv, K);
        out[oi + N + 1] = f32Tail(reduce(c11), a, a1i, w, wo + ws, kv, K);
        out[oi + N + 2] = f32Tail(reduce(c12), a, a1i, w, wo + 2 * ws, kv, K);
        out[oi + N + 3] = f32Tail(reduce(c13), a, a1i, w, wo + 3 * ws, kv, K);
        out[oi + 2 * N] = f32Tail(reduce(c20), a, a2i, w, wo, kv, K);
        out[oi + 2 * N + 1] = f32Tail(reduce(c21), a, a2i, w, wo + ws, kv, K);
        out[oi + 2 * N + 2] = f32Tail(reduce(c22), a, a2i, w, wo + 2 * ws, kv, K);
        out[oi + 2 * N + 3] = f32Tail(reduce(c23), a, a2i, w, wo + 3 * ws, kv, K);
        out[oi + 3 * N] = f32Tail(reduce(c30), a, a3i, w, wo, kv, K);
        out[oi + 3 * N + 1] = f32Tail(reduce(c31), a, a3i, w, wo + ws, kv, K);
        out[oi + 3 * N + 2] = f32Tail(reduce(c32), a, a3i, w, wo + 2 * ws, kv, K);
        out[oi + 3 * N + 3] = f32Tail(reduce(c33), a, a3i, w, wo + 3 * ws, kv, K);
    }

    static void f32Tile4x1(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        if (LANES != 16) {
            f32Tile4x1Any(a, ai, K, w, wo, out, oi, N);
            return;
        }
        final int kv = K & -LANES;
        FloatVector c00 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 4;
            final FloatVector b0 = FloatVector.fromMemorySegment(SP, w, o, LE);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            final FloatVector a1 = FloatVector.fromArray(SP, a, a1i + k);
            c10 = a1.fma(b0, c10);
            final FloatVector a2 = FloatVector.fromArray(SP, a, a2i + k);
            c20 = a2.fma(b0, c20);
            final FloatVector a3 = FloatVector.fromArray(SP, a, a3i + k);
            c30 = a3.fma(b0, c30);
        }
        // the reduce() tree of all accumulators at once, written out so C2 always inlines it
        final FloatVector h0 = HALF_LO.selectFrom(c00, c10).add(HALF_HI.selectFrom(c00, c10));
        final FloatVector h1 = HALF_LO.selectFrom(c20, c30).add(HALF_HI.selectFrom(c20, c30));
        final FloatVector q0 = QUARTER_LO.selectFrom(h0, h1).add(QUARTER_HI.selectFrom(h0, h1));
        final FloatVector e0 = EIGHTH_LO.selectFrom(q0, q0).add(EIGHTH_HI.selectFrom(q0, q0));
        final FloatVector res = EVEN.selectFrom(e0, e0).add(ODD.selectFrom(e0, e0));
        f32Finish4x1(res, a, ai, K, w, wo, kv, out, oi, N);
    }

    private static void f32Finish4x1(FloatVector res, float[] a, int ai, int K, MemorySegment w, long wo, int kv, float[] out, int oi, int N) {
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        out[oi] = f32Tail(res.lane(0), a, ai, w, wo, kv, K);
        out[oi + N] = f32Tail(res.lane(1), a, a1i, w, wo, kv, K);
        out[oi + 2 * N] = f32Tail(res.lane(2), a, a2i, w, wo, kv, K);
        out[oi + 3 * N] = f32Tail(res.lane(3), a, a3i, w, wo, kv, K);
    }

    static void f32Tile4x1Any(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        FloatVector c00 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 4;
            final FloatVector b0 = FloatVector.fromMemorySegment(SP, w, o, LE);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            final FloatVector a1 = FloatVector.fromArray(SP, a, a1i + k);
            c10 = a1.fma(b0, c10);
            final FloatVector a2 = FloatVector.fromArray(SP, a, a2i + k);
            c20 = a2.fma(b0, c20);
            final FloatVector a3 = FloatVector.fromArray(SP, a, a3i + k);
            c30 = a3.fma(b0, c30);
        }
        out[oi] = f32Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + N] = f32Tail(reduce(c10), a, a1i, w, wo, kv, K);
        out[oi + 2 * N] = f32Tail(reduce(c20), a, a2i, w, wo, kv, K);
        out[oi + 3 * N] = f32Tail(reduce(c30), a, a3i, w, wo, kv, K);
    }

    static void f32Tile1x4(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        if (LANES != 16) {
            f32Tile1x4Any(a, ai, K, w, wo, out, oi, N);
            return;
        }
        final int kv = K & -LANES;
        final long ws = (long) K * 4;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 4;
            final FloatVector b0 = FloatVector.fromMemorySegment(SP, w, o, LE);
            final FloatVector b1 = FloatVector.fromMemorySegment(SP, w, o + ws, LE);
            final FloatVector b2 = FloatVector.fromMemorySegment(SP, w, o + 2 * ws, LE);
            final FloatVector b3 = FloatVector.fromMemorySegment(SP, w, o + 3 * ws, LE);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
        }
        // the reduce() tree of all accumulators at once, written out so C2 always inlines it
        final FloatVector h0 = HALF_LO.selectFrom(c00, c01).add(HALF_HI.selectFrom(c00, c01));
        final FloatVector h1 = HALF_LO.selectFrom(c02, c03).add(HALF_HI.selectFrom(c02, c03));
        final FloatVector q0 = QUARTER_LO.selectFrom(h0, h1).add(QUARTER_HI.selectFrom(h0, h1));
        final FloatVector e0 = EIGHTH_LO.selectFrom(q0, q0).add(EIGHTH_HI.selectFrom(q0, q0));
        final FloatVector res = EVEN.selectFrom(e0, e0).add(ODD.selectFrom(e0, e0));
        if (kv == K) {
            ((FloatVector) res.reinterpretShape(SP4, 0)).intoArray(out, oi);
            return;
        }
        f32Finish1x4(res, a, ai, K, w, wo, kv, out, oi, N);
    }

    private static void f32Finish1x4(FloatVector res, float[] a, int ai, int K, MemorySegment w, long wo, int kv, float[] out, int oi, int N) {
        final long ws = (long) K * 4;
        out[oi] = f32Tail(res.lane(0), a, ai, w, wo, kv, K);
        out[oi + 1] = f32Tail(res.lane(1), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = f32Tail(res.lane(2), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = f32Tail(res.lane(3), a, ai, w, wo + 3 * ws, kv, K);
    }

    static void f32Tile1x4Any(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        final long ws = (long) K * 4;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 4;
            final FloatVector b0 = FloatVector.fromMemorySegment(SP, w, o, LE);
            final FloatVector b1 = FloatVector.fromMemorySegment(SP, w, o + ws, LE);
            final FloatVector b2 = FloatVector.fromMemorySegment(SP, w, o + 2 * ws, LE);
            final FloatVector b3 = FloatVector.fromMemorySegment(SP, w, o + 3 * ws, LE);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
        }
        out[oi] = f32Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + 1] = f32Tail(reduce(c01), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = f32Tail(reduce(c02), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = f32Tail(reduce(c03), a, ai, w, wo + 3 * ws, kv, K);
    }

    static void f32Tile1x1(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        FloatVector c00 = FloatVector.zero(SP);
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 4;
            final FloatVector b0 = FloatVector.fromMemorySegment(SP, w, o, LE);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
        }
        out[oi] = f32Tail(reduce(c00), a, ai, w, wo, kv, K);
    }

    static void bf16Tile4x4(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        if (LANES != 16) {
            bf16Tile4x4Any(a, ai, K, w, wo, out, oi, N);
            return;
        }
        final int kv = K & -LANES;
        final long ws = (long) K * 2;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP), c11 = FloatVector.zero(SP), c12 = FloatVector.zero(SP), c13 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP), c21 = FloatVector.zero(SP), c22 = FloatVector.zero(SP), c23 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP), c31 = FloatVector.zero(SP), c32 = FloatVector.zero(SP), c33 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 2;
            final FloatVector b0 = bf16(w, o);
            final FloatVector b1 = bf16(w, o + ws);
            final FloatVector b2 = bf16(w, o + 2 * ws);
            final FloatVector b3 = bf16(w, o + 3 * ws);
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
        // the reduce() tree of all accumulators at once, written out so C2 always inlines it
        final FloatVector h0 = HALF_LO.selectFrom(c00, c01).add(HALF_HI.selectFrom(c00, c01));
        final FloatVector h1 = HALF_LO.selectFrom(c02, c03).add(HALF_HI.selectFrom(c02, c03));
        final FloatVector h2 = HALF_LO.selectFrom(c10, c11).add(HALF_HI.selectFrom(c10, c11));
        final FloatVector h3 = HALF_LO.selectFrom(c12, c13).add(HALF_HI.selectFrom(c12, c13));
        final FloatVector h4 = HALF_LO.selectFrom(c20, c21).add(HALF_HI.selectFrom(c20, c21));
        final FloatVector h5 = HALF_LO.selectFrom(c22, c23).add(HALF_HI.selectFrom(c22, c23));
        final FloatVector h6 = HALF_LO.selectFrom(c30, c31).add(HALF_HI.selectFrom(c30, c31));
        final FloatVector h7 = HALF_LO.selectFrom(c32, c33).add(HALF_HI.selectFrom(c32, c33));
        final FloatVector q0 = QUARTER_LO.selectFrom(h0, h1).add(QUARTER_HI.selectFrom(h0, h1));
        final FloatVector q1 = QUARTER_LO.selectFrom(h2, h3).add(QUARTER_HI.selectFrom(h2, h3));
        final FloatVector q2 = QUARTER_LO.selectFrom(h4, h5).add(QUARTER_HI.selectFrom(h4, h5));
        final FloatVector q3 = QUARTER_LO.selectFrom(h6, h7).add(QUARTER_HI.selectFrom(h6, h7));
        final FloatVector e0 = EIGHTH_LO.selectFrom(q0, q1).add(EIGHTH_HI.selectFrom(q0, q1));
        final FloatVector e1 = EIGHTH_LO.selectFrom(q2, q3).add(EIGHTH_HI.selectFrom(q2, q3));
        final FloatVector res = EVEN.selectFrom(e0, e1).add(ODD.selectFrom(e0, e1));
        if (kv == K) {
            ((FloatVector) res.reinterpretShape(SP4, 0)).intoArray(out, oi);
            ((FloatVector) res.slice(4).reinterpretShape(SP4, 0)).intoArray(out, oi + N);
            ((FloatVector) res.slice(8).reinterpretShape(SP4, 0)).intoArray(out, oi + 2 * N);
            ((FloatVector) res.slice(12).reinterpretShape(SP4, 0)).intoArray(out, oi + 3 * N);
            return;
        }
        bf16Finish4x4(res, a, ai, K, w, wo, kv, out, oi, N);
    }

    private static void bf16Finish4x4(FloatVector res, float[] a, int ai, int K, MemorySegment w, long wo, int kv, float[] out, int oi, int N) {
        final long ws = (long) K * 2;
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        out[oi] = bf16Tail(res.lane(0), a, ai, w, wo, kv, K);
        out[oi + 1] = bf16Tail(res.lane(1), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = bf16Tail(res.lane(2), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = bf16Tail(res.lane(3), a, ai, w, wo + 3 * ws, kv, K);
        out[oi + N] = bf16Tail(res.lane(4), a, a1i, w, wo, kv, K);
        out[oi + N + 1] = bf16Tail(res.lane(5), a, a1i, w, wo + ws, kv, K);
        out[oi + N + 2] = bf16Tail(res.lane(6), a, a1i, w, wo + 2 * ws, kv, K);
        out[oi + N + 3] = bf16Tail(res.lane(7), a, a1i, w, wo + 3 * ws, kv, K);
        out[oi + 2 * N] = bf16Tail(res.lane(8), a, a2i, w, wo, kv, K);
        out[oi + 2 * N + 1] = bf16Tail(res.lane(9), a, a2i, w, wo + ws, kv, K);
        out[oi + 2 * N + 2] = bf16Tail(res.lane(10), a, a2i, w, wo + 2 * ws, kv, K);
        out[oi + 2 * N + 3] = bf16Tail(res.lane(11), a, a2i, w, wo + 3 * ws, kv, K);
        out[oi + 3 * N] = bf16Tail(res.lane(12), a, a3i, w, wo, kv, K);
        out[oi + 3 * N + 1] = bf16Tail(res.lane(13), a, a3i, w, wo + ws, kv, K);
        out[oi + 3 * N + 2] = bf16Tail(res.lane(14), a, a3i, w, wo + 2 * ws, kv, K);
        out[oi + 3 * N + 3] = bf16Tail(res.lane(15), a, a3i, w, wo + 3 * ws, kv, K);
    }

    static void bf16Tile4x4Any(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        final long ws = (long) K * 2;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP), c11 = FloatVector.zero(SP), c12 = FloatVector.zero(SP), c13 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP), c21 = FloatVector.zero(SP), c22 = FloatVector.zero(SP), c23 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP), c31 = FloatVector.zero(SP), c32 = FloatVector.zero(SP), c33 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 2;
            final FloatVector b0 = bf16(w, o);
            final FloatVector b1 = bf16(w, o + ws);
            final FloatVector b2 = bf16(w, o + 2 * ws);
            final FloatVector b3 = bf16(w, o + 3 * ws);
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
        out[oi] = bf16Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + 1] = bf16Tail(reduce(c01), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = bf16Tail(reduce(c02), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = bf16Tail(reduce(c03), a, ai, w, wo + 3 * ws, kv, K);
        out[oi + N] = bf16Tail(reduce(c10), a, a1i, w, wo, kv, K);
        out[oi + N + 1] = bf16Tail(reduce(c11), a, a1i, w, wo + ws, kv, K);
        out[oi + N + 2] = bf16Tail(reduce(c12), a, a1i, w, wo + 2 * ws, kv, K);
        out[oi + N + 3] = bf16Tail(reduce(c13), a, a1i, w, wo + 3 * ws, kv, K);
        out[oi + 2 * N] = bf16Tail(reduce(c20), a, a2i, w, wo, kv, K);
        out[oi + 2 * N + 1] = bf16Tail(reduce(c21), a, a2i, w, wo + ws, kv, K);
        out[oi + 2 * N + 2] = bf16Tail(reduce(c22), a, a2i, w, wo + 2 * ws, kv, K);
        out[oi + 2 * N + 3] = bf16Tail(reduce(c23), a, a2i, w, wo + 3 * ws, kv, K);
        out[oi + 3 * N] = bf16Tail(reduce(c30), a, a3i, w, wo, kv, K);
        out[oi + 3 * N + 1] = bf16Tail(reduce(c31), a, a3i, w, wo + ws, kv, K);
        out[oi + 3 * N + 2] = bf16Tail(reduce(c32), a, a3i, w, wo + 2 * ws, kv, K);
        out[oi + 3 * N + 3] = bf16Tail(reduce(c33), a, a3i, w, wo + 3 * ws, kv, K);
    }

    static void bf16Tile4x1(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        if (LANES != 16) {
            bf16Tile4x1Any(a, ai, K, w, wo, out, oi, N);
            return;
        }
        final int kv = K & -LANES;
        FloatVector c00 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 2;
            final FloatVector b0 = bf16(w, o);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            final FloatVector a1 = FloatVector.fromArray(SP, a, a1i + k);
            c10 = a1.fma(b0, c10);
            final FloatVector a2 = FloatVector.fromArray(SP, a, a2i + k);
            c20 = a2.fma(b0, c20);
            final FloatVector a3 = FloatVector.fromArray(SP, a, a3i + k);
            c30 = a3.fma(b0, c30);
        }
        // the reduce() tree of all accumulators at once, written out so C2 always inlines it
        final FloatVector h0 = HALF_LO.selectFrom(c00, c10).add(HALF_HI.selectFrom(c00, c10));
        final FloatVector h1 = HALF_LO.selectFrom(c20, c30).add(HALF_HI.selectFrom(c20, c30));
        final FloatVector q0 = QUARTER_LO.selectFrom(h0, h1).add(QUARTER_HI.selectFrom(h0, h1));
        final FloatVector e0 = EIGHTH_LO.selectFrom(q0, q0).add(EIGHTH_HI.selectFrom(q0, q0));
        final FloatVector res = EVEN.selectFrom(e0, e0).add(ODD.selectFrom(e0, e0));
        bf16Finish4x1(res, a, ai, K, w, wo, kv, out, oi, N);
    }

    private static void bf16Finish4x1(FloatVector res, float[] a, int ai, int K, MemorySegment w, long wo, int kv, float[] out, int oi, int N) {
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        out[oi] = bf16Tail(res.lane(0), a, ai, w, wo, kv, K);
        out[oi + N] = bf16Tail(res.lane(1), a, a1i, w, wo, kv, K);
        out[oi + 2 * N] = bf16Tail(res.lane(2), a, a2i, w, wo, kv, K);
        out[oi + 3 * N] = bf16Tail(res.lane(3), a, a3i, w, wo, kv, K);
    }

    static void bf16Tile4x1Any(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        FloatVector c00 = FloatVector.zero(SP);
        FloatVector c10 = FloatVector.zero(SP);
        FloatVector c20 = FloatVector.zero(SP);
        FloatVector c30 = FloatVector.zero(SP);
        final int a1i = ai + 1 * K;
        final int a2i = ai + 2 * K;
        final int a3i = ai + 3 * K;
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 2;
            final FloatVector b0 = bf16(w, o);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            final FloatVector a1 = FloatVector.fromArray(SP, a, a1i + k);
            c10 = a1.fma(b0, c10);
            final FloatVector a2 = FloatVector.fromArray(SP, a, a2i + k);
            c20 = a2.fma(b0, c20);
            final FloatVector a3 = FloatVector.fromArray(SP, a, a3i + k);
            c30 = a3.fma(b0, c30);
        }
        out[oi] = bf16Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + N] = bf16Tail(reduce(c10), a, a1i, w, wo, kv, K);
        out[oi + 2 * N] = bf16Tail(reduce(c20), a, a2i, w, wo, kv, K);
        out[oi + 3 * N] = bf16Tail(reduce(c30), a, a3i, w, wo, kv, K);
    }

    static void bf16Tile1x4(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        if (LANES != 16) {
            bf16Tile1x4Any(a, ai, K, w, wo, out, oi, N);
            return;
        }
        final int kv = K & -LANES;
        final long ws = (long) K * 2;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 2;
            final FloatVector b0 = bf16(w, o);
            final FloatVector b1 = bf16(w, o + ws);
            final FloatVector b2 = bf16(w, o + 2 * ws);
            final FloatVector b3 = bf16(w, o + 3 * ws);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
        }
        // the reduce() tree of all accumulators at once, written out so C2 always inlines it
        final FloatVector h0 = HALF_LO.selectFrom(c00, c01).add(HALF_HI.selectFrom(c00, c01));
        final FloatVector h1 = HALF_LO.selectFrom(c02, c03).add(HALF_HI.selectFrom(c02, c03));
        final FloatVector q0 = QUARTER_LO.selectFrom(h0, h1).add(QUARTER_HI.selectFrom(h0, h1));
        final FloatVector e0 = EIGHTH_LO.selectFrom(q0, q0).add(EIGHTH_HI.selectFrom(q0, q0));
        final FloatVector res = EVEN.selectFrom(e0, e0).add(ODD.selectFrom(e0, e0));
        if (kv == K) {
            ((FloatVector) res.reinterpretShape(SP4, 0)).intoArray(out, oi);
            return;
        }
        bf16Finish1x4(res, a, ai, K, w, wo, kv, out, oi, N);
    }

    private static void bf16Finish1x4(FloatVector res, float[] a, int ai, int K, MemorySegment w, long wo, int kv, float[] out, int oi, int N) {
        final long ws = (long) K * 2;
        out[oi] = bf16Tail(res.lane(0), a, ai, w, wo, kv, K);
        out[oi + 1] = bf16Tail(res.lane(1), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = bf16Tail(res.lane(2), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = bf16Tail(res.lane(3), a, ai, w, wo + 3 * ws, kv, K);
    }

    static void bf16Tile1x4Any(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        final long ws = (long) K * 2;
        FloatVector c00 = FloatVector.zero(SP), c01 = FloatVector.zero(SP), c02 = FloatVector.zero(SP), c03 = FloatVector.zero(SP);
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 2;
            final FloatVector b0 = bf16(w, o);
            final FloatVector b1 = bf16(w, o + ws);
            final FloatVector b2 = bf16(w, o + 2 * ws);
            final FloatVector b3 = bf16(w, o + 3 * ws);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
        }
        out[oi] = bf16Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + 1] = bf16Tail(reduce(c01), a, ai, w, wo + ws, kv, K);
        out[oi + 2] = bf16Tail(reduce(c02), a, ai, w, wo + 2 * ws, kv, K);
        out[oi + 3] = bf16Tail(reduce(c03), a, ai, w, wo + 3 * ws, kv, K);
    }

    static void bf16Tile1x1(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
        final int kv = K & -LANES;
        FloatVector c00 = FloatVector.zero(SP);
        for (int k = 0; k < kv; k += LANES) {
            final long o = wo + (long) k * 2;
            final FloatVector b0 = bf16(w, o);
            final FloatVector a0 = FloatVector.fromArray(SP, a, ai + k);
            c00 = a0.fma(b0, c00);
        }
        out[oi] = bf16Tail(reduce(c00), a, ai, w, wo, kv, K);
    }
}
