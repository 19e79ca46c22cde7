package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many requests on one generator and one reward model: a bounded queue, admission under a {@link KvPool}, and one
 * thread that drives a {@link StepLoop} (every running request's sequences in one generator pass per step, every
 * scoring in one reward-model pass). Requests are admitted first come, first served when their minimum quota is
 * free; the one at the head waits rather than be overtaken, so none starves.
 *
 * <p>A request's output depends only on its own fields: its sequences draw from their own random streams, the
 * passes' rows do not depend on what else is in them, and a Speculative Rejection request decides against its own
 * quota (its {@link DecodingSetup#memoryBudgetBytes()}), never against what others hold.
 */
public final class Scheduler implements AutoCloseable {
    /**
     * @param memoryBudgetBytes KV of both models, all requests together
     * @param maxRows           decode rows per generator pass at most
     * @param prefillTokens     prompt tokens per step at most (long prompts run in chunks between steps)
     * @param maxQueue          requests waiting for admission at most; more are refused
     */
    public record Config(long memoryBudgetBytes, int maxRows, int prefillTokens, int maxQueue) {
    }

    /** A request as submitted. For Best-of-N the setup's budget is ignored: its quota is whatever is free. */
    public record Submission(String strategy, Prompt prompt, DecodingSetup setup, RequestOptions options) {
    }

    /** The queue is full: try again later. */
    public static final class QueueFullException extends RuntimeException {
        QueueFullException(int size) {
            super("the server's queue is full (" + size + " requests waiting); retry later");
        }
    }

    /** Why a request ended early. */
    public static final class CancelledException extends RuntimeException {
        public CancelledException(String why) {
            super(why);
        }
    }

    /** A submitted request: cancel it, or ask whether it is still waiting. */
    public final class Ticket {
        private final Submission submission;
        private final RequestListener listener;
        private RequestPolicy policy;
        private long granted;
        private boolean ended;

        private Ticket(Submission submission) {
            this.submission = submission;
            this.listener = new Accounting(this, submission.options().listener());
        }

        /** Ends the request within one step, its KV freed; its listener gets {@code failed(reason)}. */
        public void cancel(String reason) {
            CancelledException e = new CancelledException(reason);
            synchronized (lock) {
                if (waiting.remove(this)) {
                    ended = true;
                    listener.failed(e);
                    return;
                }
                if (policy != null && !ended) {
                    loop.cancel(policy, e);
                }
            }
        }
    }

    private final RewardService rewards;
    private final Config config;
    private final KvPool pool;
    private final StepLoop loop;
    private final Object lock = new Object();
    private final ArrayDeque<Ticket> waiting = new ArrayDeque<>();
    private final List<Ticket> running = new ArrayList<>();
    private final Thread thread;
    private volatile boolean accepting = true;
    private volatile boolean stopped;
    private volatile int runningSequences;
    private volatile long kvInUse;
    private volatile long kvPeak;
    private final AtomicLong generatedTokens = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong rewardTokens = new AtomicLong();

    /** @param rewards the reward model, or null when only plain sampling is served */
    public Scheduler(Generation generation, RewardService rewards, Config config) {
        this.rewards = rewards;
        this.config = config;
        this.pool = new KvPool(config.memoryBudgetBytes());
        KvCache cache = generation.model().newCache();
        this.loop = new StepLoop(generation, cache, config.maxRows(), config.prefillTokens());
        if (rewards != null) {
            loop.measureWith(rewards.cache());
        }
        this.thread = Thread.ofPlatform().name("specrej-scheduler").daemon(true).unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    /**
     * Queues a request. Its planning (prompt against the budget) happens at admission; a problem found then reaches
     * the listener as {@code failed}.
     *
     * @throws QueueFullException   when {@code maxQueue} requests are already waiting
     * @throws BadInputException    when the strategy needs a reward model and none is loaded
     * @throws CancelledException   when the scheduler is shutting down
     */
    public Ticket submit(Submission submission) {
        if (!Strategy.SAMPLE.equals(submission.strategy()) && rewards == null) {
            throw new BadInputException("strategy " + submission.strategy() + " needs a reward model and the server"
                    + " runs without one");
        }
        synchronized (lock) {
            if (!accepting) {
                throw new CancelledException("the server is shutting down");
            }
            if (waiting.size() >= config.maxQueue()) {
                throw new QueueFullException(waiting.size());
            }
            Ticket t = new Ticket(submission);
            waiting.add(t);
            lock.notifyAll();
            return t;
        }
    }

    private void loop() {
        while (!stopped) {
            admit();
            if (loop.isEmpty()) {
                observe();
                synchronized (lock) {
                    if (waiting.isEmpty() && !stopped) {
                        try {
                            lock.wait(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
                continue;
            }
            try {
                loop.iterate();
            } catch (RuntimeException | Error e) {
                // A defect in the loop itself: end every request rather than the process.
                loop.cancelAll(new IllegalStateException("internal error in the scheduler: " + e, e));
            }
            observe();
        }
        loop.cancelAll(new CancelledException("the server shut down"));
        observe();
    }

    /** Admits waiting requests in order while the head's minimum quota is free. */
    private void admit() {
        while (true) {
            Ticket t;
            synchronized (lock) {
                t = waiting.peek();
                if (t == null) {
                    return;
                }
            }
            if (t.policy == null) {
                try {
                    Submission s = t.submission;
                    RewardScorer scorer = Strategy.SAMPLE.equals(s.strategy()) ? null : rewards.newScorer();
                    t.policy = loop.plan(s.strategy(), s.prompt(), s.setup(), scorer,
                            s.options().withListener(t.listener));
                    long minimum = t.policy.minimumBytes();
                    if (minimum > pool.budgetBytes()) {
                        throw new BadInputException("the request needs " + minimum + " bytes of KV memory and the"
                                + " server's whole budget is " + pool.budgetBytes() + " bytes; ask for fewer"
                                + " candidates, fewer tokens or a shorter prompt");
                    }
                } catch (RuntimeException e) {
                    synchronized (lock) {
                        waiting.remove(t);
                        t.ended = true;
                    }
                    if (t.policy != null) {
                        t.policy.close();
                    }
                    t.listener.failed(e);
                    continue;
                }
            }
            long granted = pool.tryReserve(t.policy.minimumBytes(), t.policy.wantedBytes());
            if (granted < 0) {
                return;
            }
            synchronized (lock) {
                waiting.remove(t);
                t.granted = granted;
                running.add(t);
                loop.add(t.policy, granted);
            }
        }
    }

    private void observe() {
        runningSequences = loop.runningSequences();
        kvInUse = loop.bytesInUse();
        kvPeak = loop.peakBytes();
    }

    /** Counts tokens and rejections and gives a request's quota back when it ends. */
    private final class Accounting implements RequestListener {
        private final Ticket ticket;
        private final RequestListener inner;

        Accounting(Ticket ticket, RequestListener inner) {
            this.ticket = ticket;
            this.inner = inner;
        }

        @Override
        public void admitted(long quotaBytes) {
            inner.admitted(quotaBytes);
        }

        @Override
        public void started(List<Trajectory> created) {
            generatedTokens.addAndGet(created.size());
            inner.started(created);
        }

        @Override
        public void stepped(List<Trajectory> advanced) {
            generatedTokens.addAndGet(advanced.size());
            inner.stepped(advanced);
        }

        @Override
        public void decided(Result.Decision decision, List<Trajectory> ranked, int kept) {
            rejected.addAndGet(ranked.size() - kept);
            inner.decided(decision, ranked, kept);
        }

        @Override
        public void scored(List<Trajectory> scored) {
            inner.scored(scored);
        }

        @Override
        public void finished(Result result) {
            rewardTokens.addAndGet(result.stats().rewardTokens());
            end();
            inner.finished(result);
        }

        @Override
        public void failed(RuntimeException error) {
            end();
            inner.failed(error);
        }

        private void end() {
            synchronized (lock) {
                ticket.ended = true;
                if (running.remove(ticket)) {
                    pool.release(ticket.granted);
                }
            }
        }
    }

    /** Stops admitting; lets running and queued requests finish for up to {@code graceMillis}, then cancels them. */
    public void shutdown(long graceMillis) {
        accepting = false;
        long deadline = System.currentTimeMillis() + graceMillis;
        while (System.currentTimeMillis() < deadline && (queueDepth() > 0 || runningRequests() > 0)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                break;
            }
        }
        synchronized (lock) {
            for (Iterator<Ticket> it = waiting.iterator(); it.hasNext(); ) {
                Ticket t = it.next();
                it.remove();
                t.ended = true;
                t.listener.failed(new CancelledException("the server shut down before the request started"));
            }
        }
        stopped = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(0);
        loop.cache().clear();
    }

    public boolean accepting() {
        return accepting;
    }

    public boolean hasRewardModel() {
        return rewards != null;
    }

    public int queueDepth() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    public int runningRequests() {
        synchronized (lock) {
            return running.size();
        }
    }

    public int runningSequences() {
        return runningSequences;
    }

    /** KV bytes both caches hold now (as of the last step). */
    public long kvBytesInUse() {
        return kvInUse;
    }

    /** The most KV bytes both caches held at once since start. */
    public long kvPeakBytes() {
        return kvPeak;
    }

    public long kvBytesReserved() {
        return pool.reservedBytes();
    }

    public long kvBudgetBytes() {
        return pool.budgetBytes();
    }

    public long generatedTokens() {
        return generatedTokens.get();
    }

    public long rewardTokens() {
        return rewardTokens.get();
    }

    public long rejectedCandidates() {
        return rejected.get();
    }
}
