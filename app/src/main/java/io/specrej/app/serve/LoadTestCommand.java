package io.specrej.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code specrej loadtest}: C concurrent clients send a bounded number of streamed chat requests to a running server
 * and the command reports requests/s, tokens/s, time to first token and latency percentiles, one row per C.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
        description = {"Drive a running 'specrej serve' with C concurrent streaming clients for a bounded number of",
                "requests and report requests/s, generated tokens/s, time to first token and latency p50/p99."})
public final class LoadTestCommand implements Callable<Integer> {
    private static final String[] PROMPTS = {
        "Give three tips for staying healthy.",
        "What are the three primary colors?",
        "Describe the structure of an atom.",
        "How can we reduce air pollution?",
        "Explain why the sky is blue.",
        "Write a short poem about the sea.",
        "What is the capital of France and why is it famous?",
        "Suggest a name for a coffee shop.",
    };

    @Spec
    CommandSpec spec;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8000", paramLabel = "URL",
            description = "The server (default http://127.0.0.1:8000; loopback addresses only).")
    String url;

    @Option(names = "--concurrency", defaultValue = "1,4,16", split = ",", paramLabel = "C",
            description = "Concurrent clients, one row each (default 1,4,16).")
    List<Integer> concurrency;

    @Option(names = "--requests", defaultValue = "16", paramLabel = "R",
            description = "Requests per row (default 16), at least C.")
    int requests;

    @Option(names = "--max-tokens", defaultValue = "64", paramLabel = "M", description = "max_tokens (default 64).")
    int maxTokens;

    @Option(names = "--strategy", defaultValue = "sample", paramLabel = "S",
            description = "sample, best_of_n or speculative_rejection (default sample).")
    String strategy;

    @Option(names = "--n", defaultValue = "1", paramLabel = "N", description = "n (default 1).")
    int n;

    @Option(names = "--best-of", paramLabel = "B", description = "best_of for best_of_n.")
    Integer bestOf;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "Send this prompt in every request (default: eight short instructions in turn).")
    String prompt;

    @Option(names = "--ignore-eos", description = "Send ignore_eos: every request generates max_tokens tokens.")
    boolean ignoreEos;

    @Option(names = "--extra", paramLabel = "JSON", description = "More request fields, as a JSON object.")
    String extra;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Bearer key if the server wants one.")
    String apiKey;

    @Override
    public Integer call() throws Exception {
        URI base = URI.create(url.endsWith("/") ? url : url + "/");
        String host = base.getHost();
        if (host == null || !(host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"))) {
            throw new BadInputException("--url must be a loopback address (127.0.0.1, localhost or [::1]), got "
                    + url);
        }
        ObjectNode extraFields = extra == null ? null : (ObjectNode) Jsons.parseObjectOrBad(extra, "--extra");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        var out = spec.commandLine().getOut();
        out.println("C     requests  req/s   choice tok/s  candidate tok/s  ttft p50 ms  ttft p99 ms  latency p50 ms"
                + "  latency p99 ms");
        for (int c : concurrency) {
            if (c < 1) {
                throw new BadInputException("--concurrency values must be at least 1, got " + c);
            }
            Row row = run(client, base.resolve("v1/chat/completions"), c, Math.max(requests, c), extraFields);
            out.printf(Locale.ROOT, "%-5d %-9d %-7.2f %-13.1f %-16.1f %-12.0f %-12.0f %-15.0f %.0f%n", c, row.count,
                    row.count / row.seconds, row.choiceTokens / row.seconds, row.candidateTokens / row.seconds,
                    pct(row.ttft, 50), pct(row.ttft, 99), pct(row.latency, 50), pct(row.latency, 99));
            out.flush();
        }
        return 0;
    }

    private record Row(int count, double seconds, long choiceTokens, long candidateTokens, List<Double> ttft,
                       List<Double> latency) {
    }

    private record One(double ttftMs, double latencyMs, long choiceTokens, long candidateTokens) {
    }

    private Row run(HttpClient client, URI uri, int c, int total, ObjectNode extraFields) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<One> done = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(c);
        long t0 = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int k = 0; k < c; k++) {
            futures.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    done.add(one(client, uri, i, extraFields));
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<Double> ttft = new ArrayList<>();
        List<Double> latency = new ArrayList<>();
        long choice = 0;
        long candidates = 0;
        for (One o : done) {
            ttft.add(o.ttftMs);
            latency.add(o.latencyMs);
            choice += o.choiceTokens;
            candidates += o.candidateTokens;
        }
        return new Row(done.size(), seconds, choice, candidates, ttft, latency);
    }

    private One one(HttpClient client, URI uri, int index, ObjectNode extraFields) throws Exception {
        ObjectNode body = Jsons.MAPPER.createObjectNode();
        body.putArray("messages").addObject().put("role", "user").put("content",
                prompt != null ? prompt : PROMPTS[index % PROMPTS.length]);
        body.put("max_tokens", maxTokens);
        body.put("n", n);
        body.put("seed", index);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        body.put("strategy", strategy);
        if (bestOf != null) {
            body.put("best_of", bestOf);
        }
        if (ignoreEos) {
            body.put("ignore_eos", true);
        }
        if (extraFields != null) {
            body.setAll(extraFields);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Jsons.write(body)));
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        long t0 = System.nanoTime();
        HttpResponse<java.io.InputStream> response = client.send(request.build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String text = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            throw new BadInputException("the server answered " + response.statusCode() + ": " + text);
        }
        double ttft = -1;
        long choiceTokens = 0;
        long candidateTokens = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode chunk = Jsons.MAPPER.readTree(line.substring(6));
                if (chunk.has("error")) {
                    throw new BadInputException("the server sent an error: " + chunk.get("error"));
                }
                JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
                if (ttft < 0 && content.isTextual() && !content.asText().isEmpty()) {
                    ttft = (System.nanoTime() - t0) / 1e6;
                }
                if (chunk.has("usage")) {
                    choiceTokens = chunk.get("usage").path("completion_tokens").asLong();
                    candidateTokens = chunk.get("usage").path("x_candidate_tokens").asLong();
                }
            }
        }
        double latency = (System.nanoTime() - t0) / 1e6;
        return new One(ttft < 0 ? latency : ttft, latency, choiceTokens, candidateTokens);
    }

    private static double pct(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
