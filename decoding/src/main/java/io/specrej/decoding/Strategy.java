package io.specrej.decoding;

/** A way to pick one response for a prompt out of many sampled ones. One prompt per call; not thread-safe. */
public interface Strategy {
    /** Plain sampling (no reward model), as the server's default strategy names it. */
    String SAMPLE = "sample";

    /** "best-of-n" or "speculative-rejection", as results and the command line name it. */
    String name();

    Result run(Prompt prompt, DecodingSetup setup);

    /** {@link #run} with a request's options: stop strings, extra stop tokens, a listener. */
    Result run(Prompt prompt, DecodingSetup setup, RequestOptions options);

    /**
     * Checks that {@code prompt} can run under {@code setup} (its budget, its n) without running anything, so a run
     * over many prompts can refuse the ones that would fail before it spends time on the others.
     *
     * @throws io.specrej.engine.BadInputException naming what to change
     */
    void check(Prompt prompt, DecodingSetup setup, RequestOptions options);
}
