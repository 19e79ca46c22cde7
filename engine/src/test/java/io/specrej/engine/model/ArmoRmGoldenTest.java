package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.text.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ArmoRM (LlamaForRewardModelWithGating) against the armo-rm golden: positions, rewards, gating, scores. */
class ArmoRmGoldenTest {
    private static final JsonNode GOLDEN = Golden.load("armo-rm");

    private static RewardModel load(TransformerModel model, HfTokenizer tokenizer) {
        return new RewardModel(model, 0, tokenizer);
    }

    @Test
    void gatePatternIsTheModelsOwnEncodingOfTheAssistantHeader() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("armo-rm"));
             HfTokenizer tokenizer = HfTokenizer.load(TestData.fixtureModel("armo-rm"))) {
            assertEquals(GOLDEN.get("token_pattern").get("string").asText(), GatingRewardHead.GATE_TEXT);
            assertArrayEquals(Golden.ints(GOLDEN.get("token_pattern").get("ids")), load(model, tokenizer).gatePattern());
        }
    }

    @Test
    void conversationsMatchRewardsGatingAndScore() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("armo-rm"));
             HfTokenizer tokenizer = HfTokenizer.load(TestData.fixtureModel("armo-rm"))) {
            RewardModel rm = load(model, tokenizer);
            int k = GOLDEN.get("config").get("num_objectives").asInt();
            for (JsonNode c : GOLDEN.get("conversations")) {
                String what = c.get("name").asText();
                int[] ids = Golden.ints(c.get("input_ids"));
                assertEquals(c.get("last_index").asInt(), rm.rewardIndex(ids), what);
                assertEquals(c.get("gate_index").asInt(), rm.gateIndex(ids), what);
                float[][] rows = rm.rows(ids);
                Golden.assertClose(Golden.floats(c.get("rewards")), rows[0], 0, 1e-4, what + " rewards");
                Golden.assertClose(Golden.floats(c.get("rewards_adjusted")), rows[0], k, 1e-4, what + " adjusted");
                float[] gating = Golden.floats(c.get("gating_output"));
                for (int j = 0; j < k; j++) {
                    assertEquals(gating[j], rows[1][2 * k + j], 1e-5, what + " gating " + j);
                }
                assertScore(c.get("score").floatValue(), rm.score(List.of(ids))[0], what);
            }
        }
    }

    @Test
    void paddedBatchesScoreLikeTheirGoldens() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("armo-rm"));
             HfTokenizer tokenizer = HfTokenizer.load(TestData.fixtureModel("armo-rm"))) {
            RewardModel rm = load(model, tokenizer);
            for (String name : new String[] {"right_padded_batch", "left_padded_batch"}) {
                JsonNode batch = GOLDEN.get(name);
                List<int[]> rows = new ArrayList<>();
                List<int[]> unpadded = new ArrayList<>();
                for (int r = 0; r < batch.get("input_ids").size(); r++) {
                    int[] ids = Golden.ints(batch.get("input_ids").get(r));
                    rows.add(ids); // right pads kept: both positions are found by id, as the model code does
                    int[] mask = Golden.ints(batch.get("attention_mask").get(r));
                    int from = 0;
                    while (mask[from] == 0) {
                        from++; // left pads are masked out by transformers; the engine has no mask, so drops them
                    }
                    unpadded.add(Arrays.copyOfRange(ids, from, ids.length));
                }
                float[] scores = rm.score(unpadded);
                for (int i = 0; i < rows.size(); i++) {
                    assertEquals(batch.get("last_index").get(i).asInt(), rm.rewardIndex(rows.get(i)), name + " " + i);
                    assertEquals(batch.get("gate_index").get(i).asInt(), rm.gateIndex(rows.get(i)), name + " " + i);
                    assertScore(batch.get("scores").get(i).floatValue(), scores[i], name + " row " + i);
                }
            }
        }
    }

    /** The gate row computed once from the shared prompt gives every candidate the score a full run gives. */
    @Test
    void incrementalScoringReusesThePromptsGateRow() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("armo-rm"));
             HfTokenizer tokenizer = HfTokenizer.load(TestData.fixtureModel("armo-rm"))) {
            RewardModel rm = load(model, tokenizer);
            List<int[]> full = new ArrayList<>();
            for (JsonNode c : GOLDEN.get("conversations")) {
                if (c.get("name").asText().equals("one_turn")) {
                    full.add(Golden.ints(c.get("input_ids")));
                }
            }
            int[] conversation = full.get(0);
            int gate = rm.gateIndex(conversation);
            int[] prompt = Arrays.copyOf(conversation, gate + rm.gatePattern().length);
            int[][] candidates = {conversation, Arrays.copyOf(conversation, conversation.length - 3)};
            KvCache cache = model.newCache();
            int shared = cache.newSequence();
            RewardModel.PromptState state = rm.prefill(cache, shared, prompt);
            assertEquals(gate, state.gateIndex());
            int[] ids = new int[candidates.length];
            int[] starts = new int[candidates.length];
            for (int i = 0; i < candidates.length; i++) {
                ids[i] = cache.fork(shared, 1)[0];
                starts[i] = prompt.length;
                assertTrue(rm.firstToRun(state, candidates[i]) >= prompt.length, "the gate is not recomputed");
            }
            float[] incremental = rm.extend(cache, state, ids, candidates.length, candidates, starts);
            float[] whole = rm.score(Arrays.asList(candidates));
            assertArrayEquals(whole, incremental, 0f);
            cache.clear();
        }
    }

    @Test
    void aConversationWithoutTheAssistantHeaderIsAClearError() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("armo-rm"));
             HfTokenizer tokenizer = HfTokenizer.load(TestData.fixtureModel("armo-rm"))) {
            RewardModel rm = load(model, tokenizer);
            BadInputException e = assertThrows(BadInputException.class,
                    () -> rm.score(List.of(new int[] {448, 450, 312, 264})));
            assertTrue(e.getMessage().contains("reads its gating there"), e.getMessage());
            BadInputException noTokenizer = assertThrows(BadInputException.class, () -> new RewardModel(model, 0));
            assertTrue(noTokenizer.getMessage().contains("needs its tokenizer.json"), noTokenizer.getMessage());
        }
    }

    private static void assertScore(float expected, float actual, String what) {
        double tolerance = 1e-4 * Math.max(1, Math.abs(expected));
        if (!(Math.abs(expected - actual) <= tolerance)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }
}
