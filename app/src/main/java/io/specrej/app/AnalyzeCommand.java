package io.specrej.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code specrej analyze}: did the partial rewards of a run's rejection decisions predict the final ones? */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Analyze the rejection decisions of a run file (specrej; a bon run has none), grouped by the "
                + "number of tokens generated at the decision (exact lengths when there are at most "
                + DecisionAnalysis.MAX_EXACT_BUCKETS + " distinct ones, else power-of-two ranges).",
                "(a) Spearman rank correlation (ties get average ranks) between the partial reward at the decision "
                        + "and the final reward. Only trajectories that finished enter: a rejected one has no final "
                        + "reward. Averaged per prompt, then over prompts.",
                "(b) Where the eventual winner (best.id) stood: kept by the decision, ranked first, its mean "
                        + "rank position (0 = first, 1 = last), and whether it was within the top round((1 - alpha) * active) by the "
                        + "ranking rebuilt from every trajectory's partial_scores (finished ones at their final "
                        + "reward). With the run's alpha the winner is kept by construction; --alpha asks what "
                        + "another alpha would have done."})
final class AnalyzeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN.jsonl", description = "A file written by specrej run.")
    Path file;

    @Option(names = "--alpha", paramLabel = "A",
            description = "Rejection fraction for the \"in top\" column (default: the run's own --alpha).")
    Double alpha;

    @Option(names = "--json", description = "Print one JSON object instead of the tables.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (alpha != null && !(alpha >= 0 && alpha < 1)) {
            throw new BadInputException("--alpha must be in [0, 1), got " + alpha);
        }
        PrintWriter err = spec.commandLine().getErr();
        RunFile run = RunFile.read(file).requireRecords();
        List<RunRecord> records = new ArrayList<>(run.byPromptIndex(err).values());
        RunRecord first = records.get(0);
        double a = alpha != null ? alpha : first.params().path("alpha").asDouble(0.5);
        DecisionAnalysis.Report report = DecisionAnalysis.of(records, a);
        if (report.inconsistent() > 0) {
            err.println("warning: " + file + ": at " + report.inconsistent() + " decision(s) the ranking rebuilt "
                    + "from the file does not match the recorded one (active_before or the winner's presence)");
        }
        if (json) {
            printJson(report, first);
        } else {
            printTables(report, first);
        }
        err.flush();
        return Main.EXIT_OK;
    }

    private void printTables(DecisionAnalysis.Report report, RunRecord first) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(file + ": " + report.prompts() + " prompt(s), strategy " + first.strategy().cliName + ", "
                + report.promptsWithDecisions() + " with rejection decisions");
        if (report.promptsWithDecisions() == 0) {
            out.println(first.strategy() == StrategyName.BON
                    ? "nothing to analyze: Best-of-N scores only finished responses, so a bon run has no decisions"
                    : "nothing to analyze: no prompt reached a decision (a large --memory-budget and no "
                            + "--decision-every?)");
            out.flush();
            return;
        }
        out.println();
        out.println("(a) Spearman rho, partial vs final reward (trajectories that finished; mean over prompts)");
        TextTable a = new TextTable("tokens", "prompts", "skipped", "mean rho");
        for (DecisionAnalysis.Correlation c : report.correlation()) {
            a.row(c.bucket().label(), c.prompts(), c.skipped(), TextTable.fixed(c.meanRho(), 3));
        }
        a.print(out);
        out.println("skipped: prompts with fewer than two finished trajectories scored at that length, or all tied");
        if (report.correlation().stream().allMatch(c -> c.prompts() == 0)) {
            out.println("no correlation could be measured: rejection left too few trajectories to finish. A run with "
                    + "--strategy specrej --alpha 0 --decision-every K scores every partial response without "
                    + "rejecting any, which measures it for all of them.");
        }
        out.println();
        String top = String.format(Locale.ROOT, "in top %.0f%%", 100 * (1 - report.alpha()));
        out.println("(b) the eventual winner at each decision (position 0 = ranked first, 1 = last; " + top
                + " = within the best round((1 - " + report.alpha() + ") * active) by partial reward)");
        TextTable b = new TextTable("tokens", "decisions", "kept", "ranked 1st", "mean position", top);
        for (DecisionAnalysis.Winner w : report.winner()) {
            b.row(w.bucket().label(), w.decisions(), percent(w.keptRate()), percent(w.topOneRate()),
                    TextTable.fixed(w.meanRankPosition(), 3), percent(w.inTopRate()));
        }
        b.print(out);
    }

    private void printJson(DecisionAnalysis.Report report, RunRecord first) {
        ObjectNode root = Json.object();
        root.put("file", file.toString());
        root.put("strategy", first.strategy().cliName);
        root.put("prompts", report.prompts());
        root.put("prompts_with_decisions", report.promptsWithDecisions());
        root.put("alpha", report.alpha());
        root.put("note", "correlation uses trajectories that finished (rejected ones have no final reward); "
                + "averaged per prompt, then over prompts");
        ArrayNode correlation = root.putArray("correlation");
        for (DecisionAnalysis.Correlation c : report.correlation()) {
            ObjectNode j = bucket(correlation.addObject(), c.bucket());
            j.put("prompts", c.prompts());
            j.put("skipped", c.skipped());
            number(j, "mean_spearman", c.meanRho());
        }
        ArrayNode winner = root.putArray("winner");
        for (DecisionAnalysis.Winner w : report.winner()) {
            ObjectNode j = bucket(winner.addObject(), w.bucket());
            j.put("decisions", w.decisions());
            number(j, "kept_rate", w.keptRate());
            number(j, "ranked_first_rate", w.topOneRate());
            number(j, "mean_rank_position", w.meanRankPosition());
            number(j, "in_top_rate", w.inTopRate());
        }
        root.put("inconsistent_decisions", report.inconsistent());
        spec.commandLine().getOut().println(Json.line(root));
        spec.commandLine().getOut().flush();
    }

    private static ObjectNode bucket(ObjectNode j, DecisionAnalysis.Bucket b) {
        j.put("tokens", b.label());
        j.put("tokens_min", b.minTokens());
        j.put("tokens_max", b.maxTokens());
        return j;
    }

    private static void number(ObjectNode o, String field, double value) {
        if (Double.isFinite(value)) {
            o.put(field, value);
        } else {
            o.putNull(field);
        }
    }

    private static String percent(double rate) {
        return Double.isFinite(rate) ? String.format(Locale.ROOT, "%.1f%%", 100 * rate) : "n/a";
    }
}
