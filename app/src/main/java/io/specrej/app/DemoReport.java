package io.specrej.app;

import io.specrej.decoding.Result;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/** What {@code specrej demo} prints: a table per prompt, the totals and the sentence that reads them. */
final class DemoReport {
    private static final int SHOWN_CHARS = 200;

    /**
     * One prompt's three runs in the same memory budget.
     *
     * @param bestOfFits    Best-of-N with N what fits in one wave of full-length responses
     * @param specRej       Speculative Rejection starting what fits until its first decision
     * @param bestOfStarted Best-of-N with N Speculative Rejection's initial batch (in as many waves as needed)
     */
    record Prompt(String text, Result bestOfFits, Result specRej, Result bestOfStarted) {
        int fits() {
            return bestOfFits.stats().initialBatch();
        }

        int started() {
            return specRej.stats().initialBatch();
        }
    }

    private final PrintWriter out;
    private final int promptCount;

    DemoReport(PrintWriter out, int promptCount) {
        this.out = out;
        this.promptCount = promptCount;
    }

    void prompt(int index, Prompt p) {
        out.println("[" + (index + 1) + "/" + promptCount + "] " + p.text());
        out.println("  Best-of-N fits N = " + p.fits() + " in one wave; Speculative Rejection starts "
                + p.started() + "; Best-of-" + p.started() + " needs "
                + waves(p.started(), p.bestOfStarted().stats().initialBatch()) + " wave(s)");
        TextTable t = new TextTable("", "Best-of-" + p.fits(), "SpecRej", "Best-of-" + p.started());
        List<Result> runs = List.of(p.bestOfFits(), p.specRej(), p.bestOfStarted());
        t.row(cells("best score", runs, r -> TextTable.fixed(r.best().score(), 4)));
        t.row(cells("wall time", runs, r -> TextTable.fixed(r.stats().wallSeconds(), 2) + " s"));
        t.row(cells("generated tokens", runs, r -> r.stats().generatedTokens()));
        t.row(cells("RM tokens", runs, r -> r.stats().rewardTokens()));
        t.row(cells("peak KV", runs, r -> Units.bytes(r.stats().peakKvBytes())));
        t.print(out);
        out.println("  SpecRej decisions (tokens: ranked -> kept): " + decisions(p.specRej().stats()));
        out.println("  Best-of-" + p.fits() + " best: " + shown(p.bestOfFits().best().text()));
        out.println("  SpecRej best:    " + shown(p.specRej().best().text()));
        out.println();
        out.flush();
    }

    void total(List<Prompt> prompts) {
        String fits = range(prompts, Prompt::fits);
        String started = range(prompts, Prompt::started);
        DemoVerdict.Side bestOfFits = side(prompts, Prompt::bestOfFits);
        DemoVerdict.Side specRej = side(prompts, Prompt::specRej);
        DemoVerdict.Side bestOfStarted = side(prompts, Prompt::bestOfStarted);
        out.println("Total over " + prompts.size() + " prompt(s), N = " + fits + ", N0 = " + started
                + " (best score: mean)");
        TextTable t = new TextTable("", "Best-of-N", "SpecRej", "Best-of-N0");
        List<DemoVerdict.Side> sides = List.of(bestOfFits, specRej, bestOfStarted);
        t.row(cells("best score", sides, s -> TextTable.fixed(s.meanBestScore(), 4)));
        t.row(cells("wall time", sides, s -> TextTable.fixed(s.wallSeconds(), 2) + " s"));
        t.row(cells("generated tokens", sides, DemoVerdict.Side::generatedTokens));
        t.row(cells("RM tokens", sides, DemoVerdict.Side::rewardTokens));
        t.print(out);
        out.println(DemoVerdict.sentence(fits, started, bestOfFits, specRej, bestOfStarted));
        out.flush();
    }

    private static <T> Object[] cells(String name, List<T> columns, Function<T, Object> cell) {
        Object[] row = new Object[columns.size() + 1];
        row[0] = name;
        for (int i = 0; i < columns.size(); i++) {
            row[i + 1] = cell.apply(columns.get(i));
        }
        return row;
    }

    private static DemoVerdict.Side side(List<Prompt> prompts, Function<Prompt, Result> run) {
        return new DemoVerdict.Side(
                prompts.stream().mapToDouble(p -> run.apply(p).best().score()).average().orElse(Double.NaN),
                prompts.stream().mapToDouble(p -> run.apply(p).stats().wallSeconds()).sum(),
                sum(prompts, p -> run.apply(p).stats().generatedTokens()),
                sum(prompts, p -> run.apply(p).stats().rewardTokens()));
    }

    private static long sum(List<Prompt> prompts, ToLongFunction<Prompt> value) {
        return prompts.stream().mapToLong(value).sum();
    }

    /** "8", or "8-9" when the prompts' lengths make the budget hold different counts. */
    private static String range(List<Prompt> prompts, ToIntFunction<Prompt> count) {
        int min = prompts.stream().mapToInt(count).min().orElse(0);
        int max = prompts.stream().mapToInt(count).max().orElse(0);
        return min == max ? Integer.toString(min) : min + "-" + max;
    }

    private static long waves(int candidates, int wave) {
        return (candidates + wave - 1) / Math.max(1, wave);
    }

    private static String decisions(Result.Stats s) {
        if (s.decisions().isEmpty()) {
            return "none";
        }
        return s.decisions().stream()
                .map(d -> d.tokensSoFar() + ": " + d.activeBefore() + " -> " + d.kept())
                .collect(Collectors.joining(", "));
    }

    private static String shown(String text) {
        String flat = text.strip().replaceAll("\\s+", " ");
        return "\"" + (flat.length() > SHOWN_CHARS ? flat.substring(0, SHOWN_CHARS) + "..." : flat) + "\"";
    }
}
