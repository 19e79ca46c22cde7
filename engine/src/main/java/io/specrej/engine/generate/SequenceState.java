package io.specrej.engine.generate;

import io.specrej.engine.sample.RandomStream;
import java.util.Arrays;

/**
 * One sequence being generated: its index (which fixes its random stream), its KV-cache id, the tokens generated so
 * far and whether it has finished. The last generated token is not yet in the KV cache; the next step feeds it.
 */
public final class SequenceState {
    private final int index;
    private final RandomStream random;
    private int cacheId;
    private int[] tokens = new int[32];
    private int length;
    private FinishReason finishReason;
    private double logProbSum;

    SequenceState(int index, long seed, int cacheId) {
        this.index = index;
        this.random = new RandomStream(seed, index);
        this.cacheId = cacheId;
    }

    public int index() {
        return index;
    }

    public int cacheId() {
        return cacheId;
    }

    void setCacheId(int id) {
        this.cacheId = id;
    }

    RandomStream random() {
        return random;
    }

    /** Generated tokens (the prompt excluded), including a final stop token if it stopped. */
    public int[] tokens() {
        return Arrays.copyOf(tokens, length);
    }

    /** The token array itself (valid up to {@link #length()}), for the penalties: no copy per step. */
    int[] tokenBuffer() {
        return tokens;
    }

    public int length() {
        return length;
    }

    public int lastToken() {
        return tokens[length - 1];
    }

    public boolean finished() {
        return finishReason != null;
    }

    /** null while running. */
    public FinishReason finishReason() {
        return finishReason;
    }

    /** Sum of log p(token) under the model's raw (untempered) distribution; 0 unless the batch tracks it. */
    public double logProbSum() {
        return logProbSum;
    }

    /** Mean log-probability per generated token (the paper's self-reward); 0 for no tokens. */
    public double meanLogProb() {
        return length == 0 ? 0 : logProbSum / length;
    }

    void addLogProb(double logProb) {
        logProbSum += logProb;
    }

    void append(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length++] = token;
    }

    void finish(FinishReason reason) {
        this.finishReason = reason;
    }
}
