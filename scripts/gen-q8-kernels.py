#!/usr/bin/env python3
"""Writes Q8Kernels.java: the register tiles of Q8Matmul over Q8Weight's interleaved 8-bit blocks, shape by shape.

Each lane of a vector is one weight row, so every tile computes an output in exactly the arithmetic that
Q8Weight.referenceDot spells out in scalar code; Q8MatmulTest checks every tile against it bit for bit. The tiles are
written out with one variable per register because C2 inlines the Vector API only into small, plain methods
(docs/ARCHITECTURE.md, "Matrix-multiply backends").

Run from anywhere after editing this script (never edit Q8Kernels.java by hand):
    python3 scripts/gen-q8-kernels.py            # rewrites engine/src/main/java/.../tensor/Q8Kernels.java
    python3 scripts/gen-q8-kernels.py DIR        # writes DIR/Q8Kernels.java instead (GeneratedSourcesTest)
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "engine/src/main/java/io/specrej/engine/tensor/Q8Kernels.java"

# The hand-written part: the class, its constants and the widening load the tiles share.
PROLOGUE = r'''
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

'''[1:]

# (input rows, groups of weight rows) of each tile, in file order
SHAPES = [(1, 8), (1, 1), (4, 3), (4, 2), (4, 1)]


def plus(base, i, name):
    """base, base + name, base + 2 * name, ..."""
    return base if i == 0 else f"{base} + {name}" if i == 1 else f"{base} + {i} * {name}"


def input_row(r):
    return "ai" if r == 0 else f"a{r}i"


def vectors(prefix, rows, groups, indent):
    return [" " * indent + "FloatVector " + ", ".join(f"{prefix}{r}{t} = FloatVector.zero(SP)" for t in range(groups))
            + ";" for r in range(rows)]


def tile(rows, groups):
    what = "Input row r" if rows == 1 else f"Input rows [r, r+{rows})"
    against = "group g" if groups == 1 else f"groups [g, g+{groups})"
    lines = [f"    /** {what} (from {{@code a[ai]}}) against {against}; writes {{@code out[oi + i * N + t * GROUP + lane]}}. */",
             f"    static void tile{rows}x{groups}(float[] a, int ai, int K, Q8Weight w, int g, float[] out, int oi, int N) {{",
             "        final MemorySegment qs = w.quants;",
             "        final float[] sc = w.scales;",
             "        final int blocks = K / BLOCK;",
             "        final long qStride = (long) K * GROUP;",
             "        final int sStride = blocks * GROUP;",
             "        final long q0 = g * qStride;",
             "        final int s0 = g * sStride;"]
    lines += [f"        final int a{r}i = ai + {r} * K;" for r in range(1, rows)]
    lines += vectors("c", rows, groups, 8)
    lines.append("        for (int b = 0; b < blocks; b++) {")
    lines += vectors("p", rows, groups, 12)
    lines += ["            for (int k = b * BLOCK, end = k + BLOCK; k < end; k++) {",
              "                final long o = q0 + (long) k * GROUP;"]
    if rows == 1:  # one input row: each column of codes is used once, straight from the load
        lines.append("                final FloatVector x0 = FloatVector.broadcast(SP, a[ai + k]);")
        lines += [f"                p0{t} = x0.fma(bytes(qs, {plus('o', t, 'qStride')}), p0{t});" for t in range(groups)]
    else:  # several input rows: load each column of codes once, use it for every row
        lines += [f"                final FloatVector w{t} = bytes(qs, {plus('o', t, 'qStride')});" for t in range(groups)]
        for r in range(rows):
            lines.append(f"                final FloatVector x{r} = FloatVector.broadcast(SP, a[{input_row(r)} + k]);")
            lines += [f"                p{r}{t} = x{r}.fma(w{t}, p{r}{t});" for t in range(groups)]
    lines += ["            }",
              "            final int so = s0 + b * GROUP;"]
    for t in range(groups):
        lines.append(f"            final FloatVector d{t} = FloatVector.fromArray(SP, sc, {plus('so', t, 'sStride')});")
        lines += [f"            c{r}{t} = p{r}{t}.fma(d{t}, c{r}{t});" for r in range(rows)]
    lines.append("        }")
    lines += [f"        c{r}{t}.intoArray(out, {plus(plus('oi', r, 'N'), t, 'GROUP')});"
              for r in range(rows) for t in range(groups)]
    lines.append("    }")
    return lines


def generate():
    return PROLOGUE + "\n".join("\n".join(tile(rows, groups)) + "\n" for rows, groups in SHAPES) + "}\n"


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) / TARGET.name if len(sys.argv) > 1 else TARGET
    target.write_text(generate())
