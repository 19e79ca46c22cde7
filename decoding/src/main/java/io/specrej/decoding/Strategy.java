package io.specrej.decoding;

/** A way to pick one response for a prompt out of many sampled ones. One prompt per call; not thread-safe. */
public interface Strategy {
    /** Plain sampling (no reward model), as the server's default strategy names it. */
    String SAMPLE = "sample";

    /** "best-of-n" or "speculative-rejection", as results and the command line name it. */
    String name();

    Result run(Prompt prompt, DecodingSetup setup);
}
