package io.specrej.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** A server on an ephemeral loopback port with the embedded models, and a small HTTP client for it. */
final class TestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final ServeCommand.Server server;
    final String base;
    final StringWriter log = new StringWriter();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    TestServer(String... options) {
        List<String> args = new ArrayList<>(List.of("--port", "0"));
        args.addAll(List.of(options));
        ServeCommand command = new ServeCommand();
        CommandLine cli = new CommandLine(command).setErr(new PrintWriter(log, true));
        cli.parseArgs(args.toArray(String[]::new));
        server = command.start();
        base = "http://127.0.0.1:" + server.port();
    }

    record Response(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    Response post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body(), r.headers());
    }

    Response send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body(), r.headers());
    }

    Response get(String path, String... headers) throws Exception {
        return send("GET", path, headers);
    }

    /**
     * A POST written by hand on a socket of its own, so that a test can read part of the answer and then drop the
     * connection as a client that goes away does; the caller closes the socket.
     */
    java.net.Socket rawPost(String path, String body) throws java.io.IOException {
        java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port());
        java.io.OutputStream out = socket.getOutputStream();
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.write(bytes);
        out.flush();
        return socket;
    }

    /** The data lines of an event stream, [DONE] included. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ")) {
                out.add(line.substring(6));
            }
        }
        return out;
    }

    /** Waits until the scheduler holds no KV and runs nothing (it reports between steps). */
    void awaitIdle() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while ((server.scheduler().kvBytesInUse() != 0 || server.scheduler().runningRequests() != 0
                || server.scheduler().queueDepth() != 0) && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
    }

    @Override
    public void close() {
        server.stop(0, null);
    }
}
