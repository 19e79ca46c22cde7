package io.specrej.app.serve;

/** The client closed an event stream's connection: the writer stops and the request is cancelled. */
final class ClientGone extends RuntimeException {
    ClientGone() {
        super(null, null, false, false); // control flow, not an error: no stack trace to fill
    }
}
