package io.specrej.engine.sample;

import io.specrej.engine.BadInputException;

/**
 * How the next token is chosen. Greedy takes the argmax of the raw logits (lowest id on ties, as torch.argmax);
 * otherwise logits are divided by {@code temperature}, cut to the {@code topK} best (0 = no cut), then to the
 * smallest set whose probability reaches {@code topP} (1 = no cut) — transformers' warper order — and sampled.
 */
public record SamplingParams(boolean greedy, double temperature, int topK, double topP) {
    public static final SamplingParams GREEDY = new SamplingParams(true, 1.0, 0, 1.0);

    public SamplingParams {
        if (!greedy) {
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new BadInputException("--temperature must be a positive number, got " + temperature
                        + " (use --greedy for deterministic decoding)");
            }
        }
        if (topK < 0) {
            throw new BadInputException("--top-k must be 0 (off) or a positive integer, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new BadInputException("--top-p must be in (0, 1], got " + topP);
        }
    }

    public static SamplingParams sample(double temperature, int topK, double topP) {
        return new SamplingParams(false, temperature, topK, topP);
    }
}
