package io.specrej.decoding;

/**
 * Plain Best-of-N: N complete responses, each scored once finished, the best wins. The prompt is prefilled once and
 * kept; candidates run in waves as large as the memory budget allows for the whole horizon (prompt + max_new_tokens
 * per sequence, generator and reward-model KV together), so a wave never has to stop early. Candidate i uses random
 * stream i whatever wave it runs in, which is what makes Best-of-N and speculative rejection comparable token for
 * token.
 */
public final class BestOfN extends OnePromptStrategy {
    public static final String NAME = "best-of-n";

    public BestOfN(Generation generation, RewardScorer scorer) {
        super(generation, scorer);
    }

    @Override
    public String name() {
        return NAME;
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
}
