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
    // used when LANES == 16 to run the reduce() tree of 4 or 16 accumulators at once, lanewise.
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

    /** Tree step s=8 for two accumulators: lanes 0-7 hold a's partial sums, lanes 8-15 b's. */
    private static FloatVector halves(FloatVector a, FloatVector b) {
        return HALF_LO.selectFrom(a, b).add(HALF_HI.selectFrom(a, b));
    }

    /** Tree step s=4 for the outputs of two halves(): 4 lanes per accumulator, in order. */
    private static FloatVector quarters(FloatVector x, FloatVector y) {
        return QUARTER_LO.selectFrom(x, y).add(QUARTER_HI.selectFrom(x, y));
    }

    /** Tree step s=2 for the outputs of two quarters(): 2 lanes per accumulator, in order. */
    private static FloatVector eighths(FloatVector x, FloatVector y) {
        return EIGHTH_LO.selectFrom(x, y).add(EIGHTH_HI.selectFrom(x, y));
    }

    /** Tree step s=1 for the outputs of two eighths(): lane i is accumulator i's sum. */
    private static FloatVector lasts(FloatVector x, FloatVector y) {
        return EVEN.selectFrom(x, y).add(ODD.selectFrom(x, y));
    }

    /** {@code reduce()} of four accumulators (LANES == 16 only), bitwise, in lanes 0..3. */
    static FloatVector reduce4(FloatVector c0, FloatVector c1, FloatVector c2, FloatVector c3) {
        FloatVector q = quarters(halves(c0, c1), halves(c2, c3));
        FloatVector e = eighths(q, q);
        return lasts(e, e);
    }

    /** {@code reduce()} of sixteen accumulators (LANES == 16 only), bitwise, lane i for argument i. */
    static FloatVector reduce16(FloatVector c0, FloatVector c1, FloatVector c2, FloatVector c3,
            FloatVector c4, FloatVector c5, FloatVector c6, FloatVector c7,
            FloatVector c8, FloatVector c9, FloatVector c10, FloatVector c11,
            FloatVector c12, FloatVector c13, FloatVector c14, FloatVector c15) {
        FloatVector q0 = quarters(halves(c0, c1), halves(c2, c3));
        FloatVector q1 = quarters(halves(c4, c5), halves(c6, c7));
        FloatVector q2 = quarters(halves(c8, c9), halves(c10, c11));
        FloatVector q3 = quarters(halves(c12, c13), halves(c14, c15));
        return lasts(eighths(q0, q1), eighths(q2, q3));
    }

    /** Stores lanes {@code from .. from+3} of {@code v} to {@code out[at .. at+3]}. */
    static void store4(FloatVector v, int from, float[] out, int at) {
        FloatVector s = from == 0 ? v : v.slice(from);
        ((FloatVector) s.reinterpretShape(SP4, 0)).intoArray(out, at);
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
        if (LANES == 16) {
            final FloatVector res = reduce16(c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
            if (kv == K) {
                store4(res, 0, out, oi);
                store4(res, 4, out, oi + N);
                store4(res, 8, out, oi + 2 * N);
                store4(res, 12, out, oi + 3 * N);
                return;
            }
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
            return;
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
        if (LANES == 16) {
            final FloatVector res = reduce4(c00, c10, c20, c30);
            out[oi] = f32Tail(res.lane(0), a, ai, w, wo, kv, K);
            out[oi + N] = f32Tail(res.lane(1), a, a1i, w, wo, kv, K);
            out[oi + 2 * N] = f32Tail(res.lane(2), a, a2i, w, wo, kv, K);
            out[oi + 3 * N] = f32Tail(res.lane(3), a, a3i, w, wo, kv, K);
            return;
        }
        out[oi] = f32Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + N] = f32Tail(reduce(c10), a, a1i, w, wo, kv, K);
        out[oi + 2 * N] = f32Tail(reduce(c20), a, a2i, w, wo, kv, K);
        out[oi + 3 * N] = f32Tail(reduce(c30), a, a3i, w, wo, kv, K);
    }

    static void f32Tile1x4(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
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
        if (LANES == 16) {
            final FloatVector res = reduce4(c00, c01, c02, c03);
            if (kv == K) {
                store4(res, 0, out, oi);
                return;
            }
            out[oi] = f32Tail(res.lane(0), a, ai, w, wo, kv, K);
            out[oi + 1] = f32Tail(res.lane(1), a, ai, w, wo + ws, kv, K);
            out[oi + 2] = f32Tail(res.lane(2), a, ai, w, wo + 2 * ws, kv, K);
            out[oi + 3] = f32Tail(res.lane(3), a, ai, w, wo + 3 * ws, kv, K);
            return;
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
        if (LANES == 16) {
            final FloatVector res = reduce16(c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
            if (kv == K) {
                store4(res, 0, out, oi);
                store4(res, 4, out, oi + N);
                store4(res, 8, out, oi + 2 * N);
                store4(res, 12, out, oi + 3 * N);
                return;
            }
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
            return;
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
        if (LANES == 16) {
            final FloatVector res = reduce4(c00, c10, c20, c30);
            out[oi] = bf16Tail(res.lane(0), a, ai, w, wo, kv, K);
            out[oi + N] = bf16Tail(res.lane(1), a, a1i, w, wo, kv, K);
            out[oi + 2 * N] = bf16Tail(res.lane(2), a, a2i, w, wo, kv, K);
            out[oi + 3 * N] = bf16Tail(res.lane(3), a, a3i, w, wo, kv, K);
            return;
        }
        out[oi] = bf16Tail(reduce(c00), a, ai, w, wo, kv, K);
        out[oi + N] = bf16Tail(reduce(c10), a, a1i, w, wo, kv, K);
        out[oi + 2 * N] = bf16Tail(reduce(c20), a, a2i, w, wo, kv, K);
        out[oi + 3 * N] = bf16Tail(reduce(c30), a, a3i, w, wo, kv, K);
    }

    static void bf16Tile1x4(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N) {
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
        if (LANES == 16) {
            final FloatVector res = reduce4(c00, c01, c02, c03);
            if (kv == K) {
                store4(res, 0, out, oi);
                return;
            }
            out[oi] = bf16Tail(res.lane(0), a, ai, w, wo, kv, K);
            out[oi + 1] = bf16Tail(res.lane(1), a, ai, w, wo + ws, kv, K);
            out[oi + 2] = bf16Tail(res.lane(2), a, ai, w, wo + 2 * ws, kv, K);
            out[oi + 3] = bf16Tail(res.lane(3), a, ai, w, wo + 3 * ws, kv, K);
            return;
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
