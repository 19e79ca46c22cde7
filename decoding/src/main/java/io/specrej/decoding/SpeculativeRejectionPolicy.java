package io.specrej.decoding;

import io.specrej.engine.generate.SequenceState;
import java.util.ArrayList;
import java.util.List;

/**
 * Speculative Rejection for one request, step by step (see {@link SpeculativeRejection} for the algorithm). The
 * request's budget is its quota: "memory is full" means "this request's quota is full", so a request's result equals
 * a {@code run} with {@code --memory-budget} set to that quota, whatever else shares the machine.
 */
final class SpeculativeRejectionPolicy extends RequestPolicy {
    private enum Phase { START, PREFILL, LOOP, FINAL_SCORE }

    private Phase phase = Phase.START;
    private int initial;
    private final Integer every;
    private int lastDecision = -1;
    /** A decision's scoring is out: its scores arrive in {@link #scored}. */
    private Decision pending;
    /** A decision was just applied: the loop re-checks the budget before the next step. */
    private boolean afterDecision;
    private boolean lastRejected;
    private int decisionTokens;

    /** A decision between asking for its scores and applying them. */
    private record Decision(int tokens, boolean memoryTriggered, List<Trajectory> ranked, long processedBefore,
                            long fullBefore) {
    }

    SpeculativeRejectionPolicy(PromptRun run, RequestListener listener) {
        super(run, listener);
        this.every = run.setup.decideEvery();
    }

    @Override
    long minimumBytes() {
        return run.setup.memoryBudgetBytes(); // the result depends on the budget: it is the request's own
    }

    @Override
    Work advance() {
        switch (phase) {
            case START -> {
                initial = plan();
                phase = Phase.PREFILL;
                return startPrefill();
            }
            case PREFILL -> {
                Work prefill = prefillWork();
                if (prefill != null) {
                    return prefill;
                }
                forkRunning(0, initial);
                run.batch.releasePrompt(); // no more forks: the prompt's pages live on in the forks that share them
                phase = Phase.LOOP;
                return loop();
            }
            case LOOP -> {
                return loop();
            }
            default -> throw new IllegalStateException("asked for work while " + phase);
        }
    }

    /**
     * The initial batch: the budget's choice (capped by maxBatch), or the given n, which may exceed what the budget
     * holds (the first decisions then reject down to it) but not what the heap holds for its candidates' results.
     */
    @Override
    int plan() {
        int min = SpeculativeRejection.MIN_TOKENS_PER_SEQUENCE;
        int fit = run.sequencesThatFit(min, run.setup.maxBatch(), min + " tokens");
        Integer n = run.setup.n();
        if (n == null) {
            return fit;
        }
        run.checkResultsFit(n);
        return n;
    }

    private Work loop() {
        while (true) {
            if (afterDecision) {
                if (!running.isEmpty() && !nextStepFits()) {
                    if (lastRejected) {
                        Work w = beginDecision(decisionTokens, true);
                        if (w != null) {
                            return w;
                        }
                        continue;
                    }
                    stopRunningForBudget();
                }
                afterDecision = false;
                if (running.isEmpty()) {
                    return finalScoring();
                }
                return Work.DECODE;
            }
            if (running.isEmpty()) {
                return finalScoring();
            }
            int tokens = running.get(0).length(); // all running ones started together: same length
            boolean scheduled = every != null && tokens % every == 0 && tokens != lastDecision;
            boolean full = !nextStepFits();
            if (!scheduled && !full) {
                return Work.DECODE;
            }
            lastDecision = tokens;
            Work w = beginDecision(tokens, full);
            if (w != null) {
                return w;
            }
        }
    }

    private Work finalScoring() {
        List<Trajectory> unscored = run.finishedUnscored();
        if (unscored.isEmpty()) {
            return finish(run.result(SpeculativeRejection.NAME, initial));
        }
        phase = Phase.FINAL_SCORE;
        return Work.score(unscored);
    }

    /** The next step, and the scoring that the decision after it would need, fit the budget. */
    private boolean nextStepFits() {
        long need = run.batch.bytesForNextStep(running);
        for (Trajectory t : run.trajectories) {
            if (t.active()) {
                need += run.scorer.bytesToCatchUp(t, t.length() + 1);
            } else if (t.finished() && t.rejectedAt() == null && !t.finalScored()) {
                need += run.scorer.bytesToCatchUp(t, t.length());
            }
        }
        return run.memory.fits(need);
    }

    /** Ranks every unrejected trajectory; returns the scoring it needs, or null when it was applied at once. */
    private Work beginDecision(int tokens, boolean memoryTriggered) {
        List<Trajectory> ranked = new ArrayList<>();
        List<Trajectory> toScore = new ArrayList<>();
        for (Trajectory t : run.trajectories) {
            if (t.rejectedAt() == null) {
                ranked.add(t);
                if (!t.finalScored()) {
                    toScore.add(t);
                }
            }
        }
        decisionTokens = tokens;
        pending = new Decision(tokens, memoryTriggered, ranked, run.scorer.tokensProcessed(),
                run.scorer.tokensFullRescoring());
        if (toScore.isEmpty()) {
            applyDecision();
            return null;
        }
        return Work.score(toScore);
    }

    @Override
    void scored(List<Trajectory> list, double[] scores) {
        run.recordScores(list, scores);
        listener.scored(list);
        if (phase == Phase.FINAL_SCORE) {
            finish(run.result(SpeculativeRejection.NAME, initial));
            return;
        }
        applyDecision();
    }

    /** Keeps the best round((1 - alpha) * count), at least one; frees the rest's KV in both models at once. */
    private void applyDecision() {
        Decision d = pending;
        pending = null;
        long t0 = System.nanoTime();
        List<Trajectory> ranked = d.ranked();
        ranked.sort(PromptRun.BEST_FIRST);
        int keep = (int) Math.max(1, Math.round((1 - run.setup.alpha()) * ranked.size()));
        int index = run.decisions.size();
        for (int i = keep; i < ranked.size(); i++) {
            Trajectory t = ranked.get(i);
            t.reject(index);
            run.batch.release(t.state());
            run.scorer.release(t);
        }
        if (keep < ranked.size()) {
            running.removeIf(s -> run.trajectories.get(s.index()).rejectedAt() != null);
        }
        Result.Decision decision = new Result.Decision(d.tokens(), ranked.size(), keep, d.memoryTriggered(),
                run.scorer.tokensProcessed() - d.processedBefore(),
                run.scorer.tokensFullRescoring() - d.fullBefore());
        run.decisions.add(decision);
        run.rejectionNanos += System.nanoTime() - t0;
        lastRejected = keep < ranked.size();
        afterDecision = true;
        listener.decided(decision, List.copyOf(ranked), keep);
    }

    private void stopRunningForBudget() {
        for (SequenceState s : running) {
            Trajectory t = run.trajectories.get(s.index());
            t.stopForBudget();
            run.batch.release(s);
            run.scorer.release(t);
            run.stoppedByBudget++;
        }
        running.clear();
    }
}
