package io.specrej.decoding;

import io.specrej.engine.generate.StopCondition;
import java.util.List;

/**
 * What a request adds to its {@link DecodingSetup} when it runs in a {@link StepLoop}.
 *
 * @param stop      a stop rule besides the stop tokens (e.g. stop strings), or null
 * @param listener  progress reports (streaming, events), never null
 * @param ignoreEos      generate to the length limit, never stopping at the model's stop tokens (benchmarks)
 * @param stopTokenIds   more token ids that end a response, besides the model's (vLLM's stop_token_ids)
 */
public record RequestOptions(StopCondition stop, RequestListener listener, boolean ignoreEos,
                             List<Integer> stopTokenIds) {
    public static final RequestOptions NONE = new RequestOptions(null, RequestListener.NONE, false, List.of());

    public RequestOptions {
        if (listener == null) {
            listener = RequestListener.NONE;
        }
        stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
    }

    public RequestOptions(StopCondition stop, RequestListener listener) {
        this(stop, listener, false, List.of());
    }

    public RequestOptions(StopCondition stop, RequestListener listener, boolean ignoreEos) {
        this(stop, listener, ignoreEos, List.of());
    }

    /** The same options reporting to another listener. */
    public RequestOptions withListener(RequestListener other) {
        return new RequestOptions(stop, other, ignoreEos, stopTokenIds);
    }
}
