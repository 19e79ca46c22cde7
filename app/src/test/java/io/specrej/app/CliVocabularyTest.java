package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One vocabulary across commands: the same flag means the same thing wherever it is offered, and only there. */
class CliVocabularyTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"compare", "analyze", "export-alpaca-eval", "merge"})
    void engineOptionsAreNotOfferedWhereTheyDoNothing(String command) {
        Cli.Result help = Cli.run(command, "--help");
        assertEquals(0, help.code(), help::toString);
        assertFalse(help.out().contains("--matmul") || help.out().contains("--kv-cache"), help::toString);
        var spec = new picocli.CommandLine(new Main()).getSubcommands().get(command).getCommandSpec();
        assertEquals(null, spec.findOption("--matmul"), "not even hidden");
        assertEquals(null, spec.findOption("--kv-cache"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "score", "run", "demo", "bench", "experiment"})
    void everyComputingCommandOffersThreadsAndEngineOptions(String command) {
        String help = Cli.run(command, "--help").out();
        for (String option : new String[] {"--threads", "--matmul", "--kv-cache", "--max-new-tokens"}) {
            if (option.equals("--max-new-tokens") && (command.equals("score") || command.equals("experiment"))) {
                continue; // score generates nothing; an experiment's spec names its max_new_tokens
            }
            assertTrue(help.contains(option), command + " lacks " + option);
        }
    }

    @Test
    void threadsAppliesForTheCommandAndIsRestoredAfterIt() {
        int before = Parallel.threads();
        Path model = TestData.fixture("llama");
        Cli.Result one = Cli.run("generate", "--model", model, "--ids", "72,360,111", "--max-new-tokens", 6,
                "--seed", 3, "--n", 3, "--json", "--threads", 1);
        Cli.Result many = Cli.run("generate", "--model", model, "--ids", "72,360,111", "--max-new-tokens", 6,
                "--seed", 3, "--n", 3, "--json", "--threads", 2);
        assertEquals(0, one.code(), one::toString);
        assertEquals(one.out(), many.out(), "results never depend on the thread count");
        assertEquals(before, Parallel.threads());
        Cli.Result zero = Cli.run("generate", "--model", model, "--ids", "1", "--threads", 0);
        assertEquals(2, zero.code(), zero::toString);
        assertTrue(zero.err().contains("--threads must be at least 1, got 0"), zero::toString);
    }

    @Test
    void oldNamesStayAsHiddenAliases() {
        String runHelp = Cli.run("run", "--help").out();
        assertTrue(runHelp.contains("--model") && !runHelp.contains("--generator"), runHelp);
        String demoHelp = Cli.run("demo", "--help").out();
        assertTrue(demoHelp.contains("--prompt-count") && !demoHelp.contains("--prompts"), demoHelp);
        assertTrue(Cli.run("demo", "--prompt-count", 9).err().contains("--prompt-count must be 1 to 5, got 9"));
        assertTrue(Cli.run("demo", "--prompts", 9).err().contains("--prompt-count must be 1 to 5, got 9"));
        String benchHelp = Cli.run("bench", "--help").out();
        assertFalse(benchHelp.contains("--new-tokens "), benchHelp);
        Cli.Result bench = Cli.run("bench", "--model", TestData.fixture("llama"), "--new-tokens", 0);
        assertTrue(bench.err().contains("--prompt-len, --max-new-tokens and --runs must be at least 1"),
                bench::toString);
    }

    @Test
    void inspectTakesModelLikeEveryOtherCommand() {
        Path model = TestData.fixture("llama");
        Cli.Result byOption = Cli.run("inspect", "--model", model, "--json");
        assertEquals(0, byOption.code(), byOption::toString);
        assertEquals(Cli.run("inspect", model, "--json").out(), byOption.out());
        Cli.Result both = Cli.run("inspect", model, "--model", model);
        assertEquals(2, both.code(), both::toString);
        assertTrue(both.err().contains("give --model DIR or DIR, not both"), both::toString);
    }

    @Test
    void comparePlotRefusesToOverwriteWithoutForce() throws Exception {
        Path png = Files.writeString(temp.resolve("plot.png"), "not a plot yet");
        Path bon = TestData.root().resolve("testdata/runs-reference/bon.jsonl");
        Cli.Result refused = Cli.run("compare", "--baseline", bon, "--runs", bon, "--plot", png);
        assertEquals(2, refused.code(), refused::toString);
        assertEquals("error: --plot " + png + ": already exists; pass --force to overwrite it", refused.err().strip());
        assertEquals("not a plot yet", Files.readString(png));
    }

    @Test
    void exportRefusesToOverwriteWithoutForce() throws Exception {
        Path run = TestData.root().resolve("testdata/runs-reference/bon.jsonl");
        Path out = temp.resolve("eval.json");
        Files.writeString(out, "keep me");
        Cli.Result refused = Cli.run("export-alpaca-eval", run, "--out", out);
        assertEquals(2, refused.code(), refused::toString);
        assertEquals("error: --out " + out + ": already exists; pass --force to overwrite it", refused.err().strip());
        assertEquals("keep me", Files.readString(out));
        Cli.Result forced = Cli.run("export-alpaca-eval", run, "--out", out, "--force");
        assertEquals(0, forced.code(), forced::toString);
        assertTrue(Files.readString(out).startsWith("["));
    }
}
