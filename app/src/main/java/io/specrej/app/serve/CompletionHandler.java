package io.specrej.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.specrej.decoding.Result;
import io.specrej.decoding.Scheduler;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: read and plan the request, submit it to the
 * scheduler, then either wait for its result or stream it as OpenAI-shaped server-sent events. Plain sampling streams
 * tokens as they are generated; a reward-ranked strategy knows its answer only after the last decision, so its
 * stream sends keep-alive comments until then and the chosen texts token by token afterwards. A client that goes
 * away mid-stream (a write fails) cancels its request, which frees its KV within one step.
 */
final class CompletionHandler {
    /** How often a waiting stream proves the client is still there (a plain request probes its connection). */
    private static final long KEEP_ALIVE_MILLIS = 500;
    /** The status metrics count a request under when its client left before the answer (nginx's 499). */
    static final int CLIENT_CLOSED = 499;

    private final ServerState state;

    CompletionHandler(ServerState state) {
        this.state = state;
    }

    void handle(Context ctx, boolean chat) throws java.io.IOException {
        String endpoint = chat ? "chat_completions" : "completions";
        String strategy = null;
        state.inFlight().incrementAndGet();
        try {
            Scheduler scheduler = state.requireReady();
            CompletionRequest r = read(ctx, chat, state, scheduler);
            strategy = r.strategy();
            if (r.model() != null && !r.model().equals(state.servedName())) {
                throw ApiError.notFound("the model '" + r.model() + "' does not exist; this server serves '"
                        + state.servedName() + "' (GET /v1/models)", "model", "model_not_found");
            }
            CompletionRun run = new CompletionRun(r.stream() && !r.ranked());
            RequestPlanner.Planned planned = state.planner().plan(r, run);
            Scheduler.Ticket ticket = submit(scheduler, planned);
            String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
            ResponseJson json = new ResponseJson(r, id, System.currentTimeMillis() / 1000, state.servedName());
            Exchange exchange = new Exchange(r, run, planned, ticket, json);
            if (r.stream()) {
                Stream stream = new Stream(ctx, exchange);
                stream.run();
                state.metrics().request(endpoint, strategy, stream.gone ? CLIENT_CLOSED : 200);
            } else {
                ObjectNode response = exchange.await(ctx);
                if (response == null) {
                    state.metrics().request(endpoint, strategy, CLIENT_CLOSED);
                    return;
                }
                // Written and flushed here, not left to the framework after the handler returns: a graceful stop
                // closes the server once no handler is in flight, and the answer must be on the wire by then.
                byte[] bytes = Jsons.write(response).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ctx.status(200).contentType("application/json");
                ctx.res().setContentLength(bytes.length);
                ctx.res().getOutputStream().write(bytes);
                ctx.res().flushBuffer();
                state.metrics().request(endpoint, strategy, 200);
            }
            state.metrics().latency(System.nanoTime() - run.submittedNanos);
        } catch (ApiError e) {
            state.metrics().request(endpoint, strategy, e.status());
            throw e;
        } finally {
            state.inFlight().decrementAndGet();
        }
    }

    /** The request's body, read strictly; a ranked strategy on a server without a reward model is a 400. */
    static CompletionRequest read(Context ctx, boolean chat, ServerState state, Scheduler scheduler) {
        JsonNode body = Jsons.parseObject(ctx.body());
        CompletionRequest r = CompletionRequest.parse(body, chat, state.limits());
        if (r.ranked() && !scheduler.hasRewardModel()) {
            throw ApiError.badField("strategy", "strategy \"" + r.strategy() + "\" needs a reward model and the"
                    + " server was started without one (--reward-model)");
        }
        return r;
    }

