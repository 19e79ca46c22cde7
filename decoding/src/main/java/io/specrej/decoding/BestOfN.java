package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import io.specrej.engine.generate.SequenceState;
import java.util.ArrayList;
import java.util.List;

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

    public BestOfN(Generation generation, RewardScorer scorer) {
        this.generation = generation;
        this.scorer = scorer;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result run(Prompt prompt, DecodingSetup setup) {
        if (setup.n() == null) {
            throw new BadInputException("--n is required for best-of-n: how many responses to sample");
        }
        int n = setup.n();
        PromptRun run = new PromptRun(generation, scorer, prompt, setup);
        try {
            int wave = run.sequencesThatFit(setup.maxNewTokens(), Math.min(n, setup.maxBatch()),
                    "its whole " + setup.maxNewTokens() + "-token horizon");
            run.prefill();
            for (int first = 0; first < n; first += wave) {
                List<Trajectory> created = run.fork(first, Math.min(wave, n - first));
                List<SequenceState> running = new ArrayList<>(created.size());
                for (Trajectory t : created) {
                    if (!t.finished()) {
                        running.add(t.state());
                    }
                }
                while (!running.isEmpty()) {
                    if (!run.memory.fits(run.batch.bytesForNextStep(running))) {
                        throw new IllegalStateException("a Best-of-N wave sized for the full horizon ran out of"
                                + " budget: " + run.memory.inUse() + " of " + run.memory.budgetBytes() + " bytes");
                    }
                    run.step(running);
                }
                // The wave's generator KV is gone by now, so scoring has the room it was sized for.
                run.score(created);
            }
            return run.result(NAME, wave);
        } finally {
            run.close();
        }
    }
}
