package io.specrej.decoding;


/**
 * Plain Best-of-N: N complete responses, each scored once finished, the best wins. The prompt is prefilled once and
 * kept; candidates run in waves as large as the memory budget allows for the whole horizon (prompt + max_new_tokens
 * per sequence, generator and reward-model KV together), so a wave never has to stop early. Candidate i uses random
 * stream i whatever wave it runs in, which is what makes Best-of-N and speculative rejection comparable token for
 * token.
 */
public final class BestOfN implements Strategy {
    public static final String NAME = "best-of-n";
    private final Generation generation;
    private final RewardScorer scorer;
    /** Drives one prompt at a time through the same step-driven core as the server ({@link StepLoop}). */
    private StepLoop loop;

    public BestOfN(Generation generation, RewardScorer scorer) {
        this.generation = generation;
        this.scorer = scorer;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void check(Prompt prompt, DecodingSetup setup, RequestOptions options) {
        RequestPolicy policy = loop().plan(NAME, prompt, setup, scorer, options);
        try {
            policy.plan();
        } finally {
            policy.close();
        }
    }

    /**
     * The KV budget (generator and reward model) that runs all of {@code setup.n()} candidates of {@code prompt} in
     * one wave: what "one machine" holds when Best-of-N is sized to fill it, as the paper's Best-of-120 fills one GPU.
     */
    public long oneWaveBytes(Prompt prompt, DecodingSetup setup) {
        RequestPolicy policy = loop().plan(NAME, prompt, setup.withMaxBatch(Math.max(setup.maxBatch(), setup.n())),
                scorer, RequestOptions.NONE);
        try {
            return policy.wantedBytes();
        } finally {
            policy.close();
        }
    }

    private StepLoop loop() {
        if (loop == null) {
            loop = new StepLoop(generation, generation.model().newCache(), Integer.MAX_VALUE, Integer.MAX_VALUE);
        }
        return loop;
    }

    @Override
    public Result run(Prompt prompt, DecodingSetup setup) {
        return run(prompt, setup, RequestOptions.NONE);
    }

    @Override
    public Result run(Prompt prompt, DecodingSetup setup, RequestOptions options) {
        loop();
        try {
            return loop.runAlone(loop.plan(NAME, prompt, setup, scorer, options),
                    setup.memoryBudgetBytes());
        } finally {
            loop.cache().trimFreePages(); // one prompt's pages are not kept for the next: memory follows the prompt
        }
    }
}
