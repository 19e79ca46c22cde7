package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code specrej compare}: runs against a Best-of-N baseline: improvement score and relative compute. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compare run files against a Best-of-N baseline over the prompts they share (matched by "
                + "prompt_index), as the Speculative Rejection paper does.",
                "Improvement score = 100 * (1 + mean over prompts of (best_run - max_base) / (max_base - min_base)),"
                        + " max/min over the baseline's final trajectory rewards for the prompt; prompts where "
                        + "they are all equal are skipped. The baseline scores 100.",
                "Relative compute = run total / baseline total over the same prompts: wall time, generated tokens,"
                        + " reward-model tokens.",
                "Runs must share the baseline's prompts, generator, reward model, reward label, max new tokens and "
                        + "sampling settings (rewards of different reward models are on different scales); "
                        + "--allow-mismatch compares anyway and names what differs."})
final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--baseline", required = true, paramLabel = "BON.jsonl",
            description = "The Best-of-N run every run is measured against.")
    Path baseline;

    @Option(names = "--runs", required = true, arity = "1..*", paramLabel = "RUN.jsonl",
            description = "One or more run files.")
    List<Path> runs;

    @Option(names = "--plot", paramLabel = "FILE.png",
            description = "Also draw improvement score against relative compute (--x; log2 axis), Best-of-N as a "
                    + "line and each other run as a labelled point, as a PNG.")
    Path plot;

    @Option(names = "--x", defaultValue = "tokens", paramLabel = "tokens|wall|reward-tokens",
            description = "The plot's relative compute: generated tokens (default; the same on any machine), wall "
                    + "time, or reward-model tokens.")
    String x;

    @Option(names = "--allow-mismatch",
            description = "Compare runs whose prompts, models, max new tokens or sampling differ from the "
                    + "baseline's (the table names what differs) instead of refusing.")
    boolean allowMismatch;

    /** Params that decide what the rewards mean: runs that differ in one are not comparable. */
    static final List<String> MUST_MATCH = List.of("generator", "reward_model", "reward_label", "max_new_tokens",
            "greedy", "temperature", "top_k", "top_p", "repetition_penalty", "presence_penalty", "frequency_penalty",
            "min_p");

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--force", description = "Overwrite an existing --plot (without it, compare refuses).")
    boolean force;

    /** A compared run, ready to print or plot. */
    /**
     * @param winnerKept fraction of prompts whose baseline winner (same id, same random stream) survived in this run;
     *                   NaN when the runs do not share seeds
     * @param differs    the params (or "prompt") in which this run differs from the baseline
     */
    record Row(Path file, String label, StrategyName strategy, Integer n, Double alpha,
               ImprovementScore.Outcome outcome, double winnerKept, List<String> differs) {
        /** The relative compute the plot puts on its x axis. */
        double compute(String axis) {
            return switch (axis) {
                case "wall" -> outcome.wallRatio();
                case "reward-tokens" -> outcome.rewardRatio();
                default -> outcome.generatedRatio();
            };
        }
    }

    @Override
    public Integer call() throws IOException {
        if (!List.of("tokens", "wall", "reward-tokens").contains(x)) {
            throw new BadInputException("--x must be tokens, wall or reward-tokens, got " + x);
        }
        if (plot != null && !plot.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new BadInputException("--plot " + plot + ": the plot is a PNG; name the file *.png");
        }
        if (plot != null && !force && java.nio.file.Files.exists(plot)) {
            throw new BadInputException("--plot " + plot + ": already exists; pass --force to overwrite it");
        }
        PrintWriter err = spec.commandLine().getErr();
        RunFile baseFile = RunFile.read(baseline).requireRecords();
        Map<Integer, RunRecord> base = baseFile.byPromptIndex(err);
        RunRecord first = base.values().iterator().next();
        if (first.strategy() != StrategyName.BON) {
            err.println("warning: --baseline " + baseline + " is a " + first.strategy().cliName + " run, not "
                    + "Best-of-N; its finished trajectories define max_base and min_base");
        }
        List<Row> rows = new ArrayList<>();
        rows.add(row(baseFile, base, base, new ArrayList<>(base.keySet()), " (baseline)", List.of()));
        for (Path p : runs) {
            RunFile runFile = RunFile.read(p).requireRecords();
            Map<Integer, RunRecord> run = runFile.byPromptIndex(err);
            List<Integer> shared = common(base, run, p, err);
            List<String> differs = differences(base, run, shared);
            if (!differs.isEmpty() && !allowMismatch) {
                String field = differs.get(0);
                throw new BadInputException(p + " differs from --baseline " + baseline + " in " + field
                        + (field.equals("prompt") ? " texts" : " (" + describe(base, field) + " vs "
                        + describe(run, field) + ")") + (differs.size() > 1 ? " and in " + String.join(", ",
                        differs.subList(1, differs.size())) : "") + ": its rewards or costs are not comparable;"
                        + " pass --allow-mismatch to compare anyway");
            }
            rows.add(row(runFile, base, run, shared, "", differs));
        }
        if (json) {
            printJson(rows);
        } else {
            printTable(rows);
        }
        if (plot != null) {
            ComparePlot.save(rows, plot, x);
            if (!json) {
                spec.commandLine().getOut().println("plot: " + plot);
            }
        }
        spec.commandLine().getOut().flush();
        err.flush();
        return Main.EXIT_OK;
    }

    /** The must-match params (and prompt texts) in which {@code run} differs from the baseline. */
    static List<String> differences(Map<Integer, RunRecord> base, Map<Integer, RunRecord> run, List<Integer> common) {
        List<String> out = new ArrayList<>();
        JsonNode b = base.values().iterator().next().params();
        JsonNode r = run.values().iterator().next().params();
        for (String field : MUST_MATCH) {
            if (b.has(field) && r.has(field) && !b.get(field).equals(r.get(field))) {
                out.add(field);
            }
        }
        for (int i : common) {
            if (!base.get(i).prompt().equals(run.get(i).prompt())) {
                out.add("prompt");
                break;
            }
        }
        return out;
    }

    private static String describe(Map<Integer, RunRecord> records, String field) {
        return records.values().iterator().next().params().get(field).toString();
    }

    /** Fraction of shared prompts whose baseline winner is a surviving trajectory of the run, when seeds agree. */
    static double winnerKept(Map<Integer, RunRecord> base, Map<Integer, RunRecord> run, List<Integer> common) {
        JsonNode bs = base.values().iterator().next().params().get("seed");
        JsonNode rs = run.values().iterator().next().params().get("seed");
        if (bs == null || !bs.equals(rs) || common.isEmpty()) {
            return Double.NaN;
        }
        int kept = 0;
        for (int i : common) {
            int winner = base.get(i).bestId();
            for (RunRecord.Trajectory t : run.get(i).trajectories()) {
                if (t.id() == winner && t.rejectedAt() == null) {
                    kept++;
                    break;
                }
            }
        }
        return (double) kept / common.size();
    }

    private static Row row(RunFile file, Map<Integer, RunRecord> base, Map<Integer, RunRecord> run,
                           List<Integer> common, String suffix, List<String> differs) {
        RunRecord first = run.values().iterator().next();
        StrategyName strategy = first.strategy();
        Integer n = first.params().path("n").isIntegralNumber() ? first.params().get("n").asInt() : null;
        // Without --n, Speculative Rejection sized each prompt's initial batch from the budget: show the mean.
        Integer shownN = n != null ? n : Integer.valueOf((int) Math.round(
                run.values().stream().mapToInt(RunRecord::initialBatch).average().orElse(0)));
        Double alpha = strategy == StrategyName.SPECREJ && first.params().path("alpha").isNumber()
                ? first.params().get("alpha").asDouble() : null;
        String name = file.file.getFileName().toString();
        String label = name + suffix + " [" + strategy.cliName + (n != null ? " N=" : " mean N0=") + shownN
                + (alpha == null ? "" : " alpha=" + alpha) + "]";
        return new Row(file.file, label, strategy, shownN, alpha, ImprovementScore.of(base, run, common),
                winnerKept(base, run, common), differs);
    }

    /** Indices in both files; warns when either holds prompts the other lacks, or their texts differ. */
    private List<Integer> common(Map<Integer, RunRecord> base, Map<Integer, RunRecord> run, Path file,
                                 PrintWriter err) {
        List<Integer> both = new ArrayList<>();
        int textDiffers = 0;
        for (int i : run.keySet()) {
            if (base.containsKey(i)) {
                both.add(i);
                if (!base.get(i).prompt().equals(run.get(i).prompt())) {
                    textDiffers++;
                }
            }
        }
        if (both.isEmpty()) {
            throw new BadInputException(file + " shares no prompt_index with --baseline " + baseline
                    + ": nothing to compare");
        }
        int onlyRun = run.size() - both.size();
        int onlyBase = base.size() - both.size();
        if (onlyRun > 0 || onlyBase > 0) {
            err.println("warning: " + file + ": " + onlyRun + " prompt(s) not in the baseline, " + onlyBase
                    + " baseline prompt(s) missing; comparing over the " + both.size() + " in both");
        }
        if (textDiffers > 0) {
            err.println("warning: " + file + ": " + textDiffers + " prompt(s) have the same prompt_index as in the "
                    + "baseline but different text (made from different prompt files?)");
        }
        return both;
    }

    private void printTable(List<Row> rows) {
        PrintWriter out = spec.commandLine().getOut();
        boolean anyDiffers = rows.stream().anyMatch(r -> !r.differs().isEmpty());
        List<String> header = new ArrayList<>(List.of("run", "prompts", "skipped", "improvement", "95% CI",
                "wall x", "gen tokens x", "RM tokens x", "BoN winner kept"));
        if (anyDiffers) {
            header.add("differs in");
        }
        TextTable table = new TextTable(header.toArray(String[]::new));
        for (Row r : rows) {
            ImprovementScore.Outcome o = r.outcome();
            List<Object> cells = new ArrayList<>(List.of(r.label(), o.prompts(), o.skipped(),
                    TextTable.fixed(o.score(), 1), Double.isNaN(o.low()) ? "-"
                            : TextTable.fixed(o.low(), 1) + ".." + TextTable.fixed(o.high(), 1),
                    TextTable.fixed(o.wallRatio(), 3), TextTable.fixed(o.generatedRatio(), 3),
                    TextTable.fixed(o.rewardRatio(), 3),
                    Double.isNaN(r.winnerKept()) ? "-" : TextTable.fixed(100 * r.winnerKept(), 0) + "%"));
            if (anyDiffers) {
                cells.add(r.differs().isEmpty() ? "-" : String.join(", ", r.differs()));
            }
            table.row(cells.toArray());
        }
        table.print(out);
        out.println();
        out.println("improvement = 100 * (1 + mean of (best_run - max_base) / (max_base - min_base)) over the shared "
                + "prompts; skipped = prompts whose baseline rewards are all equal.");
        out.println("x columns = run total / baseline total over the shared prompts (wall seconds, generated "
                + "tokens, reward-model tokens).");
        out.println("95% CI = bootstrap percentile interval over the prompts (" + ImprovementScore.RESAMPLES
                + " resamples); BoN winner kept = prompts whose baseline winner (same seed, same id) survived.");
    }

    private void printJson(List<Row> rows) {
        ObjectNode root = Json.object();
        root.put("baseline", baseline.toString());
        ArrayNode list = root.putArray("runs");
        for (Row r : rows) {
            ImprovementScore.Outcome o = r.outcome();
            ObjectNode j = list.addObject();
            j.put("file", r.file().toString());
            j.put("label", r.label());
            j.put("strategy", r.strategy().cliName);
            j.put("n", r.n());
            if (r.alpha() == null) {
                j.putNull("alpha");
            } else {
                j.put("alpha", r.alpha());
            }
            j.put("prompts", o.prompts());
            j.put("skipped", o.skipped());
            number(j, "improvement_score", o.score());
            number(j, "improvement_ci_low", o.low());
            number(j, "improvement_ci_high", o.high());
            number(j, "bon_winner_kept", r.winnerKept());
            ArrayNode differs = j.putArray("differs");
            r.differs().forEach(differs::add);
            number(j, "relative_wall_time", o.wallRatio());
            number(j, "generated_token_ratio", o.generatedRatio());
            number(j, "reward_token_ratio", o.rewardRatio());
        }
        if (plot != null) {
            root.put("plot", plot.toString());
        }
        spec.commandLine().getOut().println(Json.line(root));
    }

    private static void number(ObjectNode o, String field, double value) {
        if (Double.isFinite(value)) {
            o.put(field, value);
        } else {
            o.putNull(field);
        }
    }
}
