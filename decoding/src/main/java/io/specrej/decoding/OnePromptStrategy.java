package io.specrej.decoding;

/**
 * A strategy that runs one prompt at a time through its own {@link StepLoop} (the core the server's scheduler drives
 * with many requests), with the whole budget as the request's quota. The loop and its caches live as long as the
 * strategy; each prompt's pages go back when it ends.
 */
abstract class OnePromptStrategy implements Strategy {
    final Generation generation;
    final RewardScorer scorer;
    private StepLoop loop;

    OnePromptStrategy(Generation generation, RewardScorer scorer) {
        this.generation = generation;
        this.scorer = scorer;
    }

    final StepLoop loop() {
        if (loop == null) {
            loop = new StepLoop(generation, generation.model().newCache(), Integer.MAX_VALUE, Integer.MAX_VALUE);
        }
        return loop;
    }

    @Override
    public final void check(Prompt prompt, DecodingSetup setup, RequestOptions options) {
        RequestPolicy policy = loop().plan(name(), prompt, setup, scorer, options);
        try {
            policy.plan();
        } finally {
            policy.close();
        }
    }

    @Override
    public final Result run(Prompt prompt, DecodingSetup setup) {
        return run(prompt, setup, RequestOptions.NONE);
    }

    @Override
    public final Result run(Prompt prompt, DecodingSetup setup, RequestOptions options) {
        StepLoop l = loop();
        try {
            return l.runAlone(l.plan(name(), prompt, setup, scorer, options), setup.memoryBudgetBytes());
        } finally {
            l.cache().trimFreePages(); // one prompt's pages are not kept for the next: memory follows the prompt
        }
    }
}
