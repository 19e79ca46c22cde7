package io.specrej.decoding;

import io.specrej.engine.generate.StopCondition;

/**
 * What a request adds to its {@link DecodingSetup} when it runs in a {@link StepLoop}.
 *
 * @param stop      a stop rule besides the stop tokens (e.g. stop strings), or null
 * @param listener  progress reports (streaming, events), never null
 * @param ignoreEos generate to the length limit, never stopping at the model's stop tokens (benchmarks)
 */
public record RequestOptions(StopCondition stop, RequestListener listener, boolean ignoreEos) {
    public static final RequestOptions NONE = new RequestOptions(null, RequestListener.NONE, false);

    public RequestOptions {
        if (listener == null) {
            listener = RequestListener.NONE;
        }
    }

    public RequestOptions(StopCondition stop, RequestListener listener) {
        this(stop, listener, false);
    }
}
