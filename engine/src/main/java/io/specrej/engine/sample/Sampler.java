package io.specrej.engine.sample;

import io.specrej.engine.tensor.VectorOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Picks the next token from one row of logits. Holds scratch arrays sized to the vocabulary, so one sampler per
 * thread samples any number of rows without allocating.
 */
public final class Sampler {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private float[] probs = new float[0];
    private int[] candidates = new int[0];
    private long[] packed = new long[0];
    private float[] row = new float[0];
    private final Penalties penalties = new Penalties();

    /**
     * Chooses a token with the given parameters' penalties applied to a copy of the row first (the model's logits are
     * left as they are: a prompt's row serves every fork, and log-probabilities are read from the raw row).
     *
     * @param prompt   the prompt's ids (repetition penalty)
     * @param response the response so far, its first {@code responseLength} ids
     */
    public int sample(float[] logits, int off, int vocab, SamplingParams p, RandomStream random, int[] prompt,
                      int[] response, int responseLength) {
        if (!p.penalized()) {
            return sample(logits, off, vocab, p, random);
        }
        if (row.length < vocab) {
            row = new float[vocab];
        }
        System.arraycopy(logits, off, row, 0, vocab);
        penalties.apply(row, 0, vocab, p, prompt, response, responseLength);
        return sample(row, 0, vocab, p, random);
    }

