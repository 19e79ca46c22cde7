// Scoring one page of 16 transposed keys for 4 query heads (head_dim 64): the kept kernel (one page, four accumulator
// chains per head) vs a tried one (two pages per pass, two chains per head), over 128 pages in cache. Run:
//   java --add-modules jdk.incubator.vector -XX:-TieredCompilation docs/perf/attention/ScoreBench.java
// Faster alone, no gain inside attention (docs/PERFORMANCE.md, "Tried and rejected").
import jdk.incubator.vector.*;
public class ScoreBench {
    static final VectorSpecies<Float> SP = FloatVector.SPECIES_512;
    static final int HD = 64, PT = 16;
    // current: 4 heads, one page, 4 chains
    static void score4(float[] q, int qo, float[] page, int keys, float[] out, int at) {
        int qb = qo + HD, qc = qb + HD, qd = qc + HD;
        FloatVector a0 = FloatVector.zero(SP), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
        for (int d = 0; d < HD; d += 4) {
            int e = keys + d * PT;
            FloatVector k0 = FloatVector.fromArray(SP, page, e), k1 = FloatVector.fromArray(SP, page, e + PT), k2 = FloatVector.fromArray(SP, page, e + 2 * PT), k3 = FloatVector.fromArray(SP, page, e + 3 * PT);
            a0 = k0.fma(FloatVector.broadcast(SP, q[qo + d]), a0); a1 = k1.fma(FloatVector.broadcast(SP, q[qo + d + 1]), a1); a2 = k2.fma(FloatVector.broadcast(SP, q[qo + d + 2]), a2); a3 = k3.fma(FloatVector.broadcast(SP, q[qo + d + 3]), a3);
            b0 = k0.fma(FloatVector.broadcast(SP, q[qb + d]), b0); b1 = k1.fma(FloatVector.broadcast(SP, q[qb + d + 1]), b1); b2 = k2.fma(FloatVector.broadcast(SP, q[qb + d + 2]), b2); b3 = k3.fma(FloatVector.broadcast(SP, q[qb + d + 3]), b3);
            c0 = k0.fma(FloatVector.broadcast(SP, q[qc + d]), c0); c1 = k1.fma(FloatVector.broadcast(SP, q[qc + d + 1]), c1); c2 = k2.fma(FloatVector.broadcast(SP, q[qc + d + 2]), c2); c3 = k3.fma(FloatVector.broadcast(SP, q[qc + d + 3]), c3);
            e0 = k0.fma(FloatVector.broadcast(SP, q[qd + d]), e0); e1 = k1.fma(FloatVector.broadcast(SP, q[qd + d + 1]), e1); e2 = k2.fma(FloatVector.broadcast(SP, q[qd + d + 2]), e2); e3 = k3.fma(FloatVector.broadcast(SP, q[qd + d + 3]), e3);
        }
        a0.add(a1).add(a2.add(a3)).intoArray(out, at); b0.add(b1).add(b2.add(b3)).intoArray(out, at + PT);
        c0.add(c1).add(c2.add(c3)).intoArray(out, at + 2 * PT); e0.add(e1).add(e2.add(e3)).intoArray(out, at + 3 * PT);
    }
    // candidate: 4 heads, two pages, 2 chains
    static void score4x2(float[] q, int qo, float[] pA, float[] pB, int keys, float[] out, int at) {
        int qb = qo + HD, qc = qb + HD, qd = qc + HD;
        FloatVector a0 = FloatVector.zero(SP), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        FloatVector A0 = a0, A1 = a0, B0 = a0, B1 = a0, C0 = a0, C1 = a0, E0 = a0, E1 = a0;
        for (int d = 0; d < HD; d += 2) {
            int e = keys + d * PT;
            FloatVector k0 = FloatVector.fromArray(SP, pA, e), k1 = FloatVector.fromArray(SP, pA, e + PT);
            FloatVector K0 = FloatVector.fromArray(SP, pB, e), K1 = FloatVector.fromArray(SP, pB, e + PT);
            FloatVector x = FloatVector.broadcast(SP, q[qo + d]), y = FloatVector.broadcast(SP, q[qo + d + 1]);
            a0 = k0.fma(x, a0); a1 = k1.fma(y, a1); A0 = K0.fma(x, A0); A1 = K1.fma(y, A1);
            x = FloatVector.broadcast(SP, q[qb + d]); y = FloatVector.broadcast(SP, q[qb + d + 1]);
            b0 = k0.fma(x, b0); b1 = k1.fma(y, b1); B0 = K0.fma(x, B0); B1 = K1.fma(y, B1);
            x = FloatVector.broadcast(SP, q[qc + d]); y = FloatVector.broadcast(SP, q[qc + d + 1]);
            c0 = k0.fma(x, c0); c1 = k1.fma(y, c1); C0 = K0.fma(x, C0); C1 = K1.fma(y, C1);
            x = FloatVector.broadcast(SP, q[qd + d]); y = FloatVector.broadcast(SP, q[qd + d + 1]);
            e0 = k0.fma(x, e0); e1 = k1.fma(y, e1); E0 = K0.fma(x, E0); E1 = K1.fma(y, E1);
        }
        a0.add(a1).intoArray(out, at); b0.add(b1).intoArray(out, at + PT); c0.add(c1).intoArray(out, at + 2 * PT); e0.add(e1).intoArray(out, at + 3 * PT);
        A0.add(A1).intoArray(out, at + 4 * PT); B0.add(B1).intoArray(out, at + 5 * PT); C0.add(C1).intoArray(out, at + 6 * PT); E0.add(E1).intoArray(out, at + 7 * PT);
    }
    public static void main(String[] args) {
        int pages = 128; float[][] pg = new float[pages][HD * PT * 2];
        java.util.Random r = new java.util.Random(1);
        for (float[] p : pg) for (int i = 0; i < p.length; i++) p[i] = (float) r.nextGaussian();
        float[] q = new float[8 * HD]; for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[] out = new float[8 * PT];
        for (int rep = 0; rep < 8; rep++) {
            long t0 = System.nanoTime();
            for (int it = 0; it < 2000; it++) for (int p = 0; p < pages; p++) score4(q, 0, pg[p], 0, out, 0);
            long t1 = System.nanoTime();
            for (int it = 0; it < 2000; it++) for (int p = 0; p < pages; p += 2) score4x2(q, 0, pg[p], pg[p + 1], 0, out, 0);
            long t2 = System.nanoTime();
            if (rep >= 5) System.out.printf("per page x 4 heads: current %.1f ns, two pages two chains %.1f ns%n", (t1 - t0) / 2000.0 / pages, (t2 - t1) / 2000.0 / pages);
        }
    }
}
