package io.specrej.app.serve;

import io.specrej.decoding.Generation;
import io.specrej.decoding.Scheduler;

/**
 * What the handlers share: the loaded models and scheduler (null while loading), the request limits, the names and
 * the metrics. The HTTP server starts before the models load, so that /health can say 503 until they are ready.
 */
final class ServerState {
    private final String servedName;
    private final ServeLimits limits;
    private final ServerMetrics metrics;
    private volatile Scheduler scheduler;
    private volatile Generation generation;
    private volatile RequestPlanner planner;
    private volatile boolean stopping;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    ServerState(String servedName, ServeLimits limits) {
        this.servedName = servedName;
        this.limits = limits;
        this.metrics = new ServerMetrics(() -> scheduler);
    }

    void ready(Scheduler scheduler, Generation generation, RequestPlanner planner) {
        this.generation = generation;
        this.planner = planner;
        this.scheduler = scheduler;
    }

    void stopping() {
        stopping = true;
    }

    boolean isReady() {
        return scheduler != null && !stopping;
    }

    /** The scheduler, or a 503 while loading or shutting down. */
    Scheduler requireReady() {
        Scheduler s = scheduler;
        if (stopping || (s != null && !s.accepting())) {
            throw ApiError.unavailable("the server is shutting down");
        }
        if (s == null) {
            throw ApiError.unavailable("the models are still loading; retry shortly (GET /health says 200 when ready)");
        }
        return s;
    }

    /** Completion requests being answered (a stop waits for their last bytes). */
    java.util.concurrent.atomic.AtomicInteger inFlight() {
        return inFlight;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    String servedName() {
        return servedName;
    }

    ServeLimits limits() {
        return limits;
    }

    ServerMetrics metrics() {
        return metrics;
    }

    Generation generation() {
        return generation;
    }

    RequestPlanner planner() {
        return planner;
    }
}