    /** Submits a planned request; a full queue, a stopping server or a bad request become the API's errors. */
    static Scheduler.Ticket submit(Scheduler scheduler, RequestPlanner.Planned planned) {
        try {
            return scheduler.submit(planned.submission());
        } catch (Scheduler.QueueFullException e) {
            throw ApiError.queueFull(e.getMessage());
        } catch (Scheduler.CancelledException e) {
            throw ApiError.unavailable(e.getMessage());
        } catch (BadInputException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }

    /** A submitted request and what answering it needs. */
    private final class Exchange {
        final CompletionRequest request;
        final CompletionRun run;
        final RequestPlanner.Planned planned;
        final Scheduler.Ticket ticket;
        final ResponseJson json;
        final long deadline;

        Exchange(CompletionRequest request, CompletionRun run, RequestPlanner.Planned planned,
                 Scheduler.Ticket ticket, ResponseJson json) {
            this.request = request;
            this.run = run;
            this.planned = planned;
            this.ticket = ticket;
            this.json = json;
            this.deadline = System.nanoTime() + state.limits().timeoutMillis() * 1_000_000L;
        }

        /** The next event, or null after {@code millis}; past the deadline the request is cancelled (408). */
        CompletionRun.Event next(long millis) {
            if (System.nanoTime() > deadline) {
                ticket.cancel("the request ran past the server's timeout");
                throw new ApiError(408, "timeout_error", "the request did not finish within the server's timeout of "
                        + state.limits().timeoutMillis() + " ms (--request-timeout)", null, "timeout");
            }
            try {
                return run.poll(millis);
            } catch (InterruptedException e) {
                ticket.cancel("the server is stopping");
                Thread.currentThread().interrupt();
                throw ApiError.unavailable("the server is stopping");
            }
        }

        /** The response, or null when the client left first (the request is then cancelled). */
        ObjectNode await(Context ctx) {
            while (true) {
                CompletionRun.Event e = next(KEEP_ALIVE_MILLIS);
                if (e == null && ClientWatch.gone(ctx)) {
                    ticket.cancel("the client went away");
                    return null;
                }
                if (e instanceof CompletionRun.Done done) {
                    state.metrics().firstToken(System.nanoTime() - run.submittedNanos);
                    return respond(done.result());
                }
                if (e instanceof CompletionRun.Failed failed) {
                    throw failure(failed.error());
                }
            }
        }

        ObjectNode respond(Result result) {
            List<Result.Candidate> choices = CompletionRun.choices(result, request.n(), request.ranked());
            List<String> texts = new ArrayList<>();
            for (Result.Candidate c : choices) {
                texts.add(planned.stop().cut(c.text()));
            }
            return json.completion(choices, texts, result, planned.promptTokens(), planned.seed(), timing());
        }

        ResponseJson.Timing timing() {
            long admitted = run.admittedNanos == 0 ? run.submittedNanos : run.admittedNanos;
            return new ResponseJson.Timing((admitted - run.submittedNanos) * 1e-9,
                    (System.nanoTime() - run.submittedNanos) * 1e-9);
        }
    }

    /** A failure reported by the scheduler, as the status a client can act on. */
    static ApiError failure(RuntimeException e) {
        if (e instanceof ApiError api) {
            return api;
        }
        if (e instanceof BadInputException) {
            return ApiError.badRequest(e.getMessage());
        }
        if (e instanceof Scheduler.CancelledException) {
            return ApiError.unavailable("the request was cancelled: " + e.getMessage());
        }
        return ApiError.internal("internal error: " + e);
    }

    /** Server-sent events for one request. */
    private final class Stream {
        private final Context ctx;
        private final Exchange x;
        private final OutputStream out;
        private boolean firstSent;
        /** The client closed the connection before the end. */
        boolean gone;

        Stream(Context ctx, Exchange x) {
            this.ctx = ctx;
            this.x = x;
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            try {
                this.out = ctx.res().getOutputStream();
            } catch (IOException e) {
                x.ticket.cancel("the client went away");
                throw new IllegalStateException(e);
            }
        }

        void run() {
            try {
                if (x.request.ranked()) {
                    ranked();
                } else {
                    sampled();
                }
                send("data: [DONE]\n\n");
            } catch (ClientGone e) {
                x.ticket.cancel("the client went away");
                gone = true;
            } catch (ApiError e) {
                try {
                    send("data: " + Jsons.write(e.body()) + "\n\n");
                    send("data: [DONE]\n\n");
                } catch (ClientGone ignored) {
                    x.ticket.cancel("the client went away");
                }
            }
        }

        /** Tokens as generated, each choice through its own streamer. */
        private void sampled() {
            int n = x.request.n();
            TextStreamer[] streamers = new TextStreamer[n];
            for (int i = 0; i < n; i++) {
                streamers[i] = new TextStreamer(state.generation().tokenizer(), x.planned.stop());
                if (x.request.chat()) {
                    chunk(x.json.chunk(i, "assistant", "", null, null));
                }
            }
            while (true) {
                CompletionRun.Event e = x.next(KEEP_ALIVE_MILLIS);
                if (e == null) {
                    send(": keep-alive\n\n");
                } else if (e instanceof CompletionRun.Tokens t) {
                    for (int k = 0; k < t.ids().length; k++) {
                        int i = t.ids()[k];
                        String delta = streamers[i].add(t.tokens()[k]);
                        if (!delta.isEmpty()) {
                            chunk(x.json.chunk(i, null, delta, null, null));
                        }
                        if (t.finished()[k]) {
                            String rest = streamers[i].finish();
                            if (!rest.isEmpty()) {
                                chunk(x.json.chunk(i, null, rest, null, null));
                            }
                            chunk(x.json.chunk(i, null, null, t.finishReasons()[k], null));
                        }
                    }
                } else if (e instanceof CompletionRun.Done done) {
                    tail(done.result());
                    return;
                } else if (e instanceof CompletionRun.Failed failed) {
                    throw failure(failed.error());
                }
            }
        }

        /** Keep-alives until the result, then each chosen text token by token. */
        private void ranked() {
            while (true) {
                CompletionRun.Event e = x.next(KEEP_ALIVE_MILLIS);
                if (e == null || e instanceof CompletionRun.Tokens || e instanceof CompletionRun.Decision) {
                    send(": keep-alive\n\n");
                } else if (e instanceof CompletionRun.Done done) {
                    List<Result.Candidate> choices = CompletionRun.choices(done.result(), x.request.n(), true);
                    for (int i = 0; i < choices.size(); i++) {
                        Result.Candidate c = choices.get(i);
                        TextStreamer streamer = new TextStreamer(state.generation().tokenizer(), x.planned.stop());
                        if (x.request.chat()) {
                            chunk(x.json.chunk(i, "assistant", "", null, null));
                        }
                        for (int token : c.tokens()) {
                            String delta = streamer.add(token);
                            if (!delta.isEmpty()) {
                                chunk(x.json.chunk(i, null, delta, null, null));
                            }
                        }
                        String rest = streamer.finish();
                        if (!rest.isEmpty()) {
                            chunk(x.json.chunk(i, null, rest, null, null));
                        }
                        chunk(x.json.chunk(i, null, null, c.finishReason(), c));
                    }
                    tail(done.result());
                    return;
                } else if (e instanceof CompletionRun.Failed failed) {
                    throw failure(failed.error());
                }
            }
        }

        /** The usage chunk when asked for, then x_specrej in a chunk of its own. */
        private void tail(Result result) {
            List<Result.Candidate> choices = CompletionRun.choices(result, x.request.n(), x.request.ranked());
            ObjectNode usage = x.request.includeUsage()
                    ? x.json.usage(choices, result, x.planned.promptTokens()) : null;
            if (usage != null || x.request.ranked()) {
                chunk(x.json.tail(usage, x.json.extension(result, x.planned.seed(), x.timing())));
            }
        }

        private void chunk(ObjectNode node) {
            if (!firstSent) {
                firstSent = true;
                state.metrics().firstToken(System.nanoTime() - x.run.submittedNanos);
            }
            send("data: " + Jsons.write(node) + "\n\n");
        }

        private void send(String text) {
            try {
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new ClientGone();
            }
        }
    }
}
