package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every mistake a user can make ends with exit 2 and one line on stderr that names what was wrong. */
class ErrorHandlingTest {
    private static final Path LLAMA = TestData.fixture("llama");

    @TempDir
    Path temp;

    static void assertOneLineError(Cli.Result r, String mentions) {
        assertEquals(2, r.code(), r::toString);
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), () -> "expected exactly one stderr line:\n" + r);
        assertTrue(lines.get(0).startsWith("error: "), r::toString);
        assertTrue(lines.get(0).contains(mentions), () -> "expected \"" + mentions + "\" in: " + lines.get(0));
        assertEquals("", r.out(), r::toString);
    }

    static Cli.Result generate(Object... extra) {
        Object[] args = new Object[extra.length + 3];
        args[0] = "generate";
        args[1] = "--model";
        args[2] = LLAMA;
        System.arraycopy(extra, 0, args, 3, extra.length);
        return Cli.run(args);
    }

    @Test
    void unknownMatmulBackendIsABadParameter() {
        assertOneLineError(generate("--ids", "1", "--max-new-tokens", "2", "--matmul", "blas"),
                "unknown matmul backend 'blas' (expected auto, vector, onednn or q8_0)");
        assertOneLineError(Cli.run("--matmul", "cuda", "inspect", LLAMA), "unknown matmul backend 'cuda'");
    }

    @Test
    void missingModelDirectory() {
        Path missing = temp.resolve("no-such-model");
        assertOneLineError(Cli.run("generate", "--model", missing, "--ids", "1"), missing.toString());
        assertOneLineError(Cli.run("inspect", missing), missing.toString());
    }

    @Test
    void garbledConfigJson() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"llama\", ");
        assertOneLineError(Cli.run("inspect", model), model.resolve("config.json").toString());
    }

    @Test
    void unknownModelTypeListsSupportedOnes() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        String config = Files.readString(model.resolve("config.json")).replace("\"llama\"", "\"bert\"");
        Files.writeString(model.resolve("config.json"), config);
        assertOneLineError(Cli.run("generate", "--model", model, "--ids", "1"), "llama, mistral, qwen2, qwen3, gpt2");
    }

    @Test
    void truncatedSafetensors() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Path weights = model.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertOneLineError(Cli.run("generate", "--model", model, "--ids", "1"), "model.safetensors");
    }

    @Test
    void emptyPromptOrIds() {
        assertOneLineError(generate("--prompt", ""), "--prompt");
        assertOneLineError(generate("--ids", ""), "--ids");
        assertOneLineError(generate("--ids", "1,x"), "--ids");
        assertOneLineError(generate("--ids", "1,448"), "--ids");
    }

    @Test
    void invalidSamplingParameters() {
        assertOneLineError(generate("--ids", "1", "--temperature", 0), "--temperature");
        assertOneLineError(generate("--ids", "1", "--temperature", -1), "--temperature");
        assertOneLineError(generate("--ids", "1", "--top-p", 1.5), "--top-p");
        assertOneLineError(generate("--ids", "1", "--top-k", -1), "--top-k");
        assertOneLineError(generate("--ids", "1", "--n", 0), "--n");
        assertOneLineError(generate("--ids", "1", "--max-new-tokens", 0), "--max-new-tokens");
        assertOneLineError(generate("--ids", "1", "--n", "abc"), "--n");
    }

    @Test
    void promptLongerThanContext() {
        String ids = "5,".repeat(256) + "5"; // the fixture's context is 256 tokens
        assertOneLineError(generate("--ids", ids), "--ids");
        assertOneLineError(generate("--prompt", "x ".repeat(300)), "--prompt");
        assertOneLineError(Cli.run("score", "--reward-model", TestData.fixture("llama-rm"), "--ids", ids), "--ids");
    }

    @Test
    void chatWithoutTemplate() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        assertOneLineError(Cli.run("generate", "--model", model, "--prompt", "hi", "--chat"), "chat template");
        assertOneLineError(generate("--ids", "1", "--chat"), "--chat");
    }

    @Test
    void promptWithoutTokenizerSuggestsIds() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Files.delete(model.resolve("tokenizer.json"));
        assertOneLineError(Cli.run("generate", "--model", model, "--prompt", "hi"), "--ids");
    }

    @Test
    void rewardModelCannotGenerate() {
        assertOneLineError(Cli.run("generate", "--model", TestData.fixture("llama-rm"), "--ids", "1"), "causal LM");
    }

    @Test
    void usageErrors() {
        assertOneLineError(generate("--ids", "1", "--no-such-option"), "--no-such-option");
        assertOneLineError(generate(), "--prompt");
        assertOneLineError(generate("--ids", "1", "--prompt", "hi"), "mutually exclusive");
        assertOneLineError(Cli.run("no-such-command"), "no-such-command");
        assertOneLineError(Cli.run(), "missing a command");
    }

    @Test
    void verbosePrintsTheStackTraceButPlainRunsPrintOneLine() {
        Path missing = temp.resolve("no-such-model");
        Cli.Result plain = Cli.run("generate", "--model", missing, "--ids", "1");
        assertOneLineError(plain, missing.toString());
        for (Cli.Result verbose : List.of(Cli.run("--verbose", "generate", "--model", missing, "--ids", "1"),
                Cli.run("generate", "--model", missing, "--ids", "1", "--verbose"))) {
            assertEquals(2, verbose.code(), verbose::toString);
            assertTrue(verbose.err().contains(BadInputException.class.getName()), verbose::toString);
            assertTrue(verbose.err().contains("\tat io.specrej."), verbose::toString);
            List<String> lines = verbose.errLines();
            assertEquals(plain.errLines().get(0), lines.get(lines.size() - 1));
        }
        Cli.Result usage = Cli.run("--verbose", "generate", "--bogus");
        assertEquals(2, usage.code());
        assertTrue(usage.errLines().size() > 1, "parse errors get a stack trace too with --verbose");
    }

    @Test
    void helpAndVersionExitZero() {
        Cli.Result help = Cli.run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("generate") && help.out().contains("random-model"), help::toString);
        for (String command : List.of("generate", "score", "inspect", "random-model")) {
            Cli.Result r = Cli.run(command, "--help");
            assertEquals(0, r.code(), r::toString);
            assertTrue(r.out().startsWith("Usage: specrej " + command), r::toString);
        }
        Cli.Result version = Cli.run("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("specrej "), version::toString);
    }

    @Test
    void internalErrorsExitOneAndFileErrorsExitTwo() {
        StringWriter err = new StringWriter();
        ErrorReporter reporter = new ErrorReporter(new String[0]);
        CommandLine cmd = new CommandLine(new Main()).setErr(new PrintWriter(err));
        assertEquals(1, reporter.handleExecutionException(new IllegalStateException("bug\nsecond line"), cmd, null));
        assertEquals(1, err.toString().lines().count(), err::toString);
        assertTrue(err.toString().startsWith("error: internal error: java.lang.IllegalStateException: bug; second"));

        assertEquals(2, reporter.handleExecutionException(
                new UncheckedIOException(new NoSuchFileException("/data/prompts.jsonl")), cmd, null));
        assertTrue(err.toString().contains("error: /data/prompts.jsonl: no such file or directory"), err::toString);

        StringWriter oomErr = new StringWriter();
        CommandLine oomCmd = new CommandLine(new Main()).setErr(new PrintWriter(oomErr));
        assertEquals(1, reporter.handleExecutionException(
                new RuntimeException(new OutOfMemoryError("Java heap space")), oomCmd, null));
        assertEquals(1, oomErr.toString().lines().count(), oomErr::toString);
        assertTrue(oomErr.toString().contains("--n"), oomErr::toString);
    }
}
