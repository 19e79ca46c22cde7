package io.specrej.app.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.specrej.decoding.Scheduler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics (Micrometer's registry): requests by endpoint, strategy and status; the queue, the
 * running requests and sequences, tokens generated and scored, rejected candidates, KV bytes in use, reserved, at
 * their peak and the budget; time to first token and request latency as histograms.
 */
final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer firstToken;
    private final Timer latency;

    ServerMetrics(Supplier<Scheduler> scheduler) {
        gauge("specrej_queue_depth", "Requests waiting for admission", scheduler, s -> s.queueDepth());
        gauge("specrej_running_requests", "Requests admitted and running", scheduler, s -> s.runningRequests());
        gauge("specrej_running_sequences", "Sequences generating, all requests", scheduler,
                s -> s.runningSequences());
        gauge("specrej_kv_bytes_in_use", "KV cache bytes held, generator and reward model", scheduler,
                s -> s.kvBytesInUse());
        gauge("specrej_kv_bytes_reserved", "KV bytes reserved by running requests' quotas", scheduler,
                s -> s.kvBytesReserved());
        gauge("specrej_kv_bytes_peak", "Most KV bytes held at once since start", scheduler, s -> s.kvPeakBytes());
        gauge("specrej_kv_bytes_budget", "The KV budget (--memory-budget)", scheduler, s -> s.kvBudgetBytes());
        counter("specrej_generated_tokens", "Tokens generated, all candidates", scheduler, s -> s.generatedTokens());
        counter("specrej_reward_tokens", "Tokens run through the reward model", scheduler, s -> s.rewardTokens());
        counter("specrej_rejected_candidates", "Candidates rejected by Speculative Rejection", scheduler,
                s -> s.rejectedCandidates());
        firstToken = Timer.builder("specrej_time_to_first_token").description(
                        "Submission to the first token sent (ranked strategies: the chosen text known)")
                .publishPercentileHistogram().register(registry);
        latency = Timer.builder("specrej_request_latency").description("Submission to the last byte")
                .publishPercentileHistogram().register(registry);
    }

    private interface Reading {
        double of(Scheduler s);
    }

    private void gauge(String name, String help, Supplier<Scheduler> scheduler, Reading reading) {
        Gauge.builder(name, () -> {
            Scheduler s = scheduler.get();
            return s == null ? 0 : reading.of(s);
        }).description(help).register(registry);
    }

    private void counter(String name, String help, Supplier<Scheduler> scheduler, Reading reading) {
        FunctionCounter.builder(name, scheduler, sup -> {
            Scheduler s = sup.get();
            return s == null ? 0 : reading.of(s);
        }).description(help).register(registry);
    }

    void request(String endpoint, String strategy, int status) {
        Counter.builder("specrej_requests").description("HTTP requests answered")
                .tag("endpoint", endpoint).tag("strategy", strategy == null ? "none" : strategy)
                .tag("status", Integer.toString(status)).register(registry).increment();
    }

    void firstToken(long nanos) {
        firstToken.record(Duration.ofNanos(nanos));
    }

    void latency(long nanos) {
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }

    String scrape() {
        return registry.scrape();
    }
}
