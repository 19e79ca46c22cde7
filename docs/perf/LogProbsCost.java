// The cost of engine LogProbs.of (copied) on one Qwen2.5-sized logit row, in cache, one thread. Run:
//   java -XX:-TieredCompilation docs/perf/LogProbsCost.java
public class LogProbsCost {
    static double of(float[] logits, int off, int vocab, int token) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[off + i] - max);
        return logits[off + token] - max - Math.log(sum);
    }
    public static void main(String[] a) {
        float[] x = new float[151936]; java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 3;
        double s = 0;
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) s += of(x, 0, x.length, i);
            System.out.printf("%.3f ms per row%n", (System.nanoTime() - t0) / 200 / 1e6);
        }
        System.out.println(s);
    }
}
