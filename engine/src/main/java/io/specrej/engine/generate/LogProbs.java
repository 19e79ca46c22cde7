package io.specrej.engine.generate;

/** log_softmax of one logit row at one token, in double for a stable log-sum-exp. */
final class LogProbs {
    private LogProbs() {
    }

    static double of(float[] logits, int off, int vocab, int token) {
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
