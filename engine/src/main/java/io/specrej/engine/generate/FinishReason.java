package io.specrej.engine.generate;

/** Why a sequence stopped, in the OpenAI API's words. */
public enum FinishReason {
    /** It produced a stop token. */
    STOP,
    /** It reached max_new_tokens. */
    LENGTH;

    public String apiName() {
        return this == STOP ? "stop" : "length";
    }
}
