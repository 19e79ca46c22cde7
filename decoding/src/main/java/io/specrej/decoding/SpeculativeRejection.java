package io.specrej.decoding;

import io.specrej.engine.generate.SequenceState;
import java.util.ArrayList;
import java.util.List;

/**
 * Speculative rejection (Sun et al., NeurIPS 2024): start as many responses as the memory budget holds, and whenever
 * the next decode step would not fit (or every {@code decideEvery} tokens) score the partial responses, keep the best
 * {@code round((1 - alpha) * count)} (at least one) and free the rest's KV at once; continue with the survivors.
 *
 * <p>Unlike the paper's code, survivors keep their generator KV (no re-prefill after a rejection) and the reward
 * model scores incrementally ({@link ModelRewardScorer}). A trajectory that finishes is scored once, at the next
 * decision or at the end, and then competes with its final score at every later decision.
 *
 * <p>"Would not fit" counts the exact generator bytes of the next step plus an estimate of the reward-model bytes
 * needed to score every running and newly finished trajectory afterwards, so the decision itself stays in budget.
 * When a decision frees nothing (alpha = 0, or too few trajectories for round() to drop one) and the next step still
 * does not fit, the running trajectories are stopped as finished with reason "length" and flagged
 * {@code stoppedByBudget}: the run always ends.
 */
public final class SpeculativeRejection implements Strategy {
    public static final String NAME = "speculative-rejection";
    /** The initial batch is the largest whose sequences can each still generate this many tokens in the budget. */
    public static final int MIN_TOKENS_PER_SEQUENCE = 8;

    private final Generation generation;
    private final RewardScorer scorer;

    public SpeculativeRejection(Generation generation, RewardScorer scorer) {
        this.generation = generation;
        this.scorer = scorer;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result run(Prompt prompt, DecodingSetup setup) {
        PromptRun run = new PromptRun(generation, scorer, prompt, setup);
        try {
            int fit = run.sequencesThatFit(MIN_TOKENS_PER_SEQUENCE, setup.maxBatch(),
                    MIN_TOKENS_PER_SEQUENCE + " tokens");
            int initial = setup.n() != null ? setup.n() : fit;
            run.prefill();
            List<Trajectory> all = run.fork(0, initial);
            run.batch.releasePrompt(); // no more forks: the prompt's pages live on in the sequences that share them
            List<SequenceState> running = new ArrayList<>(initial);
            for (Trajectory t : all) {
                if (!t.finished()) {
                    running.add(t.state());
                }
            }
            new Loop(run, all, running).generate();
            run.score(run.finishedUnscored());
            return run.result(NAME, initial);
        } finally {
            run.close();
        }
    }

    /** The generate–decide loop over one prompt's trajectories (indexed by id). */
    private final class Loop {
        private final PromptRun run;
        private final List<Trajectory> all;
        private final List<SequenceState> running;
        private final Integer every;

        Loop(PromptRun run, List<Trajectory> all, List<SequenceState> running) {
            this.run = run;
            this.all = all;
            this.running = running;
            this.every = run.setup.decideEvery();
        }

        void generate() {
            int lastDecision = -1;
            while (!running.isEmpty()) {
                int tokens = running.get(0).length(); // all running ones started together: same length
                boolean scheduled = every != null && tokens % every == 0 && tokens != lastDecision;
                boolean full = !nextStepFits();
                if (scheduled || full) {
                    lastDecision = tokens;
                    boolean rejected = decide(tokens, full);
                    while (!running.isEmpty() && !nextStepFits()) {
                        if (rejected) {
                            rejected = decide(tokens, true);
                        } else {
                            stopRunningForBudget();
                        }
                    }
                    if (running.isEmpty()) {
                        break;
                    }
                }
                run.step(running);
            }
        }

        /** The next step, and the scoring that the decision after it would need, fit the budget. */
        private boolean nextStepFits() {
            long need = run.batch.bytesForNextStep(running);
            for (Trajectory t : all) {
                if (t.active()) {
                    need += scorer.bytesToCatchUp(t, t.length() + 1);
                } else if (t.finished() && t.rejectedAt() == null && !t.finalScored()) {
                    need += scorer.bytesToCatchUp(t, t.length());
                }
            }
            return run.memory.fits(need);
        }

        /** Scores, ranks and rejects; returns whether anything was rejected. */
        private boolean decide(int tokens, boolean memoryTriggered) {
            List<Trajectory> ranked = new ArrayList<>();
            List<Trajectory> toScore = new ArrayList<>();
            for (Trajectory t : all) {
                if (t.rejectedAt() == null) {
                    ranked.add(t);
                    if (!t.finalScored()) {
                        toScore.add(t);
                    }
                }
            }
            long processed = scorer.tokensProcessed();
            long full = scorer.tokensFullRescoring();
            run.score(toScore);
            long t0 = System.nanoTime();
            ranked.sort(PromptRun.BEST_FIRST);
            int keep = (int) Math.max(1, Math.round((1 - run.setup.alpha()) * ranked.size()));
            int index = run.decisions.size();
            for (int i = keep; i < ranked.size(); i++) {
                Trajectory t = ranked.get(i);
                t.reject(index);
                run.batch.release(t.state());
                scorer.release(t);
            }
            if (keep < ranked.size()) {
                running.removeIf(s -> all.get(s.index()).rejectedAt() != null);
            }
            run.decisions.add(new Result.Decision(tokens, ranked.size(), keep, memoryTriggered,
                    scorer.tokensProcessed() - processed, scorer.tokensFullRescoring() - full));
            run.rejectionNanos += System.nanoTime() - t0;
            return keep < ranked.size();
        }

        private void stopRunningForBudget() {
            for (SequenceState s : running) {
                Trajectory t = all.get(s.index());
                t.stopForBudget();
                run.batch.release(s);
                scorer.release(t);
                run.stoppedByBudget++;
            }
            running.clear();
        }
    }
}
