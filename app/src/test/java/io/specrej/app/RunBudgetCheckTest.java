package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every prompt is planned against the budget before anything runs: a prompt the budget cannot hold stops the run
 * up front with nothing written (or is skipped with --skip-too-long), and an --n that the budget cannot start is a
 * one-line error, not gigabytes of allocation.
 */
class RunBudgetCheckTest {
    @TempDir
    Path dir;

    private Path prompts() throws Exception {
        // A short prompt, then one long enough that a small budget holds the first but not it.
        return Files.writeString(dir.resolve("p.jsonl"), "{\"prompt\": \"Hi\"}\n{\"prompt\": \"Hello there\"}\n"
                + "{\"prompt\": \"" + "Tell me about the history of the Roman empire in detail. ".repeat(12)
                + "\"}\n");
    }

    @Test
    void aPromptTheBudgetCannotHoldStopsTheRunBeforeAnythingRuns() throws Exception {
        Path out = dir.resolve("out.jsonl");
        Cli.Result r = Cli.run("run", "--prompts", prompts(), "--strategy", "specrej", "--memory-budget", "1MiB",
                "--max-new-tokens", "16", "--out", out, "--progress", "none");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("1 prompt(s) cannot run in the budget: 2 ("), r.err());
        assertTrue(r.err().contains("--memory-budget"), r.err());
        assertFalse(Files.exists(out) && Files.size(out) > 0, "nothing written");
        Cli.Result skipped = Cli.run("run", "--prompts", prompts(), "--strategy", "specrej", "--memory-budget",
                "1MiB", "--max-new-tokens", "16", "--out", out, "--progress", "none", "--skip-too-long");
        assertEquals(0, skipped.code(), skipped.toString());
        assertEquals(2, Files.readAllLines(out).size());
        assertTrue(skipped.err().contains("skipping: 1 prompt(s) cannot run in the budget"), skipped.err());
    }

    @Test
    void aHugeNIsRefusedBeforeAnythingIsAllocated() throws Exception {
        Path out = dir.resolve("out.jsonl");
        Cli.Result spr = Cli.run("run", "--prompts", prompts(), "--limit", "1", "--strategy", "specrej", "--n",
                "1000000000", "--max-new-tokens", "8", "--out", out, "--progress", "none");
        assertEquals(2, spr.code(), spr.toString());
        assertTrue(spr.err().contains("--n 1000000000 candidates") && spr.err().contains("of heap"), spr.err());
        Cli.Result bon = Cli.run("run", "--prompts", prompts(), "--limit", "1", "--strategy", "bon", "--n",
                "1000000000", "--max-new-tokens", "8", "--out", out, "--progress", "none");
        assertEquals(2, bon.code(), bon.toString());
        assertTrue(bon.err().contains("of heap"), bon.err());
    }
}
