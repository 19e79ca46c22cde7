// What LogProbs.of costs on one Qwen2.5-sized logit row (151,936 logits), in cache, one thread: the scalar version it
// had before session 5 (copied here) and the current one (the engine's VectorOps.max and Exp.sumExpShifted). Run:
//   java --add-modules jdk.incubator.vector -XX:-TieredCompilation -cp engine/target/classes docs/perf/LogProbsCost.java
import io.specrej.engine.tensor.Exp;
import io.specrej.engine.tensor.VectorOps;

public class LogProbsCost {
    static double scalar(float[] logits, int off, int vocab, int token) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[off + i] - max);
        return logits[off + token] - max - Math.log(sum);
    }

    static double vectorised(float[] logits, int off, int vocab, int token) {
        float max = VectorOps.max(logits, off, vocab);
        return logits[off + token] - max - Math.log(Exp.sumExpShifted(logits, off, vocab, max));
    }

    public static void main(String[] a) {
        float[] x = new float[151936]; java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 3;
        double s = 0, worst = 0;
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) s += scalar(x, 0, x.length, i);
            long t1 = System.nanoTime();
            for (int i = 0; i < 200; i++) s += vectorised(x, 0, x.length, i);
            long t2 = System.nanoTime();
            System.out.printf("scalar %.3f ms per row, vectorised %.3f ms per row%n", (t1 - t0) / 200 / 1e6, (t2 - t1) / 200 / 1e6);
        }
        for (int i = 0; i < 1000; i++) worst = Math.max(worst, Math.abs(scalar(x, 0, x.length, i) - vectorised(x, 0, x.length, i)));
        System.out.println("largest difference between the two: " + worst + " (checksum " + s + ")");
    }
}
