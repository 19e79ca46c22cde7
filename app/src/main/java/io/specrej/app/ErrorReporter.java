package io.specrej.app;

import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into exit code 2 (the user can fix it) or 1 (a bug), printed as one line
 * {@code error: <message>} on stderr; with --verbose the stack trace comes first.
 *
 * <p>File-system exceptions count as the user's: every path the CLI opens was named by the user (a model directory,
 * a config, an output directory), so "no such file", "permission denied" or a full disk are theirs to fix.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {
    private final String[] args;

    ErrorReporter(String[] args) {
        this.args = args.clone();
    }

    @Override
    public int handleParseException(ParameterException ex, String[] ignored) {
        PrintWriter err = ex.getCommandLine().getErr();
        // picocli starts some messages with "Error: "; ours already start with "error: ".
        StringBuilder message = new StringBuilder(oneLine(ex.getMessage()).replaceFirst("^Error: ", ""));
        if (ex instanceof UnmatchedArgumentException unmatched) {
            List<String> suggestions = unmatched.getSuggestions();
            if (!suggestions.isEmpty()) {
                message.append(" (did you mean ").append(String.join(" or ", suggestions)).append("?)");
            }
        }
        message.append("; see ").append(ex.getCommandLine().getCommandSpec().qualifiedName()).append(" --help");
        // The parse failed, so the parse result may not know about --verbose; look at the raw arguments.
        report(err, ex, message.toString(), verboseInArgs());
        return Main.EXIT_BAD_INPUT;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        boolean verbose = verbose(parseResult);
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                return outOfMemory(oom, err);
            }
            String userMessage = userMessage(t);
            if (userMessage != null) {
                report(err, ex, userMessage, verbose);
                return Main.EXIT_BAD_INPUT;
            }
        }
        String message = "internal error: " + ex.getClass().getName()
                + (ex.getMessage() == null ? "" : ": " + oneLine(ex.getMessage()))
                + (verbose ? "" : " (rerun with --verbose for the stack trace)");
        report(err, ex, message, verbose);
        return Main.EXIT_INTERNAL;
    }

    /** One line for an exhausted heap; no stack trace even with --verbose: it would only show where it ran out. */
    int outOfMemory(OutOfMemoryError e, PrintWriter err) {
        err.println("error: out of memory (" + oneLine(String.valueOf(e.getMessage())) + "); try a smaller --n, "
                + "--max-new-tokens or memory budget, or give the JVM more heap (SPECREJ_JAVA_OPTS=-Xmx...)");
        err.flush();
        return Main.EXIT_INTERNAL;
    }

    /** The one-line message for a failure the user can fix, or null when it is a bug. */
    static String userMessage(Throwable t) {
        if (t instanceof BadInputException) {
            return oneLine(t.getMessage());
        }
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            return userMessage(u.getCause());
        }
        if (t instanceof NoSuchFileException e) {
            return e.getFile() + ": no such file or directory";
        }
        if (t instanceof AccessDeniedException e) {
            return e.getFile() + ": permission denied";
        }
        if (t instanceof FileAlreadyExistsException e) {
            return e.getFile() + ": already exists";
        }
        if (t instanceof NotDirectoryException e) {
            return e.getFile() + ": not a directory";
        }
        if (t instanceof DirectoryNotEmptyException e) {
            return e.getFile() + ": directory not empty";
        }
        if (t instanceof FileSystemException e) {
            return e.getFile() + ": " + (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason());
        }
        if (t instanceof IOException e) {
            return "I/O error: " + oneLine(String.valueOf(e.getMessage()));
        }
        if (t instanceof InvalidPathException e) {
            return "not a valid path: \"" + printable(e.getInput()) + "\" (" + e.getReason() + ")";
        }
        return null;
    }

    private void report(PrintWriter err, Throwable ex, String message, boolean verbose) {
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.println("error: " + printable(message));
        err.flush();
    }

    private static boolean verbose(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    boolean verboseInArgs() {
        for (String a : args) {
            if (a.equals("--")) {
                return false;
            }
            if (a.equals("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Collapses a message onto one line: the stderr contract is exactly one line per error. Control characters (a NUL
     * from a file name in a hostile index) are escaped: tools reading stderr, the launcher's grep among them, would
     * take the line for binary data.
     */
    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "(no message)";
        }
        return printable(message.strip().replaceAll("\\s*\\R\\s*", "; "));
    }

    /** {@code s} with control characters written as {@code \\uXXXX}. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
