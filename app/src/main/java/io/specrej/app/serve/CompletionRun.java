package io.specrej.app.serve;

import io.specrej.decoding.RequestListener;
import io.specrej.decoding.Result;
import io.specrej.decoding.Trajectory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A request in flight, between the scheduler's thread (which reports through the {@link RequestListener} methods)
 * and the HTTP thread that answers it (which takes {@link Event}s). Events carry copies, never the scheduler's
 * mutable objects.
 */
final class CompletionRun implements RequestListener {
    /** Something the HTTP side acts on. */
    sealed interface Event permits Started, Tokens, Decision, Done, Failed {
    }

    /** Candidates were created (each already has its first token, reported by a {@link Tokens} after this). */
    record Started(int[] ids) implements Event {
    }

    /** New tokens, one per candidate that advanced: parallel arrays of candidate ids and tokens. */
    record Tokens(int[] ids, int[] tokens, boolean[] finished, String[] finishReasons) implements Event {
    }

    /** A Speculative Rejection decision: ranked ids (best first) with their scores, how many were kept. */
    record Decision(int index, int tokensSoFar, int[] rankedIds, double[] scores, int kept, boolean memoryTriggered)
            implements Event {
    }

    record Done(Result result) implements Event {
    }

    record Failed(RuntimeException error) implements Event {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final boolean streamTokens;
    final long submittedNanos = System.nanoTime();
    volatile long admittedNanos;
    volatile long firstTokenNanos;

    /** @param streamTokens whether token events are wanted (streamed sampling, event streams) */
    CompletionRun(boolean streamTokens) {
        this.streamTokens = streamTokens;
    }

    /** The next event, or null after {@code millis} without one. */
    Event poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** An event already waiting, or null. */
    Event nextNow() {
        return events.poll();
    }

    @Override
    public void admitted(long quotaBytes) {
        admittedNanos = System.nanoTime();
    }

    @Override
    public void started(List<Trajectory> created) {
        if (streamTokens) {
            int[] ids = new int[created.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = created.get(i).id();
            }
            events.add(new Started(ids));
        }
        tokens(created);
    }

    @Override
    public void stepped(List<Trajectory> advanced) {
        tokens(advanced);
    }

    private void tokens(List<Trajectory> list) {
        if (firstTokenNanos == 0 && !list.isEmpty()) {
            firstTokenNanos = System.nanoTime();
        }
        if (!streamTokens || list.isEmpty()) {
            return;
        }
        int n = list.size();
        int[] ids = new int[n];
        int[] tokens = new int[n];
        boolean[] finished = new boolean[n];
        String[] reasons = new String[n];
        for (int i = 0; i < n; i++) {
            Trajectory t = list.get(i);
            ids[i] = t.id();
            tokens[i] = t.lastToken();
            finished[i] = t.finished();
            reasons[i] = t.finishReason() == null ? null : t.finishReason().apiName();
        }
        events.add(new Tokens(ids, tokens, finished, reasons));
    }

    @Override
    public void decided(Result.Decision decision, List<Trajectory> ranked, int kept) {
        if (!streamTokens) {
            return;
        }
        int[] ids = new int[ranked.size()];
        double[] scores = new double[ranked.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = ranked.get(i).id();
            scores[i] = ranked.get(i).score();
        }
        events.add(new Decision(0, decision.tokensSoFar(), ids, scores, kept, decision.memoryTriggered()));
    }

    @Override
    public void finished(Result result) {
        events.add(new Done(result));
    }

    @Override
    public void failed(RuntimeException error) {
        events.add(new Failed(error));
    }

    /** Candidate ids of the choices to return: all in id order (sampling), or the n best by reward. */
    static List<Result.Candidate> choices(Result result, int n, boolean ranked) {
        List<Result.Candidate> out = new ArrayList<>();
        if (!ranked) {
            out.addAll(result.trajectories());
            return out;
        }
        for (Result.Candidate c : result.trajectories()) {
            if (c.rejectedAt() == null && c.finishReason() != null && !Double.isNaN(c.score())) {
                out.add(c);
            }
        }
        out.sort((a, b) -> a.score() != b.score() ? Double.compare(b.score(), a.score())
                : Integer.compare(a.id(), b.id()));
        return out.subList(0, Math.min(n, out.size()));
    }
}
