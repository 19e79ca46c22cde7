package io.specrej.decoding;

import io.specrej.engine.generate.SequenceState;
import java.util.ArrayList;
import java.util.List;

/**
 * One request's algorithm (plain sampling, Best-of-N, Speculative Rejection) as a state machine that a
 * {@link StepLoop} drives: each iteration the loop asks {@link #next()} what the request wants — a chunk of prompt
 * prefill (the generator's, then the reward model's), a decode step of its running sequences, a scoring of some trajectories, or nothing more — runs that work
 * merged with every other request's in one generator pass and one reward-model pass, and reports back through
 * {@link #stepped()} and {@link #scored}. A policy never runs a model; it only decides, forks, rejects and frees.
 */
public abstract class RequestPolicy {
    /** What a request wants from the next iteration. */
    enum Kind { PREFILL, PREFILL_REWARD, DECODE, SCORE, DONE }

    /** @param toScore the trajectories to score, for {@link Kind#SCORE} */
    record Work(Kind kind, List<Trajectory> toScore) {
        static final Work PREFILL = new Work(Kind.PREFILL, List.of());
        static final Work PREFILL_REWARD = new Work(Kind.PREFILL_REWARD, List.of());
        static final Work DECODE = new Work(Kind.DECODE, List.of());

        static Work score(List<Trajectory> list) {
            return new Work(Kind.SCORE, list);
        }
    }

    final PromptRun run;
    final RequestListener listener;
    /** The sequences the next decode step advances. */
    final List<SequenceState> running = new ArrayList<>();
    private Result result;

    RequestPolicy(PromptRun run, RequestListener listener) {
        this.run = run;
        this.listener = listener;
    }

    /** The least KV budget (bytes, generator and reward model) this request can run in. */
    abstract long minimumBytes();

    /** The budget it would use fully; a scheduler grants between {@link #minimumBytes()} and this. */
    long wantedBytes() {
        return minimumBytes();
    }

    /** Sets the request's budget (its quota); called once, before the first {@link #next()}. */
    void grant(long bytes) {
        run.grant(bytes);
    }

    /**
     * Checks the request against its budget and returns its first batch, without running anything: what the first
     * {@link #next()} does before it starts the prefill. A request that cannot run fails here, with a
     * {@link io.specrej.engine.BadInputException} naming the number to change.
     */
    abstract int plan();

    /** The next work; {@link Kind#DONE} once {@link #result()} is set. */
    final Work next() {
        return result != null ? new Work(Kind.DONE, List.of()) : advance();
    }

    /** The policy's own step: decides, forks, rejects, and says what it wants run. */
    abstract Work advance();

    /** After scores for the trajectories of a {@link Kind#SCORE} work came back. */
    abstract void scored(List<Trajectory> list, double[] scores);

    /** After a decode step this request took part in: finished sequences leave {@link #running}. */
    void stepped() {
        List<Trajectory> advanced = new ArrayList<>(running.size());
        for (SequenceState s : running) {
            advanced.add(run.trajectories.get(s.index()));
        }
        running.removeIf(SequenceState::finished);
        listener.stepped(advanced);
    }

    /** Starts the prompt's chunked prefill; the loop runs it. */
    final Work startPrefill() {
        run.batch.startPrefill(run.prompt.ids());
        return Work.PREFILL;
    }

    /** The prefill still to run (the generator's prompt, then the scorer's), or null once both are done. */
    final Work prefillWork() {
        if (!run.batch.prefillDone()) {
            return Work.PREFILL;
        }
        return run.scorerPrefillPending() ? Work.PREFILL_REWARD : null;
    }

    /** Forks sequences and makes the unfinished ones running. */
    final List<Trajectory> forkRunning(int first, int count) {
        List<Trajectory> created = run.fork(first, count);
        for (Trajectory t : created) {
            if (!t.finished()) {
                running.add(t.state());
            }
        }
        listener.started(created);
        return created;
    }

    final Work finish(Result r) {
        result = r;
        return new Work(Kind.DONE, List.of());
    }

    /** The result once done, else null. */
    public final Result result() {
        return result;
    }

    /** Frees everything the request holds (done, failed or cancelled). */
    final void close() {
        run.close();
    }
}
