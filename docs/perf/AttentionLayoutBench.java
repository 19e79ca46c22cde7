// Scores of one page (16 keys) per query-head group: per-key dot products with a butterfly lane sum (the old key
// layout) vs keys stored transposed (lanes over the 16 keys). Run:
//   java --add-modules jdk.incubator.vector -XX:-TieredCompilation docs/perf/AttentionLayoutBench.java
import jdk.incubator.vector.*;
public class AttentionLayoutBench {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final VectorShuffle<Float>[] BF = new VectorShuffle[4];
    static { for (int s = 0, h = 8; h >= 1; s++, h /= 2) { final int hh = h; BF[s] = VectorShuffle.fromOp(S, i -> i ^ hh); } }
    static float sum(FloatVector v) { for (VectorShuffle<Float> b : BF) v = v.add(v.rearrange(b)); return v.lane(0); }
    static float dot(float[] a, int ao, float[] b, int bo, int n) { FloatVector acc = FloatVector.zero(S); for (int i = 0; i < n; i += 16) acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc); return sum(acc); }
    // old: keys [slot][kvDim] ; scores[r*16+s]
    static void old(float[] q, float[] page, int hd, int group, float[] out) {
        for (int s = 0; s < 16; s++) for (int r = 0; r < group; r++) out[r * 16 + s] = dot(q, r * hd, page, s * hd, hd);
    }
    // transposed: keys [d][slot]
    static void trans(float[] q, float[] pageT, int hd, int group, float[] out) {
        for (int r = 0; r < group; r++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int qo = r * hd;
            for (int d = 0; d < hd; d += 4) {
                a0 = FloatVector.fromArray(S, pageT, d * 16).fma(FloatVector.broadcast(S, q[qo + d]), a0);
                a1 = FloatVector.fromArray(S, pageT, (d + 1) * 16).fma(FloatVector.broadcast(S, q[qo + d + 1]), a1);
                a2 = FloatVector.fromArray(S, pageT, (d + 2) * 16).fma(FloatVector.broadcast(S, q[qo + d + 2]), a2);
                a3 = FloatVector.fromArray(S, pageT, (d + 3) * 16).fma(FloatVector.broadcast(S, q[qo + d + 3]), a3);
            }
            a0.add(a1).add(a2.add(a3)).intoArray(out, r * 16);
        }
    }
    public static void main(String[] x) {
        for (int[] cfg : new int[][]{{64, 7}, {128, 2}}) {
            int hd = cfg[0], group = cfg[1];
            float[] q = new float[hd * group], page = new float[16 * hd], out = new float[16 * group];
            java.util.Random rnd = new java.util.Random(1);
            for (int i = 0; i < q.length; i++) q[i] = rnd.nextFloat();
            for (int i = 0; i < page.length; i++) page[i] = rnd.nextFloat();
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime(); for (int i = 0; i < 2_000_000; i++) old(q, page, hd, group, out); long t1 = System.nanoTime();
                for (int i = 0; i < 2_000_000; i++) trans(q, page, hd, group, out); long t2 = System.nanoTime();
                System.out.printf("hd=%d group=%d old %.1f ns/page, transposed %.1f ns/page%n", hd, group, (t1 - t0) / 2e6, (t2 - t1) / 2e6);
            }
        }
    }
}
