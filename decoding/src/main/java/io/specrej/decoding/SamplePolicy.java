package io.specrej.decoding;

import java.util.List;

/** Plain sampling: n independent responses from one prompt, no reward model (OpenAI's {@code n}). */
final class SamplePolicy extends RequestPolicy {
    public static final String NAME = "sample";

    private enum Phase { START, PREFILL, DECODE }

    private Phase phase = Phase.START;
    private final int n;

    SamplePolicy(PromptRun run, RequestListener listener) {
        super(run, listener);
        this.n = run.setup.n() == null ? 1 : run.setup.n();
    }

    @Override
    long minimumBytes() {
        return run.bytesFor(n, run.setup.maxNewTokens());
    }

    @Override
    Work advance() {
        switch (phase) {
            case START -> {
                plan();
                phase = Phase.PREFILL;
                return startPrefill();
            }
            case PREFILL -> {
                if (!run.batch.prefillDone()) {
                    return Work.PREFILL;
                }
                forkRunning(0, n);
                run.batch.releasePrompt();
                phase = Phase.DECODE;
                return decode();
            }
            default -> {
                return decode();
            }
        }
    }

    @Override
    int plan() {
        run.checkResultsFit(n);
        if (run.bytesFor(n, run.setup.maxNewTokens()) > run.setup.memoryBudgetBytes()) {
            throw new io.specrej.engine.BadInputException(n + " sequences of " + run.setup.maxNewTokens()
                    + " tokens need " + run.bytesFor(n, run.setup.maxNewTokens()) + " bytes of KV next to the "
                    + run.promptLength() + "-token prompt; the budget is " + run.setup.memoryBudgetBytes() + " bytes");
        }
        return n;
    }

    private Work decode() {
        if (running.isEmpty()) {
            return finish(run.result(NAME, n));
        }
        if (!run.memory.fits(run.batch.bytesForNextStep(running))) {
            throw new IllegalStateException("sampling sized for the full horizon ran out of budget: "
                    + run.memory.inUse() + " of " + run.memory.budgetBytes() + " bytes");
        }
        return Work.DECODE;
    }

    @Override
    void scored(List<Trajectory> list, double[] scores) {
        throw new IllegalStateException("plain sampling scores nothing");
    }
}
