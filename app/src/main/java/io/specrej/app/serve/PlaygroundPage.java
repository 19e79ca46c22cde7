package io.specrej.app.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The browser playground: {@code GET /} and its few static files, read once from the jar's resources
 * ({@code playground/}). Only the files listed here are served, so no path from a request ever reaches the
 * classpath. The page is plain HTML, CSS and JavaScript modules: no build step, nothing from another origin.
 */
final class PlaygroundPage {
    private static final Map<String, String> FILES = new LinkedHashMap<>();

    static {
        FILES.put("index.html", "text/html; charset=utf-8");
        FILES.put("playground.css", "text/css; charset=utf-8");
        FILES.put("playground.js", "text/javascript; charset=utf-8");
        FILES.put("api.js", "text/javascript; charset=utf-8");
        FILES.put("sse.js", "text/javascript; charset=utf-8");
        FILES.put("run-view.js", "text/javascript; charset=utf-8");
        FILES.put("chart.js", "text/javascript; charset=utf-8");
        FILES.put("format.js", "text/javascript; charset=utf-8");
    }

    /**
     * Same-origin only, and no inline script: even if model text ever reached the DOM as HTML, the browser would
     * not run it (the page inserts it as text; this is the second line of defence).
     */
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Map<String, byte[]> content = new LinkedHashMap<>();

    PlaygroundPage() {
        for (String name : FILES.keySet()) {
            try (InputStream in = PlaygroundPage.class.getResourceAsStream("/playground/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("playground/" + name + " is missing from the jar");
                }
                content.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    void index(Context ctx) {
        serve(ctx, "index.html");
    }

    void file(Context ctx) {
        String name = ctx.pathParam("file");
        if (!content.containsKey(name)) {
            throw ApiError.notFound("no playground file '" + name + "'", null, "unknown_route");
        }
        serve(ctx, name);
    }

    private void serve(Context ctx, String name) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(FILES.get(name)).result(content.get(name));
    }
}
