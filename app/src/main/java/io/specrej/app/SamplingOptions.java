package io.specrej.app;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.sample.SamplingParams;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Sampling options shared by the commands that generate. Unset options fall back to the checkpoint's
 * generation_config.json, as transformers' generate does, and then to plain sampling (temperature 1, no cuts).
 */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature (> 0). Default: generation_config.json's, else 1.0.")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Keep the K most likely tokens (0 = all). Default: generation_config.json's, else 0.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P",
            description = "Nucleus sampling mass in (0, 1]. Default: generation_config.json's, else 1.0.")
    Double topP;

    @Option(names = "--repetition-penalty", paramLabel = "R",
            description = "transformers' repetition_penalty: logits of tokens already in the prompt or response are "
                    + "divided by R when positive, multiplied when negative (default 1 = off).")
    Double repetitionPenalty;

    @Option(names = "--presence-penalty", paramLabel = "P",
            description = "OpenAI's presence_penalty in [-2, 2]: each token already in the response loses P from its "
                    + "logit (default 0).")
    Double presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "F",
            description = "OpenAI's frequency_penalty in [-2, 2]: F per occurrence in the response (default 0).")
    Double frequencyPenalty;

    @Option(names = "--min-p", paramLabel = "P",
            description = "Drop tokens less likely than P times the most likely, after top-k and top-p (default 0 "
                    + "= off).")
    Double minP;

    @Option(names = "--greedy",
            description = "Take the most likely token at every step (argmax), ignoring the sampling options. "
                    + "Also the default when generation_config.json says do_sample=false and no sampling option "
                    + "is given.")
    boolean greedy;

    /** The sampling to use: options first, then the generation config, then transformers' plain defaults. */
    SamplingParams resolve(GenerationConfig generation, Path modelDir) {
        return warpers(generation, modelDir).with(or(repetitionPenalty, 1.0), or(presencePenalty, 0.0),
                or(frequencyPenalty, 0.0), or(minP, 0.0));
    }

    private SamplingParams warpers(GenerationConfig generation, Path modelDir) {
        boolean explicit = temperature != null || topK != null || topP != null;
        if (greedy) {
            // Still validated: a --top-p of 1.5 is a mistake even when greedy ignores it.
            return new SamplingParams(true, or(temperature, 1.0), or(topK, 0), or(topP, 1.0));
        }
        if (Boolean.FALSE.equals(generation.doSample()) && !explicit) {
            return SamplingParams.GREEDY;
        }
        try {
            return SamplingParams.sample(
                    or(temperature, or(generation.temperature(), 1.0)),
                    or(topK, or(generation.topK(), 0)),
                    or(topP, or(generation.topP(), 1.0)));
        } catch (BadInputException e) {
            if (explicit) {
                throw e;
            }
            // Nothing came from the command line, so the checkpoint's file holds the bad value.
            throw new BadInputException(modelDir.resolve("generation_config.json") + ": " + e.getMessage(), e);
        }
    }

    static String describe(SamplingParams p) {
        return p.greedy() ? "greedy"
                : "temperature " + p.temperature() + ", top-k " + p.topK() + ", top-p " + p.topP();
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
