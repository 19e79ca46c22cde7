package io.specrej.app.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.specrej.decoding.Result;
import io.specrej.decoding.Scheduler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/specrej/runs}: one request (a chat completion body) run with its algorithm made visible, as
 * server-sent events: {@code run} (what was planned), {@code candidates} (new candidates started), {@code
 * candidate_tokens} (the text each candidate gained, all candidates' tokens of one or more steps in one event),
 * {@code decision} (ranked ids with scores, kept and rejected), one {@code finished} per candidate at the end, and
 * {@code summary}; {@code error} if it fails. Events that pile up while the client reads are merged, so a
 * 256-candidate run costs a browser a few events per step at most. Closing the connection cancels the run.
 */
final class RunEventsHandler {
    private static final long KEEP_ALIVE_MILLIS = 500;

    private final ServerState state;

    RunEventsHandler(ServerState state) {
        this.state = state;
    }

    void handle(Context ctx) {
        String strategy = null;
        state.inFlight().incrementAndGet();
        try {
            Scheduler scheduler = state.requireReady();
            CompletionRequest r = CompletionHandler.read(ctx, true, state, scheduler);
            strategy = r.strategy();
            CompletionRun run = new CompletionRun(true);
            RequestPlanner.Planned planned = state.planner().plan(r, run);
            Scheduler.Ticket ticket = CompletionHandler.submit(scheduler, planned);
            new Events(ctx, r, run, planned, ticket).run();
            state.metrics().request("runs", strategy, 200);
        } catch (ApiError e) {
            state.metrics().request("runs", strategy, e.status());
            throw e;
        } finally {
            state.inFlight().decrementAndGet();
        }
    }

    /** One run's event stream. */
    private final class Events {
        private final CompletionRequest request;
        private final CompletionRun run;
        private final RequestPlanner.Planned planned;
        private final Scheduler.Ticket ticket;
        private final OutputStream out;
        private final Map<Integer, TextStreamer> streamers = new HashMap<>();
        private final long deadline;
        private int steps;

        Events(Context ctx, CompletionRequest request, CompletionRun run, RequestPlanner.Planned planned,
               Scheduler.Ticket ticket) {
            this.request = request;
            this.run = run;
            this.planned = planned;
            this.ticket = ticket;
            this.deadline = System.nanoTime() + state.limits().timeoutMillis() * 1_000_000L;
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            try {
                this.out = ctx.res().getOutputStream();
            } catch (IOException e) {
                ticket.cancel("the client went away");
                throw new IllegalStateException(e);
            }
        }

        void run() {
            try {
                ObjectNode head = Jsons.MAPPER.createObjectNode();
                head.put("strategy", request.strategy());
                head.put("seed", planned.seed());
                head.put("prompt_tokens", planned.promptTokens());
                head.put("max_tokens", planned.submission().setup().maxNewTokens());
                if (request.strategy().equals(CompletionRequest.SPECULATIVE_REJECTION)) {
                    head.put("alpha", planned.submission().setup().alpha());
                    head.put("memory_budget", planned.submission().setup().memoryBudgetBytes());
                }
                send("run", head);
                loop();
            } catch (ClientGone e) {
                ticket.cancel("the client went away");
            }
        }

        private void loop() {
            while (true) {
                if (System.nanoTime() > deadline) {
                    ticket.cancel("the run passed the server's timeout");
                }
                CompletionRun.Event e;
                try {
                    e = run.poll(KEEP_ALIVE_MILLIS);
                } catch (InterruptedException ex) {
                    ticket.cancel("the server is stopping");
                    Thread.currentThread().interrupt();
                    return;
                }
                if (e == null) {
                    write(": keep-alive\n\n");
                    continue;
                }
                // Everything already queued goes out together: token events merge per candidate.
                Map<Integer, StringBuilder> text = new LinkedHashMap<>();
                Map<Integer, Integer> counts = new HashMap<>();
                while (e != null) {
                    if (e instanceof CompletionRun.Tokens t) {
                        steps++;
                        for (int k = 0; k < t.ids().length; k++) {
                            int id = t.ids()[k];
                            TextStreamer s = streamers.computeIfAbsent(id,
                                    i -> new TextStreamer(state.generation().tokenizer(), planned.stop()));
                            String delta = s.add(t.tokens()[k]);
                            if (t.finished()[k]) {
                                delta += s.finish();
                            }
                            text.computeIfAbsent(id, i -> new StringBuilder()).append(delta);
                            counts.put(id, s.tokens());
                        }
                    } else {
                        flushTokens(text, counts);
                        if (!other(e)) {
                            return;
                        }
                    }
                    e = run.nextNow();
                }
                flushTokens(text, counts);
            }
        }

        private void flushTokens(Map<Integer, StringBuilder> text, Map<Integer, Integer> counts) {
            if (text.isEmpty()) {
                return;
            }
            ObjectNode o = Jsons.MAPPER.createObjectNode();
            o.put("step", steps);
            ArrayNode list = o.putArray("candidates");
            for (Map.Entry<Integer, StringBuilder> en : text.entrySet()) {
                ObjectNode c = list.addObject();
                c.put("id", en.getKey());
                c.put("text", en.getValue().toString());
                c.put("tokens", counts.get(en.getKey()));
            }
            send("candidate_tokens", o);
            text.clear();
            counts.clear();
        }

        /** Sends a non-token event; returns false when the stream is over. */
        private boolean other(CompletionRun.Event e) {
            if (e instanceof CompletionRun.Started s) {
                ObjectNode o = Jsons.MAPPER.createObjectNode();
                ArrayNode ids = o.putArray("ids");
                for (int id : s.ids()) {
                    ids.add(id);
                }
                send("candidates", o);
                return true;
            }
            if (e instanceof CompletionRun.Decision d) {
                ObjectNode o = Jsons.MAPPER.createObjectNode();
                o.put("tokens_so_far", d.tokensSoFar());
                o.put("memory_triggered", d.memoryTriggered());
                o.put("kept", d.kept());
                ArrayNode ranked = o.putArray("ranked");
                ArrayNode rejected = o.putArray("rejected");
                for (int i = 0; i < d.rankedIds().length; i++) {
                    ObjectNode c = ranked.addObject();
                    c.put("id", d.rankedIds()[i]);
                    score(c, "score", d.scores()[i]);
                    if (i >= d.kept()) {
                        rejected.add(d.rankedIds()[i]);
                    }
                }
                send("decision", o);
                return true;
            }
            if (e instanceof CompletionRun.Done done) {
                finish(done.result());
                return false;
            }
            if (e instanceof CompletionRun.Failed failed) {
                send("error", CompletionHandler.failure(failed.error()).body());
                return false;
            }
            return true;
        }

        private void finish(Result result) {
            List<Result.Candidate> choices = CompletionRun.choices(result, request.n(), request.ranked());
            for (Result.Candidate c : result.trajectories()) {
                ObjectNode o = Jsons.MAPPER.createObjectNode();
                o.put("id", c.id());
                o.put("text", planned.stop().cut(c.text()));
                o.put("tokens", c.tokens().length);
                o.put("finish_reason", c.finishReason());
                score(o, "reward", c.score());
                if (c.rejectedAt() == null) {
                    o.putNull("rejected_at");
                } else {
                    o.put("rejected_at", result.stats().decisions().get(c.rejectedAt()).tokensSoFar());
                }
                send("finished", o);
            }
            Result.Stats s = result.stats();
            ObjectNode o = Jsons.MAPPER.createObjectNode();
            o.put("strategy", request.strategy());
            o.put("seed", planned.seed());
            ArrayNode winners = o.putArray("winners");
            for (Result.Candidate c : choices) {
                ObjectNode w = winners.addObject();
                w.put("id", c.id());
                w.put("text", planned.stop().cut(c.text()));
                score(w, "reward", c.score());
            }
            o.put("candidates", result.trajectories().size());
            o.put("initial_candidates", s.initialBatch());
            o.put("generated_tokens", s.generatedTokens());
            o.put("reward_tokens", s.rewardTokens());
            o.put("decisions", s.decisions().size());
            o.put("peak_kv_bytes", s.peakKvBytes());
            o.put("wall_seconds", s.wallSeconds());
            o.put("queue_seconds", ((run.admittedNanos == 0 ? run.submittedNanos : run.admittedNanos)
                    - run.submittedNanos) * 1e-9);
            send("summary", o);
        }

        private void score(ObjectNode o, String field, double value) {
            if (Double.isNaN(value)) {
                o.putNull(field);
            } else {
                o.put(field, value);
            }
        }

        private void send(String event, ObjectNode data) {
            write("event: " + event + "\ndata: " + Jsons.write(data) + "\n\n");
        }

        private void write(String text) {
            try {
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new ClientGone();
            }
        }
    }
}
