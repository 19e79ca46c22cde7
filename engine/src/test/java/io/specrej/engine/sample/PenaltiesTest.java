package io.specrej.engine.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each penalty and min-p against its published definition, on rows whose answers follow from the formulas. */
class PenaltiesTest {
    private static float[] row() {
        return new float[] {2.0f, -1.5f, 3.0f, 0.5f, -0.25f, 1.0f, 4.0f, -3.0f};
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce() {
        float[] logits = row();
        float[] expected = row();
        int[] prompt = {1, 2};
        int[] response = {2, 3, 3, 4};
        float r = 1.3f;
        for (int t : new int[] {1, 2, 3, 4}) { // each distinct token of prompt and response, once
            expected[t] = expected[t] < 0 ? expected[t] * r : expected[t] / r;
        }
        new Penalties().apply(logits, 0, 8, SamplingParams.GREEDY.with(1.3, 0, 0, 0), prompt, response, 4);
        for (int i = 0; i < 8; i++) {
            assertEquals(expected[i], logits[i], "token " + i);
        }
    }

    @Test
    void presenceOncePlusFrequencyPerOccurrenceOverTheResponseOnly() {
        float[] logits = row();
        float[] expected = row();
        int[] prompt = {0, 6};
        int[] response = {5, 5, 7, 5, 99}; // 99 is past the first 4 and is not read
        float p = 0.5f;
        float f = 0.25f;
        expected[5] -= p + 2 * f; // the first four tokens hold 5 twice
        expected[7] -= p + f;
        new Penalties().apply(logits, 0, 8, SamplingParams.GREEDY.with(1.0, 0.5, 0.25, 0), prompt, response, 3);
        for (int i = 0; i < 8; i++) {
            assertEquals(expected[i], logits[i], "token " + i);
        }
    }

    @Test
    void samplingPenalisesACopyAndGreedyFollowsThePenalties() {
        float[] logits = row();
        Sampler sampler = new Sampler();
        RandomStream random = new RandomStream(1, 0);
        assertEquals(6, sampler.sample(logits, 0, 8, SamplingParams.GREEDY, random, new int[0], new int[0], 0));
        // Token 6 (4.0) repeated: 4.0 / 2 = 2.0 < 3.0, so token 2 wins.
        SamplingParams penalised = SamplingParams.GREEDY.with(2.0, 0, 0, 0);
        assertEquals(2, sampler.sample(logits, 0, 8, penalised, random, new int[0], new int[] {6}, 1));
        assertEquals(4.0f, logits[6], "the model's row is left as it was");
    }

    @Test
    void minPKeepsWhatIsAtLeastThatLikelyRelativeToTheTop() {
        // Probabilities proportional to exp(logit): e^4 / e^4 = 1, e^3 / e^4 = 0.37, e^2 / e^4 = 0.14, ...
        float[] logits = row();
        Sampler sampler = new Sampler();
        SamplingParams p = SamplingParams.sample(1.0, 0, 1.0).with(1.0, 0, 0, 0.3);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(sampler.sample(logits, 0, 8, p, new RandomStream(7, i)));
        }
        assertEquals(Set.of(6, 2), seen, "only tokens with p >= 0.3 p_max");
        Set<Integer> loose = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            loose.add(sampler.sample(logits, 0, 8, SamplingParams.sample(1.0, 0, 1.0), new RandomStream(7, i)));
        }
        assertTrue(loose.size() > 2);
        assertNotEquals(seen, loose);
    }

    @Test
    void outOfRangeValuesAreRefused() {
        assertThrows(BadInputException.class, () -> SamplingParams.GREEDY.with(0, 0, 0, 0));
        assertThrows(BadInputException.class, () -> SamplingParams.GREEDY.with(1, 2.5, 0, 0));
        assertThrows(BadInputException.class, () -> SamplingParams.GREEDY.with(1, 0, -3, 0));
        assertThrows(BadInputException.class, () -> SamplingParams.GREEDY.with(1, 0, 0, 1.5));
    }
}
