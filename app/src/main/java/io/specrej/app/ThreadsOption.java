package io.specrej.app;

import picocli.CommandLine.Option;

/**
 * {@code --threads}, on every command that computes. {@link Main} sets the engine's pool size before the command runs
 * and restores it afterwards, so commands run in-process one after another (tests, experiment's arms) do not inherit
 * each other's choice. Results never depend on it (batch and thread invariance); only speed does.
 */
final class ThreadsOption {
    static final String NAME = "--threads";

    @Option(names = NAME, paramLabel = "T", description = "Engine threads (default: all cores, or -Dspecrej.threads).")
    Integer threads;
}
