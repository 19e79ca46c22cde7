package io.specrej.decoding;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.StepRunner;
import java.util.ArrayList;
import java.util.List;

/**
 * The step-driven core every entry point shares (a {@code run} over a prompt file drives it with one request at a
 * time; the server's {@link Scheduler} with many). Each {@link #iterate()}: ask every request's policy what it wants,
 * run all scoring in one reward-model pass, then all decode rows and prompt chunks in one generator pass (split into
 * passes of at most {@code maxRows} decode rows; batch invariance makes the split invisible), and report back. A
 * request's output therefore depends only on its own fields: its sequences sample from their own streams with their
 * own parameters, and the passes' rows do not depend on what else is in them.
 *
 * <p>Single-threaded: one thread owns a loop, its caches and its requests.
 */
public final class StepLoop {
    private final Generation generation;
    private final KvCache cache;
    private final StepRunner runner;
    private final int maxRows;
    private final int prefillTokens;
    private final List<Entry> active = new ArrayList<>();
    /** The reward model's cache when one is shared by this loop's requests, for the joint peak; else null. */
    private KvCache rewardCache;
    private long peakBytes;

    /** A request in the loop, with work it asked for that has not run yet. */
    private static final class Entry {
        final RequestPolicy policy;
        RequestPolicy.Work pending;
        volatile RuntimeException cancel;

        Entry(RequestPolicy policy) {
            this.policy = policy;
        }
    }

    /**
     * @param cache         the generator's cache, shared by every request of this loop
     * @param maxRows       decode rows per generator pass at most
     * @param prefillTokens prompt tokens fed per iteration at most (a long prompt runs in chunks between steps)
     */
    public StepLoop(Generation generation, KvCache cache, int maxRows, int prefillTokens) {
        if (maxRows < 1 || prefillTokens < 1) {
            throw new IllegalArgumentException("maxRows and prefillTokens must be positive");
        }
        this.generation = generation;
        this.cache = cache;
        this.runner = new StepRunner(generation.model(), cache);
        this.maxRows = maxRows;
        this.prefillTokens = prefillTokens;
    }

    /** Counts the reward model's cache in {@link #peakBytes()} (the server's; a run's scorer keeps its own). */
    public void measureWith(KvCache rewardCache) {
        this.rewardCache = rewardCache;
    }

    /** KV both caches hold now. */
    public long bytesInUse() {
        return cache.bytesInUse() + (rewardCache == null ? 0 : rewardCache.bytesInUse());
    }

    /**
     * The most KV both caches held at once since the loop started: each cache's peak during the phases that grow
     * it, plus the other cache's use then (which does not change in those phases), as {@link MemoryBudget} does.
     */
    public long peakBytes() {
        return peakBytes;
    }

    private void resetPeaks() {
        cache.resetPeak();
        if (rewardCache != null) {
            rewardCache.resetPeak();
        }
    }

    /** Records the peak of the phase since {@link #resetPeaks()}, in which only one cache could grow. */
    private void recordPeak() {
        long gen = cache.peakBytesInUse();
        long rm = rewardCache == null ? 0 : rewardCache.peakBytesInUse();
        long genNow = cache.bytesInUse();
        long rmNow = rewardCache == null ? 0 : rewardCache.bytesInUse();
        peakBytes = Math.max(peakBytes, Math.max(gen + rmNow, genNow + rm));
    }

    public KvCache cache() {
        return cache;
    }

