package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import java.util.List;

/**
 * A sequence-classification model used as a reward model: the reward of a token sequence is label
 * {@code labelIndex} of the score head at the sequence's pooled token.
 *
 * <p>Pooling follows transformers 4.49+: the rightmost token whose id is not the pad id (attention mask ignored);
 * with no pad id, the last token. Because attention is causal, the pooled token's output depends only on the tokens
 * up to it, so tokens after it need not be computed at all.
 */
public final class RewardModel {
    private final TransformerModel model;
    private final int labelIndex;

    public RewardModel(TransformerModel model, int labelIndex) {
        if (model.config().head() != Head.SEQUENCE_CLASSIFICATION) {
            throw new BadInputException(model.config().file() + ": architectures[0] is "
                    + model.config().architecture() + "; a reward model must be a *ForSequenceClassification");
        }
        if (labelIndex < 0 || labelIndex >= model.config().numLabels()) {
            throw new BadInputException("reward label " + labelIndex + " is out of range: the model has "
                    + model.config().numLabels() + " labels");
        }
        this.model = model;
        this.labelIndex = labelIndex;
    }

    public TransformerModel model() {
        return model;
    }

    public int labelIndex() {
        return labelIndex;
    }

    public Integer padTokenId() {
        return model.config().padTokenId();
    }

    /** Index of the token whose output is the sequence's score (see class comment); 0 when all are pad. */
    public static int pooledIndex(int[] tokens, int length, Integer padId) {
        if (padId == null) {
            return length - 1;
        }
        for (int i = length - 1; i >= 0; i--) {
            if (tokens[i] != padId) {
                return i;
            }
        }
        return 0;
    }

    /** Scores whole sequences in one batch, in a fresh cache. */
    public float[] score(List<int[]> sequences) {
        int count = sequences.size();
        int[] offsets = new int[count + 1];
        for (int i = 0; i < count; i++) {
            int[] s = sequences.get(i);
            if (s.length == 0) {
                throw new BadInputException("cannot score an empty token sequence");
            }
            offsets[i + 1] = offsets[i] + pooledIndex(s, s.length, padTokenId()) + 1;
        }
        int[] tokens = new int[offsets[count]];
        int[] outputs = new int[count];
        int[] ids = new int[count];
        KvCache cache = model.newCache();
        for (int i = 0; i < count; i++) {
            System.arraycopy(sequences.get(i), 0, tokens, offsets[i], offsets[i + 1] - offsets[i]);
            outputs[i] = offsets[i + 1] - 1;
            ids[i] = cache.newSequence();
        }
        float[] out = model.forward(cache, ids, offsets, count, tokens, outputs, count);
        int width = model.outputWidth();
        float[] scores = new float[count];
        for (int i = 0; i < count; i++) {
            scores[i] = out[i * width + labelIndex];
        }
        return scores;
    }
}
