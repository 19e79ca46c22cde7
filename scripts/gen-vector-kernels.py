#!/usr/bin/env python3
"""Writes VectorKernels.java: the register tiles of VectorMatmul, F32 and BF16 weights, shape by shape.

Every tile computes its outputs in the one order VectorMatmulReference.dot spells out in scalar code (LANES-lane
fused multiply-add accumulators, a fixed pairwise tree over the lanes, a scalar tail), so an output's bits never depend
on the tile; VectorMatmulTest checks each tile against it bit for bit. The tiles are written out with one variable per
register, because C2 inlines the Vector API only into methods small and plain enough (docs/ARCHITECTURE.md,
"Matrix-multiply backends"); a loop over accumulators in an array would box every vector.

Run from anywhere after editing this script (never edit VectorKernels.java by hand):
    python3 scripts/gen-vector-kernels.py            # rewrites engine/src/main/java/.../tensor/VectorKernels.java
    python3 scripts/gen-vector-kernels.py DIR        # writes DIR/VectorKernels.java instead (GeneratedSourcesTest)
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "engine/src/main/java/io/specrej/engine/tensor/VectorKernels.java"

# The hand-written part: the class, its constants, reduce() and the scalar tails the tiles share.
PROLOGUE = r'''
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

'''[1:]

# dtype -> (bytes per weight, the Java expression loading LANES weights at byte offset {o} as floats)
DTYPES = {
    "f32": (4, "FloatVector.fromMemorySegment(SP, w, {o}, LE)"),
    "bf16": (2, "bf16(w, {o})"),
}
# (input rows, weight rows) of each tile, in file order; 1x1 has no LANES == 16 variant.
SHAPES = [(4, 4), (4, 1), (1, 4), (1, 1)]
SIGNATURE = "(float[] a, int ai, int K, MemorySegment w, long wo, float[] out, int oi, int N)"
FINISH_SIGNATURE = ("(FloatVector res, float[] a, int ai, int K, MemorySegment w, long wo, int kv, float[] out, "
                    "int oi, int N)")


def times(i, name):
    """The offset of row i: name, 2 * name, ... ('' for row 0)."""
    return "" if i == 0 else name if i == 1 else f"{i} * {name}"


def plus(base, i, name):
    t = times(i, name)
    return base if not t else f"{base} + {t}"


def out_index(r, c):
    index = plus("oi", r, "N")
    return index if c == 0 else f"{index} + {c}"


def input_row(r):
    return "ai" if r == 0 else f"a{r}i"


def head(rows, cols, size):
    """kv, the weight-row stride and the accumulators of a tile, as its kernel and its 'Any' twin start."""
    lines = ["        final int kv = K & -LANES;"]
    if cols > 1:
        lines.append(f"        final long ws = (long) K * {size};")
    for r in range(rows):
        lines.append("        FloatVector " + ", ".join(f"c{r}{c} = FloatVector.zero(SP)" for c in range(cols)) + ";")
    return lines


def input_rows(rows):
    return [f"        final int a{r}i = ai + {r} * K;" for r in range(1, rows)]


def main_loop(rows, cols, size, load):
    lines = ["        for (int k = 0; k < kv; k += LANES) {",
             f"            final long o = wo + (long) k * {size};"]
    for c in range(cols):
        lines.append(f"            final FloatVector b{c} = {load.format(o=plus('o', c, 'ws'))};")
    for r in range(rows):
        lines.append(f"            final FloatVector a{r} = FloatVector.fromArray(SP, a, {input_row(r)} + k);")
        for c in range(cols):
            lines.append(f"            c{r}{c} = a{r}.fma(b{c}, c{r}{c});")
    lines.append("        }")
    return lines


def reduce_tree(rows, cols):
    """reduce()'s tree for all accumulators at once: each level adds lanes s apart for s = 8, 4, 2, 1."""
    level = [f"c{r}{c}" for r in range(rows) for c in range(cols)]
    lines = ["        // the reduce() tree of all accumulators at once, written out so C2 always inlines it"]
    for prefix, lo, hi in (("h", "HALF_LO", "HALF_HI"), ("q", "QUARTER_LO", "QUARTER_HI"),
                           ("e", "EIGHTH_LO", "EIGHTH_HI"), ("res", "EVEN", "ODD")):
        pairs = [(level[i], level[i + 1]) for i in range(0, len(level), 2)] if len(level) > 1 else [(level[0],) * 2]
        names = ["res"] if prefix == "res" else [f"{prefix}{i}" for i in range(len(pairs))]
        for name, (x, y) in zip(names, pairs):
            lines.append(f"        final FloatVector {name} = {lo}.selectFrom({x}, {y}).add({hi}.selectFrom({x}, {y}));")
        level = names
    return lines


def tail_lines(dtype, rows, cols, value):
    return [f"        out[{out_index(r, c)}] = {dtype}Tail({value(r, c)}, a, {input_row(r)}, w, {plus('wo', c, 'ws')}, kv, K);"
            for r in range(rows) for c in range(cols)]


def fast_tile(dtype, rows, cols):
    size, load = DTYPES[dtype]
    name = f"{dtype}Tile{rows}x{cols}"
    lines = [f"    static void {name}{SIGNATURE} {{",
             "        if (LANES != 16) {",
             f"            {name}Any(a, ai, K, w, wo, out, oi, N);",
             "            return;",
             "        }"]
    lines += head(rows, cols, size) + input_rows(rows) + main_loop(rows, cols, size, load) + reduce_tree(rows, cols)
    if cols > 1:  # whole rows of four outputs go straight from the tree's lanes to memory
        lines.append("        if (kv == K) {")
        for r in range(rows):
            res = "res" if r == 0 else f"res.slice({4 * r})"
            lines.append(f"            ((FloatVector) {res}.reinterpretShape(SP4, 0)).intoArray(out, {plus('oi', r, 'N')});")
        lines += ["            return;", "        }"]
    lines.append(f"        {dtype}Finish{rows}x{cols}(res, a, ai, K, w, wo, kv, out, oi, N);")
    lines.append("    }")
    lines.append("")
    lines.append(f"    private static void {dtype}Finish{rows}x{cols}{FINISH_SIGNATURE} {{")
    if cols > 1:
        lines.append(f"        final long ws = (long) K * {size};")
    lines += input_rows(rows)
    lines += tail_lines(dtype, rows, cols, lambda r, c: f"res.lane({r * cols + c})")
    lines.append("    }")
    return lines


def any_tile(dtype, rows, cols, name):
    size, load = DTYPES[dtype]
    lines = [f"    static void {name}{SIGNATURE} {{"]
    lines += head(rows, cols, size) + input_rows(rows) + main_loop(rows, cols, size, load)
    lines += tail_lines(dtype, rows, cols, lambda r, c: f"reduce(c{r}{c})")
    lines.append("    }")
    return lines


def generate():
    methods = []
    for dtype in DTYPES:
        for rows, cols in SHAPES:
            if (rows, cols) == (1, 1):
                methods.append(any_tile(dtype, rows, cols, f"{dtype}Tile1x1"))
            else:
                methods.append(fast_tile(dtype, rows, cols))
                methods.append(any_tile(dtype, rows, cols, f"{dtype}Tile{rows}x{cols}Any"))
    return PROLOGUE + "\n".join("\n".join(m) + "\n" for m in methods) + "}\n"


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) / TARGET.name if len(sys.argv) > 1 else TARGET
    target.write_text(generate())
