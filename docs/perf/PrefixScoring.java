import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.TransformerModel;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Reward-model scoring after a long shared prompt, as ModelRewardScorer does it: the prompt prefilled once (and given
 * its bf16 copy when the model takes one), then N forks fed M response tokens each in one forward pass. Prints the
 * median seconds of the forward over the responses and its tokens per second. Session 7; run with
 * -Dspecrej.attention.prefixGemmFrom=off for the float32 pages.
 *
 *   javac -cp "$CP" -d /tmp/ps docs/perf/PrefixScoring.java
 *   java --add-modules jdk.incubator.vector -cp /tmp/ps:"$CP" PrefixScoring /tmp/skywork-bf16 2048 16 64 5
 */
public final class PrefixScoring {
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int promptLength = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        int m = Integer.parseInt(args[3]);
        int runs = Integer.parseInt(args[4]);
        try (TransformerModel model = TransformerModel.load(dir)) {
            SplittableRandom random = new SplittableRandom(1);
            int vocab = model.config().vocabSize();
            int[] prompt = random.ints(promptLength, 0, vocab).toArray();
            KvCache cache = model.newCache();
            int shared = cache.newSequence();
            model.forwardLast(cache, new int[] {shared}, new int[] {0, promptLength}, 1, prompt);
            boolean copy = model.attachPrefix(cache, shared);
            int[] tokens = random.ints((long) n * m, 0, vocab).toArray();
            int[] offsets = new int[n + 1];
            for (int i = 0; i < n; i++) {
                offsets[i + 1] = (i + 1) * m;
            }
            double[] seconds = new double[runs + 1];
            for (int run = 0; run <= runs; run++) { // run 0 warms up
                int[] ids = cache.fork(shared, n);
                long t0 = System.nanoTime();
                model.forwardLast(cache, ids, offsets, n, tokens);
                seconds[run] = (System.nanoTime() - t0) / 1e9;
                for (int id : ids) {
                    cache.remove(id);
                }
            }
            double[] measured = java.util.Arrays.copyOfRange(seconds, 1, runs + 1);
            java.util.Arrays.sort(measured);
            double median = measured[runs / 2];
            System.out.printf("prompt %d, %d x %d tokens, copy %s: median %.3f s, %.1f tokens/s (runs %s)%n",
                    promptLength, n, m, copy, median, n * m / median, java.util.Arrays.toString(measured));
        }
    }
}
