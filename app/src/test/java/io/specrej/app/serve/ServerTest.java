package io.specrej.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server over real HTTP with the embedded models: every endpoint and strategy, streamed and not, and errors. */
class ServerTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer("--memory-budget", "64MiB", "--request-budget", "4MiB");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String chat(String content, String extra) {
        return "{\"model\":\"mini-alpaca-gen\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private static JsonNode ok(TestServer.Response r) {
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    private static void assertError(TestServer.Response r, int status, String param, String messagePart) {
        assertEquals(status, r.status(), r.body());
        JsonNode error = r.json().get("error");
        assertNotNull(error, r.body());
        assertTrue(error.get("message").asText().contains(messagePart), r.body());
        assertTrue(error.has("type") && error.has("param") && error.has("code"), r.body());
        if (param != null) {
            assertEquals(param, error.get("param").asText(), r.body());
        }
    }

    @Test
    void healthModelsAndMetrics() throws Exception {
        assertEquals("ok", ok(server.get("/health")).get("status").asText());
        JsonNode models = ok(server.get("/v1/models"));
        assertEquals("list", models.get("object").asText());
        assertEquals("mini-alpaca-gen", models.get("data").get(0).get("id").asText());
        assertEquals("mini-alpaca-gen", ok(server.get("/v1/models/mini-alpaca-gen")).get("id").asText());
        assertError(server.get("/v1/models/gpt-4"), 404, "model", "does not exist");
        ok(server.post("/v1/chat/completions", chat("Hi", "\"max_tokens\":4,\"seed\":1")));
        String metrics = server.get("/metrics").body();
        for (String name : List.of("specrej_requests_total{endpoint=\"chat_completions\",status=\"200\",strategy="
                        + "\"sample\"}", "specrej_queue_depth", "specrej_running_sequences",
                "specrej_kv_bytes_in_use", "specrej_kv_bytes_budget 6.7108864E7", "specrej_generated_tokens_total",
                "specrej_reward_tokens_total", "specrej_rejected_candidates_total",
                "specrej_time_to_first_token_seconds_bucket", "specrej_request_latency_seconds_bucket")) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics);
        }
    }

    @Test
    void chatSamplingIsSeededAndHonoursStopAndN() throws Exception {
        String body = chat("Give three tips for staying healthy.", "\"max_tokens\":24,\"seed\":7,\"n\":3");
        JsonNode a = ok(server.post("/v1/chat/completions", body));
        JsonNode b = ok(server.post("/v1/chat/completions", body));
        assertEquals(a.get("choices"), b.get("choices"), "same seed, same choices");
        assertEquals("chat.completion", a.get("object").asText());
        assertEquals(3, a.get("choices").size());
        assertEquals(7, a.get("x_specrej").get("seed").asLong());
        JsonNode usage = a.get("usage");
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
        JsonNode noSeed = ok(server.post("/v1/chat/completions", chat("Hi", "\"max_tokens\":4")));
        assertTrue(noSeed.get("x_specrej").get("seed").isIntegralNumber(), "a drawn seed is echoed");
        // A stop string taken from the text itself: the response ends right before it.
        String text = a.get("choices").get(0).get("message").get("content").asText();
        String stop = text.substring(Math.min(6, text.length() - 2), Math.min(9, text.length()));
        JsonNode stopped = ok(server.post("/v1/chat/completions", chat("Give three tips for staying healthy.",
                "\"max_tokens\":24,\"seed\":7,\"stop\":" + TestServer.JSON.writeValueAsString(stop))));
        JsonNode choice = stopped.get("choices").get(0);
        assertEquals("stop", choice.get("finish_reason").asText());
        String cut = choice.get("message").get("content").asText();
        assertFalse(cut.contains(stop), cut);
        assertTrue(text.startsWith(cut), cut + " | " + text);
    }

    @Test
    void completionsTakeTextAndTokenIds() throws Exception {
        JsonNode text = ok(server.post("/v1/completions",
                "{\"prompt\":\"The capital of France is\",\"max_tokens\":6,\"seed\":2,\"temperature\":0}"));
        assertEquals("text_completion", text.get("object").asText());
        assertEquals(6, text.get("usage").get("completion_tokens").asInt());
        JsonNode ids = ok(server.post("/v1/completions",
                "{\"prompt\":[72, 101, 108, 108, 111],\"max_tokens\":3,\"seed\":2}"));
        assertEquals(5, ids.get("usage").get("prompt_tokens").asInt());
        JsonNode long_ = ok(server.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":200,\"seed\":1,"
                + "\"ignore_eos\":true}"));
        assertEquals(200, long_.get("usage").get("completion_tokens").asInt(), "ignore_eos runs to max_tokens");
        // Penalties change a greedy continuation (the mini model repeats itself without them).
        String greedy = "{\"prompt\":\"The list: apples, apples, apples,\",\"max_tokens\":24,\"temperature\":0";
        JsonNode plain = ok(server.post("/v1/completions", greedy + "}"));
        JsonNode penalised = ok(server.post("/v1/completions", greedy + ",\"repetition_penalty\":1.5,"
                + "\"frequency_penalty\":1.0,\"presence_penalty\":0.5,\"min_p\":0.05}"));
        assertFalse(plain.get("choices").get(0).get("text").asText()
                .equals(penalised.get("choices").get(0).get("text").asText()), "penalties change the text");
        assertError(server.post("/v1/completions", "{\"prompt\":\"x\",\"presence_penalty\":3}"), 400,
                "presence_penalty", "[-2, 2]");
        JsonNode defaults = ok(server.post("/v1/completions", "{\"prompt\":\"Once upon a time\",\"seed\":1}"));
        assertTrue(defaults.get("usage").get("completion_tokens").asInt() <= RequestPlanner
                .COMPLETIONS_DEFAULT_MAX_TOKENS);
    }

    @Test
    void bestOfNReturnsTheBestByRewardWithCandidates() throws Exception {
        JsonNode r = ok(server.post("/v1/chat/completions", chat("What are the three primary colors?",
                "\"max_tokens\":20,\"seed\":3,\"n\":2,\"strategy\":\"best_of_n\",\"best_of\":5,"
                        + "\"return_candidates\":true")));
        JsonNode candidates = r.get("x_specrej").get("candidates");
        assertEquals(5, candidates.size());
        List<Double> rewards = new ArrayList<>();
        for (JsonNode c : candidates) {
            rewards.add(c.get("reward").asDouble());
            assertTrue(c.get("rejected_at").isNull());
        }
        rewards.sort((x, y) -> Double.compare(y, x));
        assertEquals(2, r.get("choices").size());
        assertEquals(rewards.get(0), r.get("choices").get(0).get("reward").asDouble());
        assertEquals(rewards.get(1), r.get("choices").get(1).get("reward").asDouble());
        assertTrue(r.get("usage").get("x_candidate_tokens").asLong() >= r.get("usage").get("completion_tokens")
                .asLong());
        assertEquals(0, r.get("x_specrej").get("stats").get("decisions").asInt());
    }

    @Test
    void speculativeRejectionRejectsAndReportsItsDecisions() throws Exception {
        JsonNode r = ok(server.post("/v1/chat/completions", chat("Describe the structure of an atom.",
                "\"max_tokens\":48,\"seed\":4,\"strategy\":\"speculative_rejection\",\"alpha\":0.5,"
                        + "\"memory_budget\":3000000,\"return_candidates\":true")));
        JsonNode stats = r.get("x_specrej").get("stats");
        assertTrue(stats.get("decisions").asInt() >= 1, stats.toString());
        assertEquals(3000000, stats.get("memory_budget").asLong());
        assertTrue(stats.get("peak_kv_bytes").asLong() <= 3000000);
        int rejected = 0;
        for (JsonNode c : r.get("x_specrej").get("candidates")) {
            if (!c.get("rejected_at").isNull()) {
                rejected++;
                assertTrue(c.get("rejected_at").asInt() < 48);
            }
        }
        assertTrue(rejected > 0);
        assertTrue(r.get("choices").get(0).has("reward"));
        for (String s : List.of("queue", "prefill", "decode", "scoring", "total")) {
            assertTrue(stats.get("seconds").has(s), s);
        }
    }

    @Test
    void streamsEqualTheWholeResponses() throws Exception {
        for (String extra : List.of("\"max_tokens\":20,\"seed\":5,\"n\":2",
                "\"max_tokens\":20,\"seed\":5,\"n\":2,\"stop\":[\"e\"]",
                "\"max_tokens\":20,\"seed\":5,\"strategy\":\"best_of_n\",\"best_of\":3",
                "\"max_tokens\":24,\"seed\":5,\"strategy\":\"speculative_rejection\",\"memory_budget\":3000000")) {
            JsonNode whole = ok(server.post("/v1/chat/completions", chat("Hi there", extra)));
            TestServer.Response streamed = server.post("/v1/chat/completions", chat("Hi there",
                    extra + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
            assertEquals(200, streamed.status());
            assertTrue(streamed.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<String> events = TestServer.events(streamed.body());
            assertEquals("[DONE]", events.get(events.size() - 1));
            int n = whole.get("choices").size();
            StringBuilder[] texts = new StringBuilder[n];
            String[] finish = new String[n];
            JsonNode usage = null;
            for (int i = 0; i < n; i++) {
                texts[i] = new StringBuilder();
            }
            for (String e : events.subList(0, events.size() - 1)) {
                JsonNode chunk = TestServer.JSON.readTree(e);
                assertEquals("chat.completion.chunk", chunk.get("object").asText());
                if (chunk.has("usage")) {
                    usage = chunk.get("usage");
                }
                for (JsonNode c : chunk.get("choices")) {
                    int i = c.get("index").asInt();
                    if (c.get("delta").has("content")) {
                        texts[i].append(c.get("delta").get("content").asText());
                    }
                    if (!c.get("finish_reason").isNull()) {
                        finish[i] = c.get("finish_reason").asText();
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                JsonNode choice = whole.get("choices").get(i);
                assertEquals(choice.get("message").get("content").asText(), texts[i].toString(), extra);
                assertEquals(choice.get("finish_reason").asText(), finish[i], extra);
            }
            assertEquals(whole.get("usage").get("completion_tokens"), usage.get("completion_tokens"), extra);
        }
    }

    @Test
    void badRequestsGetOpenAiErrorsNamingTheField() throws Exception {
        String path = "/v1/chat/completions";
        assertError(server.post(path, "{not json"), 400, null, "not valid JSON");
        assertError(server.post(path, "[1,2]"), 400, null, "JSON object");
        assertError(server.post(path, "{}"), 400, "messages", "required");
        assertError(server.post(path, chat("x", "\"temperature\":\"hot\"")), 400, "temperature", "number");
        assertError(server.post(path, chat("x", "\"temperature\":3")), 400, "temperature", "[0, 2]");
        assertError(server.post(path, chat("x", "\"n\":1000")), 400, "n", "[1, 16]");
        assertError(server.post(path, chat("x", "\"max_tokens\":100000")), 400, "max_tokens", "context window");
        assertError(server.post(path, chat("x", "\"strategy\":\"magic\"")), 400, "strategy", "must be");
        assertError(server.post(path, chat("x", "\"logprobs\":true")), 400, "logprobs", "not supported");
        assertError(server.post(path, chat("x", "\"stop\":[1]")), 400, "stop", "strings");
        assertError(server.post(path, chat("x", "\"best_of\":2")), 400, "best_of", "best_of_n");
        assertError(server.post(path, chat("x", "\"strategy\":\"best_of_n\",\"n\":3,\"best_of\":2")), 400,
                "best_of", "at least");
        assertError(server.post(path, "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"), 400,
                "messages[0].role", "one of");
        assertError(server.post(path, chat("x", "\"model\":\"gpt-4\"").replace(
                "\"model\":\"mini-alpaca-gen\",", "")), 404, "model", "does not exist");
        assertError(server.post("/v1/completions", "{\"prompt\":[1,-2]}"), 400, "prompt", "token ids");
        assertError(server.post("/v1/completions", "{\"prompt\":[999999]}"), 400, "prompt", "vocabulary");
        assertError(server.post("/v1/nothing", "{}"), 404, null, "");
        assertError(server.send("DELETE", "/v1/chat/completions"), 405, null, "");
        assertError(server.post(path, "{\"x\":\"" + "a".repeat(2 << 20) + "\"}"), 413, null, "limit");
        // Unknown fields are ignored, as OpenAI does.
        ok(server.post(path, chat("x", "\"max_tokens\":2,\"frobnicate\":{\"a\":1}")));
    }

    @Test
    void garbageNeverTakesTheServerDownNorLeaksKv() throws Exception {
        String[] garbage = {"", "null", "\"\"", "{\"messages\":null}", "{\"messages\":[]}", "{\"messages\":[{}]}",
            "{\"messages\":[{\"role\":\"user\",\"content\":{\"a\":1}}]}", "{\"prompt\":{}}", "{\"prompt\":\"\"}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":-1}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"seed\":1e400}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":1.5}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":3}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"strategy\":\"speculative_rejection\","
                    + "\"memory_budget\":10}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"strategy\":\"speculative_rejection\","
                    + "\"memory_budget\":999999999999999}",
            "\u0000\u0001", "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}],\"max_tokens\":2}"};
        for (String g : garbage) {
            for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
                TestServer.Response r = server.post(path, g);
                assertTrue(r.status() == 200 || (r.status() >= 400 && r.status() < 500), g + " -> " + r.body());
                if (r.status() != 200) {
                    assertNotNull(r.json().get("error"), r.body());
                }
            }
        }
        server.awaitIdle();
        assertEquals(0, server.server.scheduler().kvBytesInUse());
        assertEquals(0, server.server.scheduler().kvBytesReserved());
        ok(server.get("/health"));
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsRequest() throws Exception {
        String body = chat("Write a very long story about a dragon.", "\"max_tokens\":400,\"seed\":9,\"n\":4,"
                + "\"stream\":true");
        try (Socket socket = server.rawPost("/v1/chat/completions", body)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            int chunks = 0;
            for (String line = in.readLine(); line != null && chunks < 12; line = in.readLine()) {
                if (line.startsWith("data: ")) {
                    chunks++;
                }
            }
            assertEquals(12, chunks);
            assertTrue(server.server.scheduler().runningRequests() > 0 || server.server.scheduler()
                    .kvBytesInUse() > 0, "still generating when the client leaves");
        }
        server.awaitIdle();
        assertEquals(0, server.server.scheduler().kvBytesInUse());
        assertEquals(0, server.server.scheduler().runningRequests());
    }

    @Test
    void aClientThatDisconnectsFromAPlainRequestCancelsIt() throws Exception {
        // Long enough (64 candidates of 450 tokens, in waves) that a fast machine cannot finish before the probe.
        String body = chat("Write a very long story about a dragon.", "\"max_tokens\":450,\"seed\":9,"
                + "\"strategy\":\"best_of_n\",\"best_of\":64,\"ignore_eos\":true");
        try (Socket socket = server.rawPost("/v1/chat/completions", body)) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (server.server.scheduler().runningRequests() == 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(server.server.scheduler().runningRequests() > 0, "the request runs");
        }
        server.awaitIdle();
        assertEquals(0, server.server.scheduler().kvBytesInUse());
        String metrics = server.get("/metrics").body();
        assertTrue(metrics.contains("specrej_requests_total{endpoint=\"chat_completions\",status=\"499\","
                + "strategy=\"best_of_n\"}"), "counted as closed by the client:\n" + metrics);
    }

    @Test
    void concurrentSeededRequestsEqualTheSameRequestsOneByOne() throws Exception {
        List<String> bodies = new ArrayList<>();
        String[] strategies = {"", "\"strategy\":\"best_of_n\",\"best_of\":3,",
            "\"strategy\":\"speculative_rejection\",\"memory_budget\":3000000,"};
        for (int i = 0; i < 16; i++) {
            bodies.add(chat("Tell me about topic " + i, strategies[i % 3] + "\"max_tokens\":" + (16 + i)
                    + ",\"seed\":" + (50 + i)));
        }
        List<JsonNode> alone = new ArrayList<>();
        for (String b : bodies) {
            alone.add(ok(server.post("/v1/chat/completions", b)).get("choices"));
        }
        ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
        try {
            List<Future<TestServer.Response>> together = new ArrayList<>();
            for (String b : bodies) {
                together.add(pool.submit(() -> server.post("/v1/chat/completions", b)));
            }
            for (int i = 0; i < bodies.size(); i++) {
                assertEquals(alone.get(i), ok(together.get(i).get()).get("choices"), bodies.get(i));
            }
        } finally {
            pool.shutdown();
        }
    }
}
