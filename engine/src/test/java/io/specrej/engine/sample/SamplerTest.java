package io.specrej.engine.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.VectorOps;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {0.5f, 3.0f, 1.0f, 3.0f, -2.0f, 2.5f};

    @Test
    void greedyTakesTheLowestIdOfTiedMaxima() {
        assertEquals(1, new Sampler().sample(LOGITS, 0, LOGITS.length, SamplingParams.GREEDY, new RandomStream(0, 0)));
    }

    @Test
    void topKOneKeepsTheMaximumAndTokensTiedWithIt() {
        // transformers removes only scores strictly below the k-th largest, so ids 1 and 3 (both 3.0) survive k=1.
        Sampler s = new Sampler();
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < 400; i++) {
            counts[s.sample(LOGITS, 0, LOGITS.length, SamplingParams.sample(5.0, 1, 1.0), new RandomStream(i, i))]++;
        }
        assertEquals(400, counts[1] + counts[3]);
        assertTrue(counts[1] > 100 && counts[3] > 100, "both tied maxima are drawn: " + counts[1] + "/" + counts[3]);
    }

    @Test
    void topKKeepsOnlyTheBestKAndFrequenciesFollowTheSoftmax() {
        Sampler s = new Sampler();
        RandomStream r = new RandomStream(42, 0);
        int[] counts = new int[LOGITS.length];
        int draws = 200_000;
        for (int i = 0; i < draws; i++) {
            counts[s.sample(LOGITS, 0, LOGITS.length, SamplingParams.sample(1.0, 3, 1.0), r)]++;
        }
        assertEquals(0, counts[0] + counts[2] + counts[4], "only ids 1, 3 and 5 are in the top 3");
        double z = Math.exp(3.0) * 2 + Math.exp(2.5);
        assertEquals(Math.exp(2.5) / z, counts[5] / (double) draws, 0.005);
        assertEquals(Math.exp(3.0) / z, counts[1] / (double) draws, 0.005);
    }

    /**
     * The top-k candidates of rows long and short (the vector-skipping path and the scalar one) against their definition: every id whose logit is at
     * least the k-th largest, ascending. Logits drawn from few levels make ties at the k-th value common, also across
     * vector boundaries, in the heap's first k ids and in the tail past the last whole vector; the row starts at an
     * offset, as rows of a batch do.
     */
    @Test
    void topKOfLongRowsIsEveryIdAtLeastTheKthLargest() {
        java.util.Random random = new java.util.Random(7);
        Sampler s = new Sampler();
        for (int vocab : new int[] {151_936, VectorOps.LONG_ROW + 13, 1_003, 77}) {
            for (int k : new int[] {1, 16, 17, 50}) {
                for (int levels : new int[] {5, 40, 1 << 20}) {
                    int off = 13;
                    float[] row = new float[off + vocab];
                    for (int i = 0; i < vocab; i++) {
                        row[off + i] = (random.nextInt(levels) - levels / 2) * 0.25f;
                    }
                    row[off + vocab - 1] = Float.NEGATIVE_INFINITY;
                    float[] sorted = java.util.Arrays.copyOfRange(row, off, off + vocab);
                    java.util.Arrays.sort(sorted);
                    float kth = sorted[vocab - k];
                    java.util.List<Integer> expected = new java.util.ArrayList<>();
                    for (int i = 0; i < vocab; i++) {
                        if (row[off + i] >= kth) {
                            expected.add(i);
                        }
                    }
                    int kept = s.keepTopK(row, off, vocab, k);
                    java.util.List<Integer> actual = new java.util.ArrayList<>();
                    for (int i = 0; i < kept; i++) {
                        actual.add(s.candidate(i));
                    }
                    assertEquals(expected, actual, "vocab " + vocab + ", k " + k + ", " + levels + " levels");
                }
            }
        }
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // softmax of {0, ln 2, ln 4, ln 8}... probabilities 1/15, 2/15, 4/15, 8/15: top-p 0.6 keeps {8/15, 4/15}.
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(4), (float) Math.log(8)};
        Sampler s = new Sampler();
        RandomStream r = new RandomStream(3, 3);
        int[] counts = new int[4];
        for (int i = 0; i < 60_000; i++) {
            counts[s.sample(logits, 0, 4, SamplingParams.sample(1.0, 0, 0.6), r)]++;
        }
        assertEquals(0, counts[0] + counts[1]);
        assertEquals(2.0 / 3.0, counts[3] / 60_000.0, 0.01);
    }

    @Test
    void lowTemperatureSharpensHighTemperatureFlattens() {
        Sampler s = new Sampler();
        RandomStream r = new RandomStream(5, 1);
        int cold = 0;
        int hot = 0;
        for (int i = 0; i < 20_000; i++) {
            if (s.sample(LOGITS, 0, LOGITS.length, SamplingParams.sample(0.1, 0, 1.0), r) == 4) {
                cold++;
            }
            if (s.sample(LOGITS, 0, LOGITS.length, SamplingParams.sample(100.0, 0, 1.0), r) == 4) {
                hot++;
            }
        }
        assertEquals(0, cold);
        assertTrue(hot > 2_000, "near-uniform at T=100: id 4 drawn " + hot + " times of 20000");
    }

    @Test
    void streamsDependOnSeedAndIndexOnly() {
        assertEquals(new RandomStream(9, 4).nextLong(), new RandomStream(9, 4).nextLong());
        assertNotEquals(new RandomStream(9, 4).nextLong(), new RandomStream(9, 5).nextLong());
        assertNotEquals(new RandomStream(9, 4).nextLong(), new RandomStream(10, 4).nextLong());
    }

    @Test
    void invalidParametersNameTheOption() {
        assertTrue(assertThrows(BadInputException.class, () -> SamplingParams.sample(0, 0, 1)).getMessage()
                .contains("--temperature"));
        assertTrue(assertThrows(BadInputException.class, () -> SamplingParams.sample(1, -1, 1)).getMessage()
                .contains("--top-k"));
        assertTrue(assertThrows(BadInputException.class, () -> SamplingParams.sample(1, 0, 1.5)).getMessage()
                .contains("--top-p"));
    }
}
