package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.DecodeBatch;
import io.specrej.engine.generate.SequenceState;
import io.specrej.engine.generate.StopTokens;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One request's state that every policy shares: its sequences in the generator's cache (under an account of its
 * own), its reward scorer, its memory budget (the request's quota), the trajectories, the decisions, the timings and
 * the result. Never runs a model: a {@link StepLoop} runs the passes a policy asks for.
 */
final class PromptRun {
    /** Highest score first; the lowest id wins a tie, so the ranking never depends on list order. */
    static final Comparator<Trajectory> BEST_FIRST =
            Comparator.comparingDouble((Trajectory t) -> -t.score()).thenComparingInt(Trajectory::id);

    final Generation generation;
    final RewardScorer scorer;
    DecodingSetup setup;
    final Prompt prompt;
    final KvCache cache;
    final KvCache.Account account;
    final DecodeBatch batch;
    MemoryBudget memory;
    final List<Trajectory> trajectories = new ArrayList<>();
    final List<Result.Decision> decisions = new ArrayList<>();
    /** Stop strings whose text a response's text is cut before, or null. */
    private final io.specrej.engine.generate.StopStrings stopStrings;
    private final long started = System.nanoTime();
    long prefillNanos;
    long generationNanos;
    long rewardNanos;
    long rejectionNanos;
    int stoppedByBudget;
    private boolean closed;

    /**
     * @param scorer the request's scorer (begun here on the prompt), or null for plain sampling
     * @param cache  the generator's cache, which other requests may share
     */
    PromptRun(Generation generation, RewardScorer scorer, Prompt prompt, DecodingSetup setup, KvCache cache,
              RequestOptions options) {
        this.generation = generation;
        this.scorer = scorer;
        this.setup = setup;
        this.prompt = prompt;
        this.cache = cache;
        this.account = cache.newAccount();
        if (scorer != null) {
            scorer.begin(prompt.conversation());
        }
        this.memory = new MemoryBudget(setup.memoryBudgetBytes(), account, scorer == null ? null : scorer.account());
        this.batch = new DecodeBatch(generation.model(), cache, account, setup.sampling(),
                stopTokens(generation, options),
                setup.seed(), setup.maxNewTokens());
        batch.trackLogProbs(scorer != null && scorer.needsLogProbs());
        if (options.stop() != null) {
            batch.stopWhen(options.stop());
        }
        this.stopStrings = options.stop() instanceof io.specrej.engine.generate.StopStrings s ? s : null;
    }

    /** The model's stop tokens (none with ignoreEos) and the request's own. */
    private static StopTokens stopTokens(Generation generation, RequestOptions options) {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        if (!options.ignoreEos()) {
            for (int id : generation.stop().ids()) {
                ids.add(id);
            }
        }
        int vocab = generation.model().config().vocabSize();
        for (int id : options.stopTokenIds()) {
            if (id < 0 || id >= vocab) {
                throw new BadInputException("stop token id " + id + " is outside the vocabulary of " + vocab);
            }
            ids.add(id);
        }
        return StopTokens.of(ids);
    }

    /** Sets the budget (the request's quota) before anything runs. */
    void grant(long bytes) {
        setup = setup.withMemoryBudget(bytes);
        memory = new MemoryBudget(bytes, account, scorer == null ? null : scorer.account());
    }

    int promptLength() {
        return prompt.length();
    }

    /** Generator KV one forked sequence needs beyond the prompt's shared full pages to hold {@code tokens} more. */
    long generatorBytesPerSequence(int tokens) {
        int p = promptLength();
        return MemoryBudget.bytesFor(cache, (long) p + tokens) - (p / KvCache.PAGE_TOKENS) * cache.pageBytes();
    }

    /** KV both models need per sequence whose response reaches {@code tokens} tokens, beyond the shared prompt. */
    long bytesPerSequence(int tokens) {
        return generatorBytesPerSequence(tokens) + (scorer == null ? 0 : scorer.bytesPerTrajectory(tokens));
    }

    /**
     * KV every sequence shares: the generator's prompt (with its bf16 copy for long prompts,
     * {@code TransformerModel.attachPrefix}) and the scorer's shared state.
     */
    long sharedBytes() {
        return MemoryBudget.bytesFor(cache, promptLength()) + generation.model().prefixCopyBytes(promptLength())
                + (scorer == null ? 0 : scorer.sharedBytes());
    }

    /** The least budget that runs {@code sequences} sequences of {@code tokens} tokens each next to the prompt. */
    long bytesFor(int sequences, int tokens) {
        return sharedBytes() + sequences * bytesPerSequence(tokens);
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

    /**
     * Every candidate's tokens stay in the result; {@code n} of them at the full horizon must fit in half the heap
     * (about 8 bytes a token with the boxes around them), or the run would die of memory late instead of failing now.
     */
    void checkResultsFit(int n) {
        long need = (long) n * (setup.maxNewTokens() * 8L + 256);
        long limit = Runtime.getRuntime().maxMemory() / 2;
        if (need > limit) {
            throw new BadInputException("--n " + n + " candidates of up to " + setup.maxNewTokens() + " tokens need"
                    + " about " + need + " bytes of heap for their results, more than half the JVM's " +
                    Runtime.getRuntime().maxMemory() + " bytes; lower --n or --max-new-tokens (or raise -Xmx through"
                    + " SPECREJ_JAVA_OPTS)");
        }
    }

    /**
     * Whether the scorer's shared prompt still has tokens to run (through the loop's reward-model passes, in
     * chunks); makes its sequence the first time.
     */
    boolean scorerPrefillPending() {
        if (scorer instanceof ModelRewardScorer m) {
            m.startShared();
            return m.sharedRemaining() > 0;
        }
        return false;
    }

    List<Trajectory> fork(int firstIndex, int count) {
        List<Trajectory> created = new ArrayList<>(count);
        for (SequenceState s : batch.fork(firstIndex, count)) {
            created.add(new Trajectory(s));
        }
        trajectories.addAll(created);
        return created;
    }

    /** Records the rewards of a scoring; a finished response's reward-model KV is freed at once. */
    void recordScores(List<Trajectory> list, double[] scores) {
        for (int i = 0; i < scores.length; i++) {
            Trajectory t = list.get(i);
            t.recordScore(scores[i]);
            if (t.finished()) {
                scorer.release(t);
            }
        }
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

    /** The result; with no scorer there is no best (plain sampling). */
    Result result(String strategy, int initialBatch) {
        Trajectory best = null;
        if (scorer != null) {
            for (Trajectory t : trajectories) {
                if (t.rejectedAt() == null && t.finalScored() && (best == null || BEST_FIRST.compare(t, best) < 0)) {
                    best = t;
                }
            }
            if (best == null) {
                throw new IllegalStateException("no trajectory finished and was scored");
            }
        }
        List<Result.Candidate> candidates = new ArrayList<>(trajectories.size());
        long generated = 0;
        List<Trajectory> byId = new ArrayList<>(trajectories);
        byId.sort(Comparator.comparingInt(Trajectory::id));
        for (Trajectory t : byId) {
            int[] tokens = t.tokens();
            generated += tokens.length;
            candidates.add(new Result.Candidate(t.id(), tokens, text(tokens),
                    t.finishReason() == null ? null : t.finishReason().apiName(), t.stoppedByBudget(), t.score(),
                    t.rejectedAt(), List.copyOf(t.partialScores())));
        }
        Result.Best winner = best == null ? null
                : new Result.Best(best.id(), best.tokens(), text(best.tokens()), best.score());
        double s = 1e-9;
        Result.Stats stats = new Result.Stats((System.nanoTime() - started) * s, prefillNanos * s,
                generationNanos * s, rewardNanos * s, rejectionNanos * s, generated,
                scorer == null ? 0 : scorer.tokensProcessed(), scorer == null ? 0 : scorer.tokensFullRescoring(),
                memory.peakBytes(), setup.memoryBudgetBytes(), initialBatch, stoppedByBudget, List.copyOf(decisions));
        return new Result(strategy, List.copyOf(candidates), winner, stats);
    }

    /** A response's text as a person reads it: special tokens left out, cut before a stop string. */
    private String text(int[] tokens) {
        String text = generation.text(tokens);
        return stopStrings == null ? text : stopStrings.cut(text);
    }

    /** Frees everything this request holds in both caches (idempotent). */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Trajectory t : trajectories) {
            batch.release(t.state());
        }
        batch.releasePrompt();
        cache.removeAll(account); // nothing should be left; a safety net, so no request can leak KV
        if (scorer != null) {
            scorer.end();
        }
    }
}
