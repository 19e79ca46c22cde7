package io.specrej.engine.tensor.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.specrej.engine.tensor.Bf16;
import io.specrej.engine.tensor.OneDnnAvailability;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link PrefixGemms} against a double-precision reference on the bfloat16-rounded inputs, and the property the
 * attention's batch invariance rests on: a row's results do not depend on where in the tile it sits, on the other
 * rows, on whether the call took the 16-row or the 64-row products, or on the thread.
 */
class PrefixGemmsTest {
    private static final int LAYERS = 2;
    private static final int KV_HEADS = 2;

    private static PrefixGemms gemms() {
        OneDnnAvailability.requireOneDnn();
        try {
            return PrefixGemms.instance();
        } catch (IllegalStateException e) {
            assumeTrue(false, e.getMessage()); // no bf16 dot products on this CPU
            throw e;
        }
    }

    private static short[] randomBf16(SplittableRandom random, int count) {
        short[] bits = new short[count];
        for (int i = 0; i < count; i++) {
            bits[i] = Bf16.fromFloat((float) (random.nextDouble() * 2 - 1));
        }
        return bits;
    }

    private static float[] randomFloats(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /** A block whose (layer, kv head) keys and values are random; returns them as [layer][kvHead][keys | values]. */
    private static short[][][][] fill(PrefixGemms.Block block, SplittableRandom random, int length, int headDim) {
        short[][][][] data = new short[LAYERS][KV_HEADS][][];
        for (int layer = 0; layer < LAYERS; layer++) {
            for (int g = 0; g < KV_HEADS; g++) {
                short[] keys = randomBf16(random, length * headDim);
                short[] values = randomBf16(random, length * headDim);
                block.set(layer, g, keys, values);
                data[layer][g] = new short[][] {keys, values};
            }
        }
        return data;
    }

    @Test
    void productsMatchADoubleReferenceOnTheRoundedInputs() {
        PrefixGemms gemms = gemms();
        SplittableRandom random = new SplittableRandom(7);
        for (int headDim : new int[] {16, 64}) {
            for (int length : new int[] {5, 37, 130}) {
                try (PrefixGemms.Block block = gemms.newBlock(LAYERS, KV_HEADS, headDim, length)) {
                    short[][][][] data = fill(block, random, length, headDim);
                    PrefixGemms.Tile tile = block.tile();
                    float[] q = randomFloats(random, PrefixGemms.ROWS * headDim);
                    float[] p = randomFloats(random, PrefixGemms.ROWS * length);
                    for (int row = 0; row < PrefixGemms.ROWS; row++) {
                        tile.setQuery(row, q, row * headDim);
                        tile.setProbabilities(row, p, row * length);
                    }
                    int layer = 1;
                    int g = 1;
                    short[] keys = data[layer][g][0];
                    short[] values = data[layer][g][1];
                    tile.multiplyScores(block, layer, g, PrefixGemms.ROWS);
                    tile.multiplyValues(block, layer, g, PrefixGemms.ROWS);
                    float[] scores = new float[length];
                    float[] out = new float[headDim];
                    for (int row = 0; row < PrefixGemms.ROWS; row++) {
                        float max = tile.scaledScores(row, scores, 0, false, 0.5f, 1f);
                        float expectedMax = Float.NEGATIVE_INFINITY;
                        for (int j = 0; j < length; j++) {
                            double dot = 0;
                            double size = 0;
                            for (int d = 0; d < headDim; d++) {
                                double product = Bf16.round(q[row * headDim + d]) * Bf16.toFloat(keys[j * headDim + d]);
                                dot += product;
                                size += Math.abs(product);
                            }
                            assertEquals(0.5 * dot, scores[j], 1e-6 * size + 1e-30,
                                    "score " + row + "," + j + " (head " + headDim + ", length " + length + ")");
                            expectedMax = Math.max(expectedMax, scores[j]);
                        }
                        assertEquals(expectedMax, max);
                        tile.output(row, out, 0);
                        for (int d = 0; d < headDim; d++) {
                            double sum = 0;
                            double size = 0;
                            for (int j = 0; j < length; j++) {
                                double product = Bf16.round(p[row * length + j]) * Bf16.toFloat(values[j * headDim + d]);
                                sum += product;
                                size += Math.abs(product);
                            }
                            assertEquals(sum, out[d], 1e-6 * size + 1e-30, "output " + row + "," + d);
                        }
                    }
                }
            }
        }
    }

    /**
     * Scores and output of one query and probability row placed at {@code row} among other random rows, in a call
     * that says rows up to {@code row} are used (so rows below 16 take the 16-row products where oneDNN has them).
     */
    private static float[][] resultsAt(PrefixGemms.Block block, int row, float[] query, float[] probabilities,
                                       int headDim, int length, long othersSeed) {
        int rowsUsed = row + 1;
        SplittableRandom random = new SplittableRandom(othersSeed);
        PrefixGemms.Tile tile = block.tile();
        for (int r = 0; r < PrefixGemms.ROWS; r++) {
            tile.setQuery(r, r == row ? query : randomFloats(random, headDim), 0);
            tile.setProbabilities(r, r == row ? probabilities : randomFloats(random, length), 0);
        }
        tile.multiplyScores(block, 0, 1, rowsUsed);
        tile.multiplyValues(block, 0, 1, rowsUsed);
        float[] scores = new float[length];
        float[] out = new float[headDim];
        tile.scaledScores(row, scores, 0, true, 1f, 8f);
        tile.output(row, out, 0);
        return new float[][] {scores, out};
    }

    @Test
    void aRowGetsTheSameBitsAtEveryPositionBesideAnyRowsInEitherProductSizeOnAnyThread() throws Exception {
        PrefixGemms gemms = gemms();
        int headDim = 64;
        int length = 301;
        SplittableRandom random = new SplittableRandom(11);
        // Where oneDNN has 16-row products that agree (checked when made), rows 0..15 below go through them.
        System.out.println("16-row products for head_dim " + headDim + ", length " + length + ": "
                + gemms.hasSmallProducts(headDim, length));
        try (PrefixGemms.Block block = gemms.newBlock(LAYERS, KV_HEADS, headDim, length)) {
            fill(block, random, length, headDim);
            float[] query = randomFloats(random, headDim);
            float[] probabilities = randomFloats(random, length);
            float[][] first = resultsAt(block, 0, query, probabilities, headDim, length, 1);
            for (int row : new int[] {1, 15, 16, 33, PrefixGemms.ROWS - 1}) {
                float[][] other = resultsAt(block, row, query, probabilities, headDim, length, 100 + row);
                assertArrayEquals(first[0], other[0], "scores at row " + row);
                assertArrayEquals(first[1], other[1], "outputs at row " + row);
            }
            // Two threads at once, each with its own tile (stream and scratchpad).
            AtomicReference<float[][]> fromThread = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread thread = new Thread(() -> {
                try {
                    float[][] last = null;
                    for (int i = 0; i < 20; i++) {
                        last = resultsAt(block, 40, query, probabilities, headDim, length, 500 + i);
                    }
                    fromThread.set(last);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            thread.start();
            for (int i = 0; i < 20; i++) {
                float[][] here = resultsAt(block, 7, query, probabilities, headDim, length, 900 + i);
                assertArrayEquals(first[1], here[1], "outputs while another thread multiplies");
            }
            thread.join();
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertArrayEquals(first[0], fromThread.get()[0], "scores on another thread");
            assertArrayEquals(first[1], fromThread.get()[1], "outputs on another thread");
        }
    }
}
