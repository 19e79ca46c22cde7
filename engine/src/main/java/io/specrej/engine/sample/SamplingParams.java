package io.specrej.engine.sample;

import io.specrej.engine.BadInputException;

/**
 * How the next token is chosen, in transformers' order: penalties on the raw logits first (repetition_penalty over
 * the prompt and the response, as transformers' RepetitionPenaltyLogitsProcessor; presence and frequency penalties
 * over the response, as OpenAI defines them), then greedy's argmax (lowest id on ties, as torch.argmax), or the
 * warpers: divide by {@code temperature}, cut to the {@code topK} best (0 = no cut), to the smallest set whose
 * probability reaches {@code topP} (1 = no cut), drop what is less likely than {@code minP} times the most likely
 * (0 = no cut), and sample.
 */
public record SamplingParams(boolean greedy, double temperature, int topK, double topP, double repetitionPenalty,
                             double presencePenalty, double frequencyPenalty, double minP) {
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
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new BadInputException("--repetition-penalty must be a positive number (1 = off), got "
                    + repetitionPenalty);
        }
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
            throw new BadInputException("--presence-penalty must be in [-2, 2], got " + presencePenalty);
        }
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
            throw new BadInputException("--frequency-penalty must be in [-2, 2], got " + frequencyPenalty);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new BadInputException("--min-p must be in [0, 1], got " + minP);
        }
    }

    /** No penalties, no min-p cut. */
    public SamplingParams(boolean greedy, double temperature, int topK, double topP) {
        this(greedy, temperature, topK, topP, 1.0, 0.0, 0.0, 0.0);
    }

    public static SamplingParams sample(double temperature, int topK, double topP) {
        return new SamplingParams(false, temperature, topK, topP);
    }

    /** The same with these penalties and min-p. */
    public SamplingParams with(double repetition, double presence, double frequency, double minProbability) {
        return new SamplingParams(greedy, temperature, topK, topP, repetition, presence, frequency, minProbability);
    }

    /** Whether any penalty changes the logits (then the previous tokens matter). */
    public boolean penalized() {
        return repetitionPenalty != 1.0 || presencePenalty != 0.0 || frequencyPenalty != 0.0;
    }
}
