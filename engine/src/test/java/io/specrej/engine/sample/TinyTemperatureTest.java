package io.specrej.engine.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Issue 19 item 9: a temperature so small that logits / temperature overflows float (1e-40 is below float's normal
 * range) samples the argmax, the limit of the softmax as the temperature goes to 0, instead of garbage.
 */
class TinyTemperatureTest {
    @Test
    void temperaturesBelowFloatsNormalRangeGiveTheArgmax() {
        float[] logits = {0f, 3.5f, -2f, 7.25f, 7f, 0f};
        Sampler sampler = new Sampler();
        for (double t : new double[] {1e-40, 1e-38, 1e-300, Double.MIN_VALUE}) {
            for (long seed = 0; seed < 20; seed++) {
                RandomStream random = new RandomStream(seed, 0);
                assertEquals(3, sampler.sample(logits, 0, logits.length, SamplingParams.sample(t, 0, 1.0), random),
                        "temperature " + t);
                assertEquals(3, sampler.sample(logits, 0, logits.length, SamplingParams.sample(t, 2, 0.5), random),
                        "temperature " + t + " with top-k/top-p");
            }
        }
    }
}
