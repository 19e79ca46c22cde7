package io.specrej.app;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvPrecision;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.ThreadsProperty;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code specrej} command line. Each subcommand is one class listed in {@code subcommands}; adding a command
 * (run, compare, analyze, demo, bench, serve) means writing its class and adding it here.
 *
 * <p>Exit codes: 0 success, 2 bad usage or bad input (the user can fix it), 1 internal error (a bug, or out of memory).
 */
@Command(name = "specrej",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Reward-guided Best-of-N decoding (Speculative Rejection) for Hugging Face checkpoints on CPU.",
        subcommands = {
                CommandLine.HelpCommand.class,
                GenerateCommand.class,
                ScoreCommand.class,
                InspectCommand.class,
                RandomModelCommand.class,
                RunCommand.class,
                CompareCommand.class,
                AnalyzeCommand.class,
                ExportAlpacaEvalCommand.class,
                MergeCommand.class,
                ExperimentCommand.class,
                DemoCommand.class,
                BenchCommand.class,
                io.specrej.app.serve.ServeCommand.class,
                io.specrej.app.serve.LoadTestCommand.class,
        })
public final class Main implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_INTERNAL = 1;
    public static final int EXIT_BAD_INPUT = 2;

    @Spec
    CommandSpec spec;

    // INHERIT makes --verbose valid after any subcommand too (specrej generate ... --verbose).
    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On errors, print the stack trace as well as the one-line message.")
    boolean verbose;

    // Applied before the subcommand runs (see run()); INHERIT makes it valid after any subcommand.
    @Option(names = "--matmul", scope = ScopeType.INHERIT, paramLabel = "BACKEND",
            description = "Matrix-multiply backend: auto (default: oneDNN for bf16 weights where it loads and the CPU "
                    + "has bf16 dot-product instructions, else the Vector API), vector (portable Java kernels, F32 "
                    + "activations), onednn, or q8_0 (the Vector API on weights quantized at load to 8-bit blocks: "
                    + "about half of bf16's bytes, faster for few sequences, changes the numbers slightly). Also "
                    + "-Dspecrej.matmul.")
    String matmul;

    // Applied before the subcommand runs, like --matmul; every model the command loads stores its keys and values so.
    @Option(names = "--kv-cache", scope = ScopeType.INHERIT, paramLabel = "PRECISION",
            description = "How the KV cache stores keys and values: f32 (default: exact, as transformers' float32) or "
                    + "bf16 (rounded to bfloat16 as transformers does in bfloat16: half the bytes per token, so twice "
                    + "the sequences fit a memory budget and long contexts read half the bytes; changes the numbers "
                    + "slightly). Also -Dspecrej.kvCache.")
    String kvCache;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing a command (one of: " + String.join(", ", spec.subcommands().keySet()) + ")");
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Passes the last value of a process-wide {@code option} (--matmul, --kv-cache) on the command line to
     * {@code setDefault} before any model is loaded, or null when there is none, which goes back to the option's
     * system property (commands run in-process one after another must not inherit an earlier command's choice).
     */
    private static void applyProcessChoice(CommandLine.ParseResult parseResult, String option,
                                           java.util.function.Consumer<String> setDefault) {
        String choice = null;
        for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
            choice = p.matchedOptionValue(option, choice);
        }
        try {
            setDefault.accept(choice);
        } catch (BadInputException e) {
            throw new CommandLine.ParameterException(parseResult.commandSpec().commandLine(), e.getMessage());
        }
    }

    /** A bad -Dspecrej.threads is reported as one line before any model (and the thread pool) loads. */
    private static void checkThreadsProperty(CommandLine.ParseResult parseResult) {
        try {
            ThreadsProperty.parse();
        } catch (BadInputException e) {
            throw new CommandLine.ParameterException(parseResult.commandSpec().commandLine(), e.getMessage());
        }
    }

    /** Runs the command line in-process and returns the exit code (tests call this; it never calls System.exit). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        ErrorReporter reporter = new ErrorReporter(args);
        try {
            CommandLine cmd = new CommandLine(new Main())
                    .setOut(out)
                    .setErr(err)
                    .setExecutionExceptionHandler(reporter)
                    .setParameterExceptionHandler(reporter);
            cmd.setExecutionStrategy(parseResult -> {
                checkThreadsProperty(parseResult);
                applyProcessChoice(parseResult, "--matmul", MatmulBackends::setDefault);
                applyProcessChoice(parseResult, "--kv-cache", KvPrecision::setDefault);
                return new CommandLine.RunLast().execute(parseResult);
            });
            return cmd.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli lets Errors through; the heap is mostly free again once the command's objects are unreachable.
            return reporter.outOfMemory(e, err);
        } finally {
            out.flush();
            err.flush();
        }
    }
}
