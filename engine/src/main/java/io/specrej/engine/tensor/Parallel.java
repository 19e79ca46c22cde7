package io.specrej.engine.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent worker pool for the engine's hot loops (one matmul per call; decode steps make ~10^3 calls a second).
 *
 * <p>{@link #forRange} splits {@code [0, count)} into {@code min(count, threads())} contiguous chunks of near-equal
 * size; chunk 0 runs on the calling thread, chunk {@code i} on worker {@code i}. Workers are daemon threads started
 * once (lazily, when a call first needs them); a call allocates nothing and starts nothing. Workers wait for work by
 * spinning briefly and then parking, and the caller waits for them the same way.
 *
 * <p>Re-entrancy: the pool runs one call at a time. A {@code forRange} issued while another is in progress — nested
 * inside a body (on the caller or on a worker), or from a second thread concurrently — runs its whole range inline on
 * the thread that issued it. So nesting is safe (never deadlocks) but does not add parallelism.
 *
 * <p>Exceptions thrown by a body are rethrown by {@code forRange} on the calling thread after every chunk has
 * finished (the first one, with the others added as suppressed).
 */
public final class Parallel {
    /** A body run over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** How long a waiting thread spins before it parks. */
    private static final long SPIN_NANOS = 50_000L;

    private static volatile int threads = initialThreads();

    /** Held by the one call currently using the workers. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final Object GROW_LOCK = new Object();

    /** Workers; index 0 is unused (chunk 0 belongs to the caller). Replaced (grown) only under GROW_LOCK. */
    private static volatile Worker[] workers = new Worker[1];

    /** The published job: plain fields written before the volatile {@code assigned} writes, read after their reads. */
    private static final Job JOB = new Job();

    private Parallel() {
    }

    private static int initialThreads() {
        Integer n = ThreadsProperty.parse();
        return n != null ? n : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Threads a {@link #forRange} uses, caller included. */
    public static int threads() {
        return threads;
    }

    /** Sets the threads a {@link #forRange} uses, caller included ({@code n >= 1}). Extra workers stay parked. */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        threads = n;
    }

    /**
     * Runs {@code body} over {@code [0, count)} split into contiguous chunks, one per thread, and returns when all
     * chunks are done. {@code count <= 1}, one thread, or a nested/concurrent call runs {@code body.run(0, count)}
     * inline (nothing at all for {@code count <= 0}).
     */
    public static void forRange(int count, RangeBody body) {
        if (count <= 0) {
            return;
        }
        int n = Math.min(threads, count);
        if (n <= 1 || !BUSY.compareAndSet(false, true)) {
            body.run(0, count);
            return;
        }
        try {
            runParallel(count, n, body);
        } finally {
            BUSY.set(false);
        }
    }

    private static void runParallel(int count, int n, RangeBody body) {
        Worker[] ws = workers;
        if (ws.length < n) {
            ws = grow(n);
        }
        Job job = JOB;
        job.body = body;
        job.count = count;
        job.chunks = n;
        job.caller = Thread.currentThread();
        long gen = job.generation + 1;
        job.generation = gen;
        for (int i = 1; i < n; i++) {
            Worker w = ws[i];
            w.state.assigned = gen; // volatile write: publishes the job fields to this worker
            if (w.state.parked) {
                LockSupport.unpark(w);
            }
        }
        Throwable failure = null;
        try {
            body.run(0, chunkStart(count, n, 1));
        } catch (Throwable t) {
            failure = t;
        }
        awaitWorkers(ws, n, gen, job);
        job.body = null; // do not retain the caller's captures
        job.caller = null;
        for (int i = 1; i < n; i++) {
            Throwable t = ws[i].state.failure;
            if (t != null) {
                ws[i].state.failure = null;
                if (failure == null) {
                    failure = t;
                } else {
                    failure.addSuppressed(t);
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new RuntimeException(failure);
        }
    }

    private static void awaitWorkers(Worker[] ws, int n, long gen, Job job) {
        long spinStart = 0;
        int spins = 0;
        for (int i = 1; i < n; i++) {
            WorkerState s = ws[i].state;
            while (s.done != gen) {
                if (spins < 64) {
                    spins++;
                    Thread.onSpinWait();
                    continue;
                }
                if (spinStart == 0) {
                    spinStart = System.nanoTime();
                }
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    spins = 0;
                    Thread.onSpinWait();
                    continue;
                }
                job.callerParked = true; // volatile write, then re-check (Dekker with the worker's done/parked)
                if (s.done != gen) {
                    LockSupport.park(Parallel.class);
                }
                job.callerParked = false;
            }
        }
    }

    static int chunkStart(int count, int chunks, int chunk) {
        return (int) ((long) count * chunk / chunks);
    }

    private static Worker[] grow(int n) {
        synchronized (GROW_LOCK) {
            Worker[] old = workers;
            if (old.length >= n) {
                return old;
            }
            Worker[] ws = java.util.Arrays.copyOf(old, n);
            for (int i = old.length; i < n; i++) {
                if (i == 0) {
                    continue;
                }
                Worker w = new Worker(i);
                ws[i] = w;
                w.start();
            }
            workers = ws;
            return ws;
        }
    }

    // Padding: superclass fields are laid out before subclass fields, so hot fields sit between 64+ bytes of pad.
    @SuppressWarnings("unused")
    private static class Pad0 {
        long p00, p01, p02, p03, p04, p05, p06, p07;
    }

    private static class JobFields extends Pad0 {
        /** Last job number; touched only by the thread holding BUSY (whose CAS orders successive holders). */
        long generation;
        volatile boolean callerParked;
        RangeBody body;
        int count;
        int chunks;
        Thread caller;
    }

    @SuppressWarnings("unused")
    private static final class Job extends JobFields {
        long q00, q01, q02, q03, q04, q05, q06, q07;
    }

    private static class WorkerFields extends Pad0 {
        /** Job number the caller assigned to this worker; the worker runs a job when this changes. */
        volatile long assigned;
        /** Job number this worker finished last. */
        volatile long done;
        volatile boolean parked;
        Throwable failure;
    }

    @SuppressWarnings("unused")
    private static final class WorkerState extends WorkerFields {
        long q00, q01, q02, q03, q04, q05, q06, q07;
    }

    private static final class Worker extends Thread {
        final int index;
        final WorkerState state = new WorkerState();

        Worker(int index) {
            super("specrej-parallel-" + index);
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            Job job = JOB;
            WorkerState s = state;
            long seen = 0;
            while (true) {
                long gen = awaitJob(s, seen);
                seen = gen;
                int chunks = job.chunks;
                try {
                    int count = job.count;
                    job.body.run(chunkStart(count, chunks, index), chunkStart(count, chunks, index + 1));
                } catch (Throwable t) {
                    s.failure = t;
                }
                Thread caller = job.caller;
                s.done = gen; // volatile write, then check whether the caller parked
                if (job.callerParked) {
                    LockSupport.unpark(caller);
                }
            }
        }

        private long awaitJob(WorkerState s, long seen) {
            long gen;
            int spins = 0;
            long spinStart = 0;
            while ((gen = s.assigned) == seen) {
                if (spins < 64) {
                    spins++;
                    Thread.onSpinWait();
                    continue;
                }
                if (spinStart == 0) {
                    spinStart = System.nanoTime();
                }
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    spins = 0;
                    Thread.onSpinWait();
                    continue;
                }
                s.parked = true; // volatile write, then re-check (Dekker with the caller's assigned/parked)
                if (s.assigned == seen) {
                    LockSupport.park(this);
                }
                s.parked = false;
                spins = 0;
                spinStart = 0;
            }
            return gen;
        }
    }
}