    /** Chooses a token from {@code logits[off, off + vocab)} with the given parameters and stream (no penalties). */
    public int sample(float[] logits, int off, int vocab, SamplingParams p, RandomStream random) {
        if (p.greedy()) {
            return VectorOps.argmax(logits, off, vocab);
        }
        int kept = keepTopK(logits, off, vocab, p.topK());
        if (probs.length < kept) {
            probs = new float[vocab];
        }
        // Softmax over the kept candidates of logits / temperature, in float64 for a stable sum.
        float invT = (float) (1.0 / p.temperature());
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < kept; i++) {
            max = Math.max(max, logits[off + candidates[i]] * invT);
        }
        if (Float.isInfinite(invT) || !(max < Float.POSITIVE_INFINITY)) { // +inf, or NaN from 0 * inf
            // A temperature so small (below float's normal range, or near it) that logits / temperature overflows:
            // the softmax would be inf - inf = NaN. Its limit as the temperature goes to 0 is the argmax, which is
            // what is returned (transformers, computing in float32, fails here with NaN probabilities instead).
            return argmaxOfCandidates(logits, off, kept);
        }
        double total = 0;
        for (int i = 0; i < kept; i++) {
            float e = (float) Math.exp(logits[off + candidates[i]] * invT - max);
            probs[i] = e;
            total += e;
        }
        if (p.topP() < 1.0) {
            kept = keepNucleus(kept, total, p.topP());
            total = 0;
            for (int i = 0; i < kept; i++) {
                total += probs[i];
            }
        }
        if (p.minP() > 0) {
            kept = keepMinP(kept, (float) p.minP());
            total = 0;
            for (int i = 0; i < kept; i++) {
                total += probs[i];
            }
        }
        double target = random.nextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += probs[i];
            if (target < cumulative) {
                return candidates[i];
            }
        }
        return candidates[kept - 1];
    }

    /** The candidate with the largest logit, the lowest id on ties (as greedy's argmax). */
    private int argmaxOfCandidates(float[] logits, int off, int kept) {
        int best = candidates[0];
        for (int i = 1; i < kept; i++) {
            if (logits[off + candidates[i]] > logits[off + best]) {
                best = candidates[i];
            }
        }
        return best;
    }

    /**
     * Fills candidates with the ids of the k largest logits (all ids when k is 0 or >= vocab) and every id tied with
     * the k-th, in ascending id order; returns the count. Package-private for tests ({@link #candidate}).
     */
    int keepTopK(float[] logits, int off, int vocab, int k) {
        if (candidates.length < vocab) {
            candidates = new int[vocab];
        }
        if (k <= 0 || k >= vocab) {
            for (int i = 0; i < vocab; i++) {
                candidates[i] = i;
            }
            return vocab;
        }
        // A min-heap of the best k: O(V log k), one pass over the row.
        int size = 0;
        int i = 0;
        for (; i < k; i++) {
            candidates[size] = i;
            siftUp(logits, off, size++);
        }
        // From here an id enters only if its logit beats the heap's minimum, which few do: in long rows
        // (VectorOps.LONG_ROW) whole vectors where none does are skipped with one compare (the row is read once, at memory speed); the others go id by id, in order,
        // exactly as without the skip.
        int bound = vocab < VectorOps.LONG_ROW ? i : i + S.loopBound(vocab - i);
        for (; i < bound; i += S.length()) {
            if (FloatVector.fromArray(S, logits, off + i).compare(VectorOperators.GT, logits[off + candidates[0]])
                    .anyTrue()) {
                for (int j = i; j < i + S.length(); j++) {
                    offer(logits, off, j, size);
                }
            }
        }
        for (; i < vocab; i++) {
            offer(logits, off, i, size);
        }
        // transformers keeps every token tied with the k-th value; so do we (in id order, skipping vectors with none).
        float kth = logits[off + candidates[0]];
        int j = 0;
        int whole = vocab < VectorOps.LONG_ROW ? 0 : S.loopBound(vocab);
        for (; j < whole; j += S.length()) {
            if (FloatVector.fromArray(S, logits, off + j).compare(VectorOperators.EQ, kth).anyTrue()) {
                for (int x = j; x < j + S.length(); x++) {
                    size = addIfTied(logits, off, x, kth, size);
                }
            }
        }
        for (; j < vocab; j++) {
            size = addIfTied(logits, off, j, kth, size);
        }
        java.util.Arrays.sort(candidates, 0, size); // ascending id: a fixed, batch-independent order
        return size;
    }

    /** The i-th candidate of the last {@link #keepTopK}. */
    int candidate(int i) {
        return candidates[i];
    }

    /** Id {@code id} replaces the heap's minimum if its logit is larger. */
    private void offer(float[] logits, int off, int id, int size) {
        if (logits[off + id] > logits[off + candidates[0]]) {
            candidates[0] = id;
            siftDown(logits, off, 0, size);
        }
    }

    private int addIfTied(float[] logits, int off, int id, float kth, int size) {
        if (logits[off + id] == kth && !inHeap(id, size)) {
            candidates[size++] = id;
        }
        return size;
    }

    private boolean inHeap(int id, int size) {
        for (int i = 0; i < size; i++) {
            if (candidates[i] == id) {
                return true;
            }
        }
        return false;
    }

    private void siftUp(float[] logits, int off, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (less(logits, off, candidates[i], candidates[parent])) {
                swap(i, parent);
                i = parent;
            } else {
                return;
            }
        }
    }

    private void siftDown(float[] logits, int off, int i, int size) {
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int smallest = i;
            if (l < size && less(logits, off, candidates[l], candidates[smallest])) {
                smallest = l;
            }
            if (r < size && less(logits, off, candidates[r], candidates[smallest])) {
                smallest = r;
            }
            if (smallest == i) {
                return;
            }
            swap(i, smallest);
            i = smallest;
        }
    }

    /** Heap order: smaller logit first; on equal logits the larger id is "smaller" so low ids survive. */
    private static boolean less(float[] logits, int off, int a, int b) {
        float va = logits[off + a];
        float vb = logits[off + b];
        return va < vb || (va == vb && a > b);
    }

    private void swap(int i, int j) {
        int t = candidates[i];
        candidates[i] = candidates[j];
        candidates[j] = t;
    }

    /**
     * Keeps the candidates at least {@code minP} times as likely as the most likely (transformers' MinPLogitsWarper;
     * the ratio does not depend on normalisation, and the most likely candidate's unnormalised weight is exactly 1),
     * in their current order.
     */
    private int keepMinP(int kept, float minP) {
        float top = 0;
        for (int i = 0; i < kept; i++) {
            top = Math.max(top, probs[i]);
        }
        float threshold = minP * top;
        int n = 0;
        for (int i = 0; i < kept; i++) {
            if (probs[i] >= threshold) {
                candidates[n] = candidates[i];
                probs[n] = probs[i];
                n++;
            }
        }
        return n;
    }

    /**
     * Keeps the most probable candidates whose mass first reaches topP of the total (transformers removes the tail
     * whose cumulative mass is at most 1 - top_p). Reorders candidates/probs by descending probability, ties by id.
     */
    private int keepNucleus(int kept, double total, double topP) {
        sortDescending(kept);
        double threshold = topP * total;
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += probs[i];
            if (cumulative >= threshold) {
                return i + 1;
            }
        }
        return kept;
    }

    private void sortDescending(int n) {
        // Sort (prob, id) pairs by prob descending then id ascending, via packed longs: the float bits of a
        // non-negative float order like the float, so no comparator objects are needed.
        if (packed.length < n) {
            packed = new long[n];
        }
        for (int i = 0; i < n; i++) {
            packed[i] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits(probs[i])) << 32) | candidates[i];
        }
        java.util.Arrays.sort(packed);
        for (int i = 0; i < n; i++) {
            candidates[i] = (int) packed[i];
            probs[i] = Float.intBitsToFloat(Integer.MAX_VALUE - (int) (packed[i] >>> 32));
        }
    }
}
