package io.specrej.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The playground's event stream, read as any client would: order, completeness, totals, cancellation. */
class RunEventsTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer("--memory-budget", "64MiB");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Event(String name, JsonNode data) {
    }

    static List<Event> parse(String body) throws Exception {
        List<Event> out = new ArrayList<>();
        String name = null;
        for (String line : body.split("\n")) {
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                out.add(new Event(name, TestServer.JSON.readTree(line.substring(6))));
                name = null;
            }
        }
        return out;
    }

    private static final String BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"Describe the structure of an"
            + " atom.\"}],\"max_tokens\":40,\"seed\":6,";

    @Test
    void aSpeculativeRejectionRunShowsEveryCandidateAndDecision() throws Exception {
        String request = BODY + "\"strategy\":\"speculative_rejection\",\"alpha\":0.5,\"memory_budget\":3000000}";
        TestServer.Response r = server.post("/v1/specrej/runs", request);
        assertEquals(200, r.status(), r.body());
        List<Event> events = parse(r.body());
        assertEquals("run", events.get(0).name());
        assertEquals("summary", events.get(events.size() - 1).name());
        Set<Integer> started = new HashSet<>();
        Map<Integer, StringBuilder> text = new HashMap<>();
        Set<Integer> rejected = new HashSet<>();
        Map<Integer, JsonNode> finished = new HashMap<>();
        int decisions = 0;
        for (Event e : events) {
            switch (e.name()) {
                case "candidates" -> e.data().get("ids").forEach(id -> started.add(id.asInt()));
                case "candidate_tokens" -> e.data().get("candidates").forEach(c -> {
                    int id = c.get("id").asInt();
                    assertTrue(started.contains(id), "tokens of a started candidate");
                    assertTrue(!rejected.contains(id), "no tokens after rejection");
                    text.computeIfAbsent(id, k -> new StringBuilder()).append(c.get("text").asText());
                });
                case "decision" -> {
                    decisions++;
                    JsonNode d = e.data();
                    assertEquals(d.get("ranked").size() - d.get("kept").asInt(), d.get("rejected").size());
                    d.get("rejected").forEach(id -> rejected.add(id.asInt()));
                }
                case "finished" -> finished.put(e.data().get("id").asInt(), e.data());
                default -> { }
            }
        }
        JsonNode summary = events.get(events.size() - 1).data();
        assertEquals(started.size(), summary.get("initial_candidates").asInt());
        assertEquals(started.size(), finished.size(), "one finished per candidate");
        assertEquals(decisions, summary.get("decisions").asInt());
        long tokens = 0;
        for (Map.Entry<Integer, JsonNode> f : finished.entrySet()) {
            JsonNode c = f.getValue();
            tokens += c.get("tokens").asLong();
            assertEquals(rejected.contains(f.getKey()), !c.get("rejected_at").isNull());
            assertEquals(c.get("text").asText(), text.get(f.getKey()).toString(), "streamed text of " + f.getKey());
        }
        assertEquals(tokens, summary.get("generated_tokens").asLong());
        assertTrue(decisions >= 1 && !rejected.isEmpty());
        // The same request through the chat API picks the same winner.
        JsonNode chat = server.post("/v1/chat/completions", request).json();
        JsonNode winner = summary.get("winners").get(0);
        assertEquals(chat.get("choices").get(0).get("message").get("content").asText(), winner.get("text").asText());
        assertEquals(chat.get("choices").get(0).get("reward").asDouble(), winner.get("reward").asDouble());
    }

    @Test
    void bestOfNAndSamplingRunsEndWithASummary() throws Exception {
        for (String extra : List.of("\"strategy\":\"best_of_n\",\"best_of\":6}", "\"n\":3}")) {
            List<Event> events = parse(server.post("/v1/specrej/runs", BODY + extra).body());
            JsonNode summary = events.get(events.size() - 1).data();
            assertEquals("summary", events.get(events.size() - 1).name());
            long finished = events.stream().filter(e -> e.name().equals("finished")).count();
            assertEquals(summary.get("candidates").asLong(), finished);
            assertEquals(0, summary.get("decisions").asInt());
        }
    }

    @Test
    void closingTheStreamCancelsTheRun() throws Exception {
        String body = BODY.replace("\"max_tokens\":40", "\"max_tokens\":400") + "\"n\":8}";
        try (Socket socket = server.rawPost("/v1/specrej/runs", body)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            int seen = 0;
            for (String line = in.readLine(); line != null && seen < 5; line = in.readLine()) {
                if (line.equals("event: candidate_tokens")) {
                    seen++;
                }
            }
            assertEquals(5, seen);
        }
        server.awaitIdle();
        assertEquals(0, server.server.scheduler().kvBytesInUse());
        assertEquals(0, server.server.scheduler().runningRequests());
    }
}
