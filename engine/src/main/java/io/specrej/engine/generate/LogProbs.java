package io.specrej.engine.generate;

import io.specrej.engine.tensor.Exp;
import io.specrej.engine.tensor.VectorOps;

/**
 * log_softmax of one logit row at one token: the row's maximum, then the sum of the shifted exponentials in double.
 * Rows of real vocabularies go through the vector form (float exponentials within 2 ulp: 0.12 instead of 0.84 ms per
 * row of 151,936, docs/perf/LogProbsCost.java); rows shorter than {@link VectorOps#LONG_ROW} keep the scalar loop.
 */
final class LogProbs {
    private LogProbs() {
    }

    static double of(float[] logits, int off, int vocab, int token) {
        if (vocab < VectorOps.LONG_ROW) {
            return scalar(logits, off, vocab, token);
        }
        float max = VectorOps.max(logits, off, vocab);
        double sum = Exp.sumExpShifted(logits, off, vocab, max);
        return logits[off + token] - max - Math.log(sum);
    }

    private static double scalar(float[] logits, int off, int vocab, int token) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        return logits[off + token] - max - Math.log(sum);
    }
}
