package io.specrej.app;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a run on stderr: on a terminal a bar redrawn in place (prompts done/total, tokens/s, ETA); otherwise
 * (a log file, a pipe, a test) one plain line per prompt.
 */
final class Progress {
    enum Mode { AUTO, BAR, LINES, NONE }

    private static final int BAR_WIDTH = 30;
    private final PrintWriter err;
    private final Mode mode;
    private final int total;
    private final long started = System.nanoTime();
    private int done;
    private long tokens;
    private boolean barDrawn;

    Progress(PrintWriter err, Mode requested, int total) {
        this.err = err;
        this.total = total;
        this.mode = requested == Mode.AUTO ? (stderrIsTerminal() ? Mode.BAR : Mode.LINES) : requested;
    }

    /**
     * Java cannot ask about stderr alone; a console that is a terminal means the user is watching this process
     * (redirect stderr to a file and the bar still goes there, which is why --progress lines exists).
     */
    private static boolean stderrIsTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    void start() {
        if (mode == Mode.BAR) {
            draw();
        }
    }

    void promptDone(int promptIndex, double bestScore, int candidates, long generatedTokens, double seconds) {
        done++;
        tokens += generatedTokens;
        switch (mode) {
            case BAR -> draw();
            case LINES -> err.printf(Locale.ROOT, "prompt %d (%d/%d): best %.4f of %d, %d tokens, %.2f s%n",
                    promptIndex, done, total, bestScore, candidates, generatedTokens, seconds);
            default -> {
            }
        }
        err.flush();
    }

    /** Ends the bar's line, so later messages start on a fresh one. */
    void finish() {
        if (barDrawn) {
            err.println();
            err.flush();
            barDrawn = false;
        }
    }

    private void draw() {
        double elapsed = (System.nanoTime() - started) / 1e9;
        int filled = total == 0 ? BAR_WIDTH : (int) ((long) BAR_WIDTH * done / total);
        String eta = done == 0 ? "--:--" : clock(elapsed / done * (total - done));
        err.printf(Locale.ROOT, "\r[%s%s] %d/%d prompts  %.1f tokens/s  ETA %s ", "#".repeat(filled),
                ".".repeat(BAR_WIDTH - filled), done, total, tokens / Math.max(elapsed, 1e-9), eta);
        err.flush();
        barDrawn = true;
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
