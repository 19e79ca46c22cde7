package io.specrej.engine.generate;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/** Generates n complete sequences from one prompt in one batch (the engine's own `generate`). */
public final class Generator {
    private final TransformerModel model;

    public Generator(TransformerModel model) {
        this.model = model;
    }

    /** Runs n sequences (indexes 0..n-1) to a stop token or maxNewTokens; returns them in index order. */
    public List<SequenceState> generate(int[] prompt, int n, SamplingParams sampling, StopTokens stop, long seed,
                                        int maxNewTokens) {
        return generate(prompt, n, sampling, stop, StopCondition.NONE, seed, maxNewTokens, sequences -> { });
    }

    /**
     * {@link #generate} with a stop rule (e.g. stop strings) and a callback after the prompt's forks and after every
     * step, with every sequence (for streaming their text as it grows).
     */
    public List<SequenceState> generate(int[] prompt, int n, SamplingParams sampling, StopTokens stop,
                                        StopCondition condition, long seed, int maxNewTokens,
                                        java.util.function.Consumer<List<SequenceState>> afterStep) {
        if (n < 1) {
            throw new io.specrej.engine.BadInputException("--n must be at least 1, got " + n);
        }
        KvCache cache = model.newCache();
        DecodeBatch batch = new DecodeBatch(model, cache, sampling, stop, seed, maxNewTokens);
        batch.stopWhen(condition);
        batch.prefill(prompt);
        List<SequenceState> sequences = batch.fork(0, n);
        batch.releasePrompt();
        afterStep.accept(sequences);
        List<SequenceState> running = new ArrayList<>(sequences);
        running.removeIf(SequenceState::finished);
        while (!running.isEmpty()) {
            batch.step(running);
            afterStep.accept(sequences);
            running.removeIf(SequenceState::finished);
        }
        return sequences;
    }
}
