// One decode step's attention alone: all layers of a checkpoint's config, n tokens at the end of a long context,
// through CachedAttention (package-private, hence the package and the javac step). Run from the repository root:
//   CP=engine/target/classes:$(cd engine && mvn -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
//   javac --add-modules jdk.incubator.vector -cp "$CP" -d /tmp/attention-step docs/perf/attention/AttentionStep.java
//   java --add-modules jdk.incubator.vector -XX:-TieredCompilation -Dspecrej.threads=1 \
//       -cp /tmp/attention-step:"$CP" io.specrej.engine.model.AttentionStep /tmp/qwen05-bf16 2048 8 shared
// "shared": the n sequences share one set of pages (forked from one prompt, as in bench); otherwise each has its own.
// -Dreps=R: steps timed (default 20; the best is printed). -Dalias=K: page i of a sequence is its page i mod K (K = 1:
// every position reads the same page, so everything is in L1: what the arithmetic alone costs). -Dkv=bf16: a bfloat16
// cache (the same random keys and values rounded; pages shared or aliased the same way).
package io.specrej.engine.model;

import io.specrej.engine.cache.KvCache;
import java.nio.file.Path;
import java.util.Random;

public class AttentionStep {
    public static void main(String[] args) {
        ModelConfig c = ModelConfig.load(Path.of(args[0]));
        int context = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        boolean shared = args.length > 3 && args[3].equals("shared");
        int pageFloats = c.layers() * 2 * KvCache.PAGE_TOKENS * c.kvDim();
        int pagesPerSequence = (context + KvCache.PAGE_TOKENS - 1) / KvCache.PAGE_TOKENS;
        Random random = new Random(1);
        float[][][] pages = new float[n][][];
        for (int s = 0; s < n; s++) {
            if (shared && s > 0) {
                pages[s] = pages[0];
                continue;
            }
            pages[s] = new float[pagesPerSequence][pageFloats];
            int alias = Integer.getInteger("alias", 0);
            for (int i = alias; alias > 0 && i < pagesPerSequence; i++) {
                pages[s][i] = pages[s][i % alias];
            }
            for (float[] page : pages[s]) {
                for (int i = 0; i < page.length; i++) {
                    page[i] = (float) random.nextGaussian();
                }
            }
        }
        boolean bf16 = "bf16".equals(System.getProperty("kv"));
        short[][][] bf16Pages = null;
        if (bf16) {
            java.util.IdentityHashMap<float[], short[]> converted = new java.util.IdentityHashMap<>();
            bf16Pages = new short[n][][];
            for (int s = 0; s < n; s++) {
                bf16Pages[s] = new short[pagesPerSequence][];
                for (int i = 0; i < pagesPerSequence; i++) {
                    bf16Pages[s][i] = converted.computeIfAbsent(pages[s][i], f -> {
                        short[] b = new short[f.length];
                        for (int k = 0; k < f.length; k++) {
                            b[k] = io.specrej.engine.tensor.Bf16.fromFloat(f[k]);
                        }
                        return b;
                    });
                }
            }
            pages = null;
        }
        float[] q = new float[n * c.qDim()];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) random.nextGaussian() * 0.3f;
        }
        int[] sequence = new int[n];
        int[] positions = new int[n];
        for (int t = 0; t < n; t++) {
            sequence[t] = t;
            positions[t] = context - 1 - t % 3;
        }
        float[] out = new float[q.length];
        CachedAttention attention = new CachedAttention(c);
        double best = Double.MAX_VALUE;
        int reps = Integer.getInteger("reps", 20);
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            for (int layer = 0; layer < c.layers(); layer++) {
                attention.run(layer, n, q, sequence, positions, pages, bf16Pages, null, out);
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        long items = (long) n * c.layers() * c.kvHeads();
        long fmas = items * (c.heads() / c.kvHeads()) * 2L * context * c.headDim();
        System.out.printf("%s cache, %d tokens at %d context, %s pages: %.2f ms per step (best of %d), %.1f us per "
                + "(token, layer, kv head), %.1f GFLOP/s%n", bf16 ? "bf16" : "f32", n, context,
                shared ? "shared" : "separate", best, reps, best * 1e3 / items, 2.0 * fmas / best / 1e6);
    }
}
