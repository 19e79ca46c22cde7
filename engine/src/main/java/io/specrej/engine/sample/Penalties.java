package io.specrej.engine.sample;

/**
 * The penalties on a row of logits, before any warper, each exactly as its reference defines it:
 * <ul>
 * <li>repetition ({@code r}, transformers' RepetitionPenaltyLogitsProcessor): every distinct token of the prompt and
 *     the response so far has its logit divided by {@code r} when positive, multiplied by {@code r} when negative;</li>
 * <li>presence ({@code p}) and frequency ({@code f}), OpenAI's: each token of the response so far lowers its logit by
 *     {@code p} once plus {@code f} per occurrence.</li>
 * </ul>
 * The row is changed in place (callers pass a copy of the model's logits). Scratch marks are per instance, so one
 * per thread serves any number of rows without allocating.
 */
final class Penalties {
    private int[] mark = new int[0];
    private int stamp;

    /**
     * @param prompt          the prompt's ids (for repetition)
     * @param response        the response's ids, the first {@code responseLength} of them
     */
    void apply(float[] row, int off, int vocab, SamplingParams p, int[] prompt, int[] response, int responseLength) {
        if (p.repetitionPenalty() != 1.0) {
            float r = (float) p.repetitionPenalty();
            next(vocab);
            repeat(row, off, vocab, r, prompt, prompt.length);
            repeat(row, off, vocab, r, response, responseLength);
        }
        if (p.presencePenalty() != 0.0 || p.frequencyPenalty() != 0.0) {
            next(vocab);
            float presence = (float) p.presencePenalty();
            float frequency = (float) p.frequencyPenalty();
            for (int i = 0; i < responseLength; i++) {
                int t = response[i];
                if (t < 0 || t >= vocab) {
                    continue;
                }
                if (mark[t] != stamp) {
                    mark[t] = stamp;
                    row[off + t] -= presence;
                }
                row[off + t] -= frequency;
            }
        }
    }

    private void repeat(float[] row, int off, int vocab, float r, int[] tokens, int length) {
        for (int i = 0; i < length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= vocab || mark[t] == stamp) {
                continue;
            }
            mark[t] = stamp;
            float v = row[off + t];
            row[off + t] = v < 0 ? v * r : v / r;
        }
    }

    /** A fresh set of marks: bump the stamp (clearing the array only when it wraps or grows). */
    private void next(int vocab) {
        if (mark.length < vocab) {
            mark = new int[vocab];
            stamp = 0;
        }
        if (++stamp == Integer.MAX_VALUE) {
            java.util.Arrays.fill(mark, 0);
            stamp = 1;
        }
    }
}
