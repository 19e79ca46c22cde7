package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import java.util.List;

/**
 * Best-of-N for one request, step by step (see {@link BestOfN}): waves as large as the request's budget allows for
 * the whole horizon, each scored once finished. Candidate i uses random stream i whatever wave it runs in, and the
 * model's rows do not depend on the batch, so the result does not depend on the budget granted: a scheduler may
 * grant anything from one sequence's horizon to all N at once.
 */
final class BestOfNPolicy extends RequestPolicy {
    private enum Phase { START, PREFILL, WAVE, SCORING }

    private Phase phase = Phase.START;
    private final int n;
    private int wave;
    private int first;
    private List<Trajectory> created;

    BestOfNPolicy(PromptRun run, RequestListener listener) {
        super(run, listener);
        if (run.setup.n() == null) {
            throw new BadInputException("--n is required for best-of-n: how many responses to sample");
        }
        this.n = run.setup.n();
    }

    @Override
    long minimumBytes() {
        return run.bytesFor(1, run.setup.maxNewTokens());
    }

    @Override
    long wantedBytes() {
        return run.bytesFor(Math.min(n, run.setup.maxBatch()), run.setup.maxNewTokens());
    }

    @Override
    Work advance() {
        switch (phase) {
            case START -> {
                wave = plan();
                phase = Phase.PREFILL;
                return startPrefill();
            }
            case PREFILL -> {
                Work prefill = prefillWork();
                if (prefill != null) {
                    return prefill;
                }
                first = 0;
                startWave();
                return generate();
            }
            case WAVE -> {
                return generate();
            }
            default -> throw new IllegalStateException("asked for work while " + phase);
        }
    }

    /** The wave size; N's results (every candidate's tokens) must also fit the heap. */
    @Override
    int plan() {
        run.checkResultsFit(n);
        return run.sequencesThatFit(run.setup.maxNewTokens(), Math.min(n, run.setup.maxBatch()),
                "its whole " + run.setup.maxNewTokens() + "-token horizon");
    }

    private void startWave() {
        created = forkRunning(first, Math.min(wave, n - first));
        phase = Phase.WAVE;
    }

    private Work generate() {
        if (!running.isEmpty()) {
            if (!run.memory.fits(run.batch.bytesForNextStep(running))) {
                throw new IllegalStateException("a Best-of-N wave sized for the full horizon ran out of budget: "
                        + run.memory.inUse() + " of " + run.memory.budgetBytes() + " bytes");
            }
            return Work.DECODE;
        }
        // The wave's generator KV is gone by now, so scoring has the room it was sized for.
        phase = Phase.SCORING;
        return Work.score(created);
    }

    @Override
    void scored(List<Trajectory> list, double[] scores) {
        run.recordScores(list, scores);
        listener.scored(list);
        first += wave;
        if (first < n) {
            startWave();
        } else {
            finish(run.result(BestOfN.NAME, wave));
        }
    }
}
