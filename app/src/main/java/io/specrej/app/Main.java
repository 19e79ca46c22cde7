package io.specrej.app;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvPrecision;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.Parallel;
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

    // Before the command (specrej --matmul q8_0 bench ...), as every command line wrote them when they were offered
    // on all commands; hidden and not inherited: the commands that load models offer them themselves (EngineOptions).
    @Option(names = "--matmul", hidden = true, paramLabel = "BACKEND")
    String matmul;

    @Option(names = "--kv-cache", hidden = true, paramLabel = "PRECISION")
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
     * Passes the last value of a process-wide {@code option} (--matmul, --kv-cache of {@link EngineOptions}) on the command line to
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

    /** The --threads of the command line, checked, or null when none was given. */
    private static Integer threadsChoice(CommandLine.ParseResult parseResult) {
        Integer threads = null;
        for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
            threads = p.matchedOptionValue(ThreadsOption.NAME, threads);
        }
        if (threads != null && threads < 1) {
            throw new CommandLine.ParameterException(parseResult.commandSpec().commandLine(),
                    "--threads must be at least 1, got " + threads);
        }
        return threads;
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
                Integer threads = threadsChoice(parseResult);
                if (threads == null) {
                    return new CommandLine.RunLast().execute(parseResult);
                }
                int previous = Parallel.threads();
                Parallel.setThreads(threads);
                try {
                    return new CommandLine.RunLast().execute(parseResult);
                } finally {
                    Parallel.setThreads(previous); // in-process callers (tests, experiment) keep their own setting
                }
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
