package io.specrej.engine.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.tensor.VectorOps;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link LogProbs} against log_softmax computed in double precision, on rows as long as real vocabularies. */
class LogProbsTest {
    @Test
    void matchesADoublePrecisionLogSoftmax() {
        Random random = new Random(3);
        for (int vocab : new int[] {151_936, VectorOps.LONG_ROW + 5, 4_096, 7}) {
            for (double spread : new double[] {0.5, 4, 30}) {
                int off = 11;
                float[] row = new float[off + vocab + 3];
                for (int i = 0; i < vocab; i++) {
                    row[off + i] = (float) (random.nextGaussian() * spread);
                }
                row[off + vocab / 2] = Float.NEGATIVE_INFINITY; // a masked entry
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) {
                    max = Math.max(max, row[off + i]);
                }
                double sum = 0;
                for (int i = 0; i < vocab; i++) {
                    sum += Math.exp(row[off + i] - max);
                }
                for (int token : new int[] {0, vocab - 1, vocab / 3}) {
                    double expected = row[off + token] - max - Math.log(sum);
                    double actual = LogProbs.of(row, off, vocab, token);
                    assertEquals(expected, actual, 1e-6 * Math.max(1, Math.abs(expected)),
                            "vocab " + vocab + ", spread " + spread + ", token " + token);
                }
            }
        }
    }

    @Test
    void aFlatRowGivesMinusLogVocab() {
        int vocab = 151_936;
        float[] row = new float[vocab];
        java.util.Arrays.fill(row, 2.5f);
        assertEquals(-Math.log(vocab), LogProbs.of(row, 0, vocab, 17), 1e-9);
        row[5] = Float.NaN;
        assertTrue(Double.isNaN(LogProbs.of(row, 0, vocab, 17)), "a NaN logit is not hidden");
    }
}
