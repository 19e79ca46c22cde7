package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The builder grows past every initial capacity and keeps offsets and output rows consistent. */
class ForwardBatchTest {
    @Test
    void buildsBatchesOfAnySize() {
        ForwardBatch.Builder b = new ForwardBatch.Builder();
        for (int round = 0; round < 2; round++) {
            b.clear();
            int[] prompt = new int[50];
            for (int i = 0; i < 300; i++) {
                int row = i % 3 == 0 ? b.add(1000 + i, prompt, 1, 1 + i % 50 - (i % 50 == 49 ? 1 : 0), i % 2 == 0)
                        : b.addOne(1000 + i, i);
                if (i % 3 != 0 || i % 2 == 0) {
                    assertEquals(b.outputCount() - 1, row);
                } else {
                    assertEquals(-1, row);
                }
            }
            ForwardBatch batch = b.build();
            assertEquals(300, batch.count());
            int tokens = 0;
            for (int i = 0; i < 300; i++) {
                assertEquals(1000 + i, batch.sequenceIds()[i]);
                assertEquals(tokens, batch.offsets()[i]);
                tokens += batch.offsets()[i + 1] - batch.offsets()[i];
                if (i % 3 != 0) {
                    assertEquals(i, batch.tokens()[batch.offsets()[i]]);
                }
            }
            assertEquals(tokens, batch.tokenCount());
            for (int r = 1; r < batch.outputCount(); r++) {
                assertEquals(true, batch.outputRows()[r] > batch.outputRows()[r - 1]);
            }
        }
    }
}
