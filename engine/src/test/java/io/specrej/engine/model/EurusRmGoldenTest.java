package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.TestData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Eurus-RM (EurusRewardModel): regression_head read at the last position whose mask is 1, pad ids included. */
class EurusRmGoldenTest {
    private static final JsonNode GOLDEN = Golden.load("eurus-rm");

    @Test
    void singleSequencesAndPaddedBatchesMatch() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("eurus-rm"))) {
            RewardModel rm = new RewardModel(model, 0);
            assertEquals("eurus_regression", model.config().rewardHead().kind());
            for (JsonNode seq : GOLDEN.get("sequences")) {
                assertScore(seq.get("score").floatValue(), rm.score(List.of(Golden.ints(seq.get("input_ids"))))[0],
                        seq.get("name").asText());
            }
            for (String name : new String[] {"right_padded_batch", "left_padded_batch_with_position_ids"}) {
                JsonNode batch = GOLDEN.get(name);
                List<int[]> rows = new ArrayList<>();
                for (int r = 0; r < batch.get("input_ids").size(); r++) {
                    rows.add(unmasked(batch, r)); // the engine batches unpadded rows
                }
                float[] scores = rm.score(rows);
                for (int i = 0; i < rows.size(); i++) {
                    assertScore(batch.get("scores").get(i).floatValue(), scores[i], name + " row " + i);
                }
            }
        }
    }

    @Test
    void aTrailingPadIdIsPooledUnlikeSequenceClassification() {
        JsonNode pad = GOLDEN.get("pad_id_as_last_real_token");
        int[] ids = Golden.ints(pad.get("input_ids"));
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("eurus-rm"))) {
            RewardModel rm = new RewardModel(model, 0);
            assertEquals(pad.get("pooled_index").asInt(), rm.rewardIndex(ids));
            assertScore(pad.get("score").floatValue(), rm.score(List.of(ids))[0], "pad as last token");
        }
    }

    private static int[] unmasked(JsonNode batch, int row) {
        int[] ids = Golden.ints(batch.get("input_ids").get(row));
        int[] mask = Golden.ints(batch.get("attention_mask").get(row));
        int from = 0;
        while (mask[from] == 0) {
            from++;
        }
        int to = ids.length;
        while (mask[to - 1] == 0) {
            to--;
        }
        return Arrays.copyOfRange(ids, from, to);
    }

    private static void assertScore(float expected, float actual, String what) {
        double tolerance = 1e-4 * Math.max(1, Math.abs(expected));
        if (!(Math.abs(expected - actual) <= tolerance)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }
}