    /**
     * A request's policy, not yet in the loop: its prompt is checked and planned (the scorer begun), nothing runs.
     *
     * @param scorer the request's own scorer (a fresh one per request), or null for {@link Strategy#SAMPLE}
     */
    public RequestPolicy plan(String strategy, Prompt prompt, DecodingSetup setup, RewardScorer scorer,
                              RequestOptions options) {
        PromptRun run = new PromptRun(generation, scorer, prompt, setup, cache, options);
        try {
            return switch (strategy) {
                case Strategy.SAMPLE -> new SamplePolicy(run, options.listener());
                case BestOfN.NAME -> new BestOfNPolicy(run, options.listener());
                case SpeculativeRejection.NAME -> new SpeculativeRejectionPolicy(run, options.listener());
                default -> throw new IllegalArgumentException("unknown strategy " + strategy);
            };
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
    }

    /** Adds a planned request with the budget it was granted (from its minimum to its wanted bytes). */
    public void add(RequestPolicy policy, long grantedBytes) {
        policy.grant(grantedBytes);
        policy.listener.admitted(grantedBytes);
        active.add(new Entry(policy));
    }

    public boolean isEmpty() {
        return active.isEmpty();
    }

    /** Sequences currently generating, over all requests. */
    public int runningSequences() {
        int n = 0;
        for (Entry e : active) {
            n += e.policy.running.size();
        }
        return n;
    }

    /**
     * Cancels a request: at the start of the next iteration it leaves the loop, its KV freed, and its listener gets
     * {@code reason}. Safe to call from any thread.
     */
    public void cancel(RequestPolicy policy, RuntimeException reason) {
        synchronized (active) {
            for (Entry e : active) {
                if (e.policy == policy) {
                    e.cancel = reason;
                }
            }
        }
    }

    /** Runs a single request to its result on this thread (the CLI's path). */
    public Result runAlone(RequestPolicy policy, long grantedBytes) {
        add(policy, grantedBytes);
        RuntimeException[] failure = new RuntimeException[1];
        while (!isEmpty()) {
            iterate(failure);
            if (failure[0] != null) {
                throw failure[0];
            }
        }
        return policy.result();
    }

    /** One iteration over every request. */
    public void iterate() {
        iterate(null);
    }

    private void iterate(RuntimeException[] firstFailure) {
        List<Entry> scoring = new ArrayList<>();
        List<Entry> decoding = new ArrayList<>();
        List<Entry> prefilling = new ArrayList<>();
        List<Entry> rewardPrefilling = new ArrayList<>();
        resetPeaks(); // asking policies may prefill a reward model's shared prompt (that cache grows alone)
        for (Entry e : snapshot()) {
            if (e.cancel != null) {
                fail(e, e.cancel, firstFailure);
                continue;
            }
            dispatch(e, scoring, decoding, prefilling, rewardPrefilling, firstFailure);
        }
        recordPeak();
        if (!scoring.isEmpty() || !rewardPrefilling.isEmpty()) {
            resetPeaks();
            score(scoring, rewardPrefilling, decoding, prefilling, firstFailure);
            recordPeak();
        }
        if (!decoding.isEmpty() || !prefilling.isEmpty()) {
            resetPeaks();
            generate(decoding, prefilling, firstFailure);
            recordPeak();
        }
    }

    private List<Entry> snapshot() {
        synchronized (active) {
            return new ArrayList<>(active);
        }
    }

    /** Asks a request for its next work (or takes the work it still has) and files it. */
    private void dispatch(Entry e, List<Entry> scoring, List<Entry> decoding, List<Entry> prefilling,
                          List<Entry> rewardPrefilling, RuntimeException[] firstFailure) {
        try {
            RequestPolicy.Work w = e.pending != null ? e.pending : e.policy.next();
            e.pending = w;
            switch (w.kind()) {
                case DONE -> complete(e);
                case SCORE -> scoring.add(e);
                case DECODE -> decoding.add(e);
                case PREFILL -> prefilling.add(e);
                case PREFILL_REWARD -> rewardPrefilling.add(e);
            }
        } catch (RuntimeException ex) {
            fail(e, ex, firstFailure);
        }
    }

    /**
     * Every scoring asked for and the reward model's prompt chunks, in one reward-model pass per reward model; then
     * the scored ask again.
     */
    private void score(List<Entry> scoring, List<Entry> rewardPrefilling, List<Entry> decoding,
                       List<Entry> prefilling, RuntimeException[] firstFailure) {
        long t0 = System.nanoTime();
        List<ScoreJob> jobs = new ArrayList<>();
        List<Entry> owners = new ArrayList<>();
        for (Entry e : scoring) {
            try {
                jobs.add(e.policy.run.scorer.prepare(e.pending.toScore(), e.policy.run.memory));
                owners.add(e);
            } catch (RuntimeException ex) {
                fail(e, ex, firstFailure);
            }
        }
        List<RewardService.SharedPrefill> prefills = new ArrayList<>();
        for (Entry e : rewardPrefilling) {
            prefills.add(new RewardService.SharedPrefill(e.policy.run.scorer, e.policy.run.memory));
        }
        try {
            RewardService.runTogether(jobs, prefills, prefillTokens);
        } catch (RuntimeException ex) {
            for (Entry e : owners) {
                fail(e, ex, firstFailure);
            }
            for (Entry e : rewardPrefilling) {
                fail(e, ex, firstFailure);
            }
            return;
        }
        long elapsed = System.nanoTime() - t0;
        for (Entry e : rewardPrefilling) {
            e.policy.run.prefillNanos += elapsed;
            e.pending = null; // asks again: more chunks, or forking
        }
        for (int i = 0; i < owners.size(); i++) {
            Entry e = owners.get(i);
            e.policy.run.rewardNanos += elapsed;
            try {
                e.pending = null;
                e.policy.scored(jobs.get(i).trajectories(), jobs.get(i).scores());
            } catch (RuntimeException ex) {
                fail(e, ex, firstFailure);
                continue;
            }
            // A request that scored may step in this very iteration; a second scoring waits for the next one.
            try {
                RequestPolicy.Work w = e.policy.next();
                e.pending = w;
                switch (w.kind()) {
                    case DONE -> complete(e);
                    case DECODE -> decoding.add(e);
                    case PREFILL -> prefilling.add(e);
                    case SCORE, PREFILL_REWARD -> { } // next iteration
                }
            } catch (RuntimeException ex) {
                fail(e, ex, firstFailure);
            }
        }
    }

    /** Prompt chunks and decode rows of every request, in generator passes of at most maxRows decode rows. */
    private void generate(List<Entry> decoding, List<Entry> prefilling, RuntimeException[] firstFailure) {
        List<Entry> participants = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            int budget = prefillTokens;
            for (Entry e : prefilling) {
                if (budget <= 0) {
                    break; // it asks again next iteration
                }
                e.policy.run.memory.beforeGrowth();
                budget -= runner.addPrefill(e.policy.run.batch, budget);
                participants.add(e);
            }
            for (Entry e : decoding) {
                int rows = e.policy.running.size();
                if (!runner.isEmpty() && runner.decodeRows() + rows > maxRows) {
                    runner.run();
                }
                e.policy.run.memory.beforeGrowth();
                runner.addDecode(e.policy.run.batch, e.policy.running);
                participants.add(e);
                if (runner.decodeRows() >= maxRows) {
                    runner.run();
                }
            }
            runner.run();
        } catch (RuntimeException ex) {
            runner.clear();
            for (Entry e : participants) {
                fail(e, ex, firstFailure);
            }
            return;
        }
        long elapsed = System.nanoTime() - t0;
        for (Entry e : participants) {
            try {
                e.policy.run.memory.afterGrowth();
                e.pending = null;
                if (decoding.contains(e)) {
                    e.policy.run.generationNanos += elapsed;
                    e.policy.stepped();
                } else {
                    e.policy.run.prefillNanos += elapsed;
                }
            } catch (RuntimeException ex) {
                fail(e, ex, firstFailure);
            }
        }
    }

    private void complete(Entry e) {
        remove(e);
        e.policy.close();
        e.policy.listener.finished(e.policy.result());
    }

    private void fail(Entry e, RuntimeException ex, RuntimeException[] firstFailure) {
        remove(e);
        e.policy.close();
        if (firstFailure != null && firstFailure[0] == null) {
            firstFailure[0] = ex;
        }
        e.policy.listener.failed(ex);
    }

    private void remove(Entry e) {
        synchronized (active) {
            active.remove(e);
        }
    }

    /** Ends every request still in the loop with {@code reason}, freeing its KV. */
    public void cancelAll(RuntimeException reason) {
        for (Entry e : snapshot()) {
            fail(e, reason, null);
        }
    }
}
