package io.specrej.app.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The HTTP face of the server (Javalin on Jetty): OpenAI's routes, the API key check, OpenAI-shaped errors for
 * everything that goes wrong (including the HTTP layer's own 404, 405 and 413), health, Prometheus metrics and the
 * browser playground ({@link PlaygroundPage}). It
 * never touches a model: requests go to the scheduler through {@link CompletionHandler}.
 */
public final class ApiServer implements AutoCloseable {
    private final ServerState state;
    private final byte[] apiKey;
    private final Javalin app;
    private final long started = System.currentTimeMillis() / 1000;

    ApiServer(ServerState state, String apiKey) {
        this.state = state;
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        CompletionHandler completions = new CompletionHandler(state);
        RunEventsHandler runs = new RunEventsHandler(state);
        PlaygroundPage playground = new PlaygroundPage();
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.useVirtualThreads = true;
            config.http.maxRequestSize = state.limits().maxBodyBytes();
            config.http.prefer405over404 = true;
            config.http.disableCompression();
        });
        app.before("/v1/*", this::authorize);
        // The playground is public like /health: it holds no data, and asks for the key when /v1 answers 401.
        app.get("/", playground::index);
        app.get("/playground/{file}", playground::file);
        app.get("/health", this::health);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                .result(state.metrics().scrape()));
        app.get("/v1/models", this::models);
        app.get("/v1/models/{model}", this::model);
        app.post("/v1/chat/completions", ctx -> completions.handle(ctx, true));
        app.post("/v1/completions", ctx -> completions.handle(ctx, false));
        app.post("/v1/specrej/runs", runs::handle);
        app.exception(ApiError.class, (e, ctx) -> answer(ctx, e));
        app.exception(HttpResponseException.class, (e, ctx) -> answer(ctx, fromHttp(e)));
        app.exception(Exception.class, (e, ctx) -> answer(ctx, ApiError.internal("internal error: " + e)));
        app.error(404, ctx -> {
            if (ctx.resultInputStream() == null) {
                answer(ctx, ApiError.notFound("no route " + ctx.method() + " " + ctx.path()
                        + " (see docs/SERVER.md)", null, "unknown_route"));
            }
        });
    }

    /** Starts listening; returns the bound port (useful with port 0). */
    int start(String host, int port) {
        app.start(host, port);
        return app.port();
    }

    private void authorize(Context ctx) {
        if (apiKey == null) {
            return;
        }
        String header = ctx.header("Authorization");
        byte[] given = header != null && header.startsWith("Bearer ")
                ? header.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(apiKey, given)) { // constant time for keys of the same length
            throw ApiError.unauthorized();
        }
    }

    private void health(Context ctx) {
        ObjectNode body = Jsons.MAPPER.createObjectNode();
        body.put("status", state.isReady() ? "ok" : state.scheduler() == null ? "loading" : "stopping");
        ctx.status(state.isReady() ? 200 : 503).contentType("application/json").result(Jsons.write(body));
    }

    private ObjectNode modelCard() {
        ObjectNode m = Jsons.MAPPER.createObjectNode();
        m.put("id", state.servedName());
        m.put("object", "model");
        m.put("created", started);
        m.put("owned_by", "specrej");
        return m;
    }

    private void models(Context ctx) {
        ObjectNode body = Jsons.MAPPER.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        data.add(modelCard());
        ctx.contentType("application/json").result(Jsons.write(body));
    }

    private void model(Context ctx) {
        if (!ctx.pathParam("model").equals(state.servedName())) {
            throw ApiError.notFound("the model '" + ctx.pathParam("model") + "' does not exist", "model",
                    "model_not_found");
        }
        ctx.contentType("application/json").result(Jsons.write(modelCard()));
    }

    private static ApiError fromHttp(HttpResponseException e) {
        return switch (e.getStatus()) {
            case 413 -> new ApiError(413, "invalid_request_error", "the request body is larger than the server's"
                    + " limit (--max-body)", null, "request_too_large");
            case 405 -> new ApiError(405, "invalid_request_error", "method not allowed: " + e.getMessage(), null,
                    "method_not_allowed");
            case 404 -> ApiError.notFound("not found: " + e.getMessage(), null, "unknown_route");
            default -> new ApiError(e.getStatus(), "invalid_request_error", e.getMessage(), null, null);
        };
    }

    private static void answer(Context ctx, ApiError e) {
        if (e.status() == 429) {
            ctx.header("Retry-After", "1");
        }
        ctx.status(e.status()).contentType("application/json").result(Jsons.write(e.body()));
    }

    @Override
    public void close() {
        app.stop();
    }
}
