package io.specrej.app.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Whether the client of a request that is still waiting for its answer has closed its connection. A streamed
 * request finds out by writing; a plain one writes nothing until the end, so its connection is probed: Jetty does
 * not read a connection while its request is being handled, and a read that returns end-of-stream means the client
 * is gone. A byte that does arrive (a pipelined request) is dropped and the connection closed after the answer.
 */
final class ClientWatch {
    private ClientWatch() {
    }

    static boolean gone(Context ctx) {
        Request request = Request.getBaseRequest(ctx.req()); // through the framework's wrappers
        if (request == null || request.getHttpChannel() == null) {
            return false;
        }
        EndPoint endPoint = request.getHttpChannel().getEndPoint();
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            return true;
        }
        try {
            ByteBuffer probe = BufferUtil.allocate(1);
            int read = endPoint.fill(probe);
            if (read > 0) {
                ctx.header("Connection", "close");
            }
            return read < 0;
        } catch (IOException e) {
            return true;
        }
    }
}
