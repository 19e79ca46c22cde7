package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.DecodeBatch;
import io.specrej.engine.generate.SequenceState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The per-prompt machinery both strategies share: the generator's cache and batch, the memory account, prompt
 * prefill, timed decode steps and scoring, and the result. Each strategy keeps only its own control flow.
 */
final class PromptRun {
    /** Highest score first; the lowest id wins a tie, so the ranking never depends on list order. */
    static final Comparator<Trajectory> BEST_FIRST =
            Comparator.comparingDouble((Trajectory t) -> -t.score()).thenComparingInt(Trajectory::id);

    final Generation generation;
    final RewardScorer scorer;
    final DecodingSetup setup;
    final Prompt prompt;
    final KvCache cache;
    final DecodeBatch batch;
    final MemoryBudget memory;
    final List<Trajectory> trajectories = new ArrayList<>();
    final List<Result.Decision> decisions = new ArrayList<>();
    private final long started = System.nanoTime();
    private long prefillNanos;
    private long generationNanos;
    private long rewardNanos;
    long rejectionNanos;
    int stoppedByBudget;

    PromptRun(Generation generation, RewardScorer scorer, Prompt prompt, DecodingSetup setup) {
        this.generation = generation;
        this.scorer = scorer;
        this.setup = setup;
        this.prompt = prompt;
        this.cache = generation.model().newCache();
        scorer.begin(prompt.text());
        this.memory = new MemoryBudget(setup.memoryBudgetBytes(), cache, scorer.cache());
        this.batch = new DecodeBatch(generation.model(), cache, setup.sampling(), generation.stop(), setup.seed(),
                setup.maxNewTokens());
        batch.trackLogProbs(scorer.needsLogProbs());
    }

    int promptLength() {
        return prompt.ids().length;
    }

    /** Generator KV one forked sequence needs beyond the prompt's shared full pages to hold {@code tokens} more. */
    long generatorBytesPerSequence(int tokens) {
        int p = promptLength();
        return MemoryBudget.bytesFor(cache, (long) p + tokens) - (p / KvCache.PAGE_TOKENS) * cache.pageBytes();
    }

    /** KV both models need per sequence whose response reaches {@code tokens} tokens, beyond the shared prompt. */
    long bytesPerSequence(int tokens) {
        return generatorBytesPerSequence(tokens) + scorer.bytesPerTrajectory(tokens);
    }

    /**
     * KV every sequence shares: the generator's prompt (with its bf16 copy for long prompts,
     * {@code TransformerModel.attachPrefix}) and the scorer's shared state.
     */
    long sharedBytes() {
        return MemoryBudget.bytesFor(cache, promptLength()) + generation.model().prefixCopyBytes(promptLength())
                + scorer.sharedBytes();
    }

    /**
     * The most sequences of {@code tokens} tokens each that fit next to the shared prompts, capped by {@code cap}.
     *
     * @throws BadInputException naming --memory-budget when not even one fits
     */
    int sequencesThatFit(int tokens, int cap, String what) {
        long shared = sharedBytes();
        long each = bytesPerSequence(tokens);
        long fit = (setup.memoryBudgetBytes() - shared) / Math.max(1, each);
        if (fit < 1) {
            throw new BadInputException("--memory-budget " + setup.memoryBudgetBytes() + " bytes is too small: the "
                    + promptLength() + "-token prompt takes " + shared + " bytes of KV (generator and reward model)"
                    + " and one sequence " + each + " bytes more for " + what + "; at least " + (shared + each)
                    + " bytes are needed");
        }
        return (int) Math.min(fit, cap);
    }

    /** Prefills the generator's prompt and the scorer's shared prompt, once each. */
    void prefill() {
        long t0 = System.nanoTime();
        memory.beforeGrowth();
        batch.prefill(prompt.ids());
        memory.afterGrowth();
        memory.beforeGrowth();
        scorer.prefillShared();
        memory.afterGrowth();
        prefillNanos += System.nanoTime() - t0;
    }

    List<Trajectory> fork(int firstIndex, int count) {
        List<Trajectory> created = new ArrayList<>(count);
        for (SequenceState s : batch.fork(firstIndex, count)) {
            created.add(new Trajectory(s));
        }
        trajectories.addAll(created);
        return created;
    }

    /** One decode step for the running sequences; finished ones leave {@code running}. */
    void step(List<SequenceState> running) {
        long t0 = System.nanoTime();
        memory.beforeGrowth();
        batch.step(running);
        memory.afterGrowth();
        running.removeIf(SequenceState::finished);
        generationNanos += System.nanoTime() - t0;
    }

    /** Scores in one batch and records the rewards; a finished response's reward-model KV is freed at once. */
    void score(List<Trajectory> list) {
        if (list.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        double[] scores = scorer.score(list, memory);
        for (int i = 0; i < scores.length; i++) {
            Trajectory t = list.get(i);
            t.recordScore(scores[i]);
            if (t.finished()) {
                scorer.release(t);
            }
        }
        rewardNanos += System.nanoTime() - t0;
    }

    /** Finished trajectories not rejected and not scored yet. */
    List<Trajectory> finishedUnscored() {
        List<Trajectory> out = new ArrayList<>();
        for (Trajectory t : trajectories) {
            if (t.finished() && t.rejectedAt() == null && !t.finalScored()) {
                out.add(t);
            }
        }
        return out;
    }

    Result result(String strategy, int initialBatch) {
        Trajectory best = null;
        for (Trajectory t : trajectories) {
            if (t.rejectedAt() == null && t.finalScored() && (best == null || BEST_FIRST.compare(t, best) < 0)) {
                best = t;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no trajectory finished and was scored");
        }
        List<Result.Candidate> candidates = new ArrayList<>(trajectories.size());
        long generated = 0;
        List<Trajectory> byId = new ArrayList<>(trajectories);
        byId.sort(Comparator.comparingInt(Trajectory::id));
        for (Trajectory t : byId) {
            int[] tokens = t.tokens();
            generated += tokens.length;
            candidates.add(new Result.Candidate(t.id(), tokens, generation.text(tokens),
                    t.finishReason() == null ? null : t.finishReason().apiName(), t.stoppedByBudget(), t.score(),
                    t.rejectedAt(), List.copyOf(t.partialScores())));
        }
        Result.Best winner = new Result.Best(best.id(), best.tokens(), generation.text(best.tokens()), best.score());
        double s = 1e-9;
        Result.Stats stats = new Result.Stats((System.nanoTime() - started) * s, prefillNanos * s,
                generationNanos * s, rewardNanos * s, rejectionNanos * s, generated, scorer.tokensProcessed(),
                scorer.tokensFullRescoring(), memory.peakBytes(), setup.memoryBudgetBytes(), initialBatch,
                stoppedByBudget, List.copyOf(decisions));
        return new Result(strategy, List.copyOf(candidates), winner, stats);
    }

    /** Frees everything this prompt holds in both caches. */
    void close() {
        for (Trajectory t : trajectories) {
            batch.release(t.state());
        }
        batch.releasePrompt();
        scorer.end();
    }
}
