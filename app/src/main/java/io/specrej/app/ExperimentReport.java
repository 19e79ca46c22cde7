package io.specrej.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An experiment's report: every arm against the baseline Best-of-N (improvement score with its 95 % interval,
 * relative compute as wall time and as generated tokens, reward-model tokens, wall seconds, machines), and for each
 * Speculative Rejection arm the paper's two readings of the Best-of-N curve: how many times its compute Best-of-N
 * needs to reach its score, and Best-of-N's score at its compute — each interpolated on the curve (linearly in
 * log2 compute) and stated only inside the curve's range.
 *
 * <p>Relative compute is the paper's wall time x machines: Best-of-kN at the budget that holds N in one wave needs k
 * waves on one machine, or k machines for the same latency; on one machine its wall time already is that product.
 */
final class ExperimentReport {
    private ExperimentReport() {
    }

    /** An arm's numbers. */
    record Line(ExperimentCommand.Arm arm, CompareCommand.Row row, double generatedTokens, double rewardTokens,
                double wallSeconds, int machines, Double factorWall, Double factorTokens, Double bonScoreAtWall,
                Double bonScoreAtTokens) {
    }

    static void write(ExperimentSpec spec, long budget, List<ExperimentCommand.Arm> arms, Path dir, PrintWriter err)
            throws IOException {
        Path baseFile = dir.resolve("arms").resolve("bon-" + spec.baseline() + ".jsonl");
        Map<Integer, RunRecord> base = RunFile.read(baseFile).requireRecords().byPromptIndex(err);
        List<CompareCommand.Row> rows = new ArrayList<>();
        List<double[]> totals = new ArrayList<>();
        for (ExperimentCommand.Arm arm : arms) {
            Path file = dir.resolve("arms").resolve(arm.file());
            Map<Integer, RunRecord> run = RunFile.read(file).requireRecords().byPromptIndex(err);
            List<Integer> common = new ArrayList<>(run.keySet());
            common.retainAll(base.keySet());
            Integer n = arm.n() != null ? arm.n() : (int) Math.round(run.values().stream()
                    .mapToInt(RunRecord::initialBatch).average().orElse(0));
            rows.add(new CompareCommand.Row(file, arm.label(), arm.bestOfN() ? StrategyName.BON : StrategyName.SPECREJ,
                    n, arm.alpha(), ImprovementScore.of(base, run, common),
                    CompareCommand.winnerKept(base, run, common), List.of()));
            double generated = 0;
            double reward = 0;
            double wall = 0;
            int machines = 1;
            for (RunRecord r : run.values()) {
                generated += r.stat("generated_tokens");
                reward += r.stat("reward_tokens");
                wall += r.wallSeconds();
                if (arm.bestOfN()) {
                    machines = Math.max(machines, (arm.n() + r.initialBatch() - 1) / r.initialBatch());
                }
            }
            totals.add(new double[] {generated, reward, wall, machines});
        }
        List<CompareCommand.Row> curve = rows.stream().filter(r -> r.strategy() == StrategyName.BON).toList();
        List<Line> lines = new ArrayList<>();
        for (int i = 0; i < arms.size(); i++) {
            CompareCommand.Row r = rows.get(i);
            double[] t = totals.get(i);
            boolean bon = arms.get(i).bestOfN();
            lines.add(new Line(arms.get(i), r, t[0], t[1], t[2], (int) t[3],
                    bon ? null : factor(curve, r, "wall"), bon ? null : factor(curve, r, "tokens"),
                    bon ? null : scoreAt(curve, r.compute("wall"), "wall"),
                    bon ? null : scoreAt(curve, r.compute("tokens"), "tokens")));
        }
        Files.writeString(dir.resolve("report.md"), markdown(spec, budget, lines), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("report.json"), Json.line(json(spec, budget, lines)) + "\n",
                StandardCharsets.UTF_8);
        ComparePlot.save(rows, dir.resolve("compare.png"), "wall");
    }

    /** Best-of-N's points in order of compute, as (log2 compute, score). */
    private static List<double[]> points(List<CompareCommand.Row> curve, String axis) {
        List<double[]> p = new ArrayList<>();
        for (CompareCommand.Row r : curve) {
            if (r.compute(axis) > 0 && Double.isFinite(r.outcome().score())) {
                p.add(new double[] {ComparePlot.log2(r.compute(axis)), r.outcome().score()});
            }
        }
        p.sort(Comparator.comparingDouble(a -> a[0]));
        return p;
    }

    /**
     * How many times {@code r}'s compute Best-of-N needs for {@code r}'s score: the first crossing of the curve
     * (linear in log2 compute between neighbouring N); null outside the curve's scores.
     */
    static Double factor(List<CompareCommand.Row> curve, CompareCommand.Row r, String axis) {
        List<double[]> p = points(curve, axis);
        double y = r.outcome().score();
        double x = r.compute(axis);
        if (p.size() < 2 || !Double.isFinite(y) || !(x > 0)) {
            return null;
        }
        for (int i = 0; i + 1 < p.size(); i++) {
            double[] a = p.get(i);
            double[] b = p.get(i + 1);
            if ((y - a[1]) * (y - b[1]) <= 0 && a[1] != b[1]) {
                double at = a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                return Math.pow(2, at) / x;
            }
        }
        return null;
    }

    /** Best-of-N's score at {@code x} (interpolated in log2 compute); null outside the curve's compute. */
    static Double scoreAt(List<CompareCommand.Row> curve, double x, String axis) {
        List<double[]> p = points(curve, axis);
        if (p.size() < 2 || !(x > 0)) {
            return null;
        }
        double lx = ComparePlot.log2(x);
        for (int i = 0; i + 1 < p.size(); i++) {
            double[] a = p.get(i);
            double[] b = p.get(i + 1);
            if (lx >= a[0] && lx <= b[0]) {
                return b[0] == a[0] ? a[1] : a[1] + (lx - a[0]) / (b[0] - a[0]) * (b[1] - a[1]);
            }
        }
        return null;
    }

    private static String markdown(ExperimentSpec s, long budget, List<Line> lines) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(s.name()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Baseline Best-of-%d; memory budget %d bytes (%.1f MiB); max new tokens "
                + "%d; seed %d; %d prompts.%n%n", s.baseline(), budget, budget / 1048576.0, s.maxNewTokens(), s.seed(),
                lines.get(0).row().outcome().prompts()));
        md.append("| arm | N (SpR: mean initial) | improvement | 95% CI | compute (wall x) | compute (tokens x) "
                + "| generated tokens | RM tokens | wall s | machines | BoN compute to match (wall / tokens) "
                + "| BoN score at equal compute (wall / tokens) |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Line l : lines) {
            ImprovementScore.Outcome o = l.row().outcome();
            md.append("| ").append(l.arm().label()).append(" | ").append(l.row().n()).append(" | ")
                    .append(f(o.score(), 1)).append(" | ")
                    .append(Double.isNaN(o.low()) ? "-" : f(o.low(), 1) + "-" + f(o.high(), 1)).append(" | ")
                    .append(f(o.wallRatio(), 3)).append(" | ").append(f(o.generatedRatio(), 3)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f", l.generatedTokens())).append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f", l.rewardTokens())).append(" | ")
                    .append(f(l.wallSeconds(), 1)).append(" | ").append(l.machines()).append(" | ")
                    .append(l.arm().bestOfN() ? "-" : x(l.factorWall()) + " / " + x(l.factorTokens())).append(" | ")
                    .append(l.arm().bestOfN() ? "-" : s(l.bonScoreAtWall()) + " / " + s(l.bonScoreAtTokens()))
                    .append(" |\n");
        }
        md.append("\nImprovement score: 100 x (1 + mean over prompts of (best - max_base) / (max_base - min_base)), "
                + "the baseline's own final rewards giving max and min; the interval is a bootstrap over prompts. "
                + "Compute: the arm's total over the baseline's (wall time x machines, as the paper; on one machine "
                + "Best-of-kN runs k waves, so its wall time already is that product). \"BoN compute to match\": "
                + "how many times this arm's compute Best-of-N needs to reach its score, interpolated on the Best-of-N "
                + "curve in log2 compute (\"-\": outside the curve). \"BoN score at equal compute\": the curve's score "
                + "at this arm's compute.\n");
        return md.toString();
    }

    private static ObjectNode json(ExperimentSpec s, long budget, List<Line> lines) {
        ObjectNode root = Json.object();
        root.put("name", s.name());
        root.put("baseline", s.baseline());
        root.put("memory_budget", budget);
        root.put("max_new_tokens", s.maxNewTokens());
        root.put("seed", s.seed());
        ArrayNode arms = root.putArray("arms");
        for (Line l : lines) {
            ImprovementScore.Outcome o = l.row().outcome();
            ObjectNode a = arms.addObject();
            a.put("arm", l.arm().label());
            a.put("file", "arms/" + l.arm().file());
            a.put("strategy", l.arm().bestOfN() ? "bon" : "specrej");
            a.put("n", l.row().n());
            num(a, "alpha", l.arm().alpha());
            num(a, "decision_every", l.arm().decisionEvery() == null ? null : l.arm().decisionEvery().doubleValue());
            a.put("prompts", o.prompts());
            num(a, "improvement_score", o.score());
            num(a, "improvement_ci_low", o.low());
            num(a, "improvement_ci_high", o.high());
            num(a, "relative_compute_wall", o.wallRatio());
            num(a, "relative_compute_tokens", o.generatedRatio());
            num(a, "relative_reward_tokens", o.rewardRatio());
            a.put("generated_tokens", (long) l.generatedTokens());
            a.put("reward_tokens", (long) l.rewardTokens());
            num(a, "wall_seconds", l.wallSeconds());
            a.put("machines", l.machines());
            num(a, "bon_compute_factor_wall", l.factorWall());
            num(a, "bon_compute_factor_tokens", l.factorTokens());
            num(a, "bon_score_at_equal_wall", l.bonScoreAtWall());
            num(a, "bon_score_at_equal_tokens", l.bonScoreAtTokens());
            num(a, "bon_winner_kept", l.row().winnerKept());
        }
        return root;
    }

    private static void num(ObjectNode o, String field, Double v) {
        if (v == null || !Double.isFinite(v)) {
            o.putNull(field);
        } else {
            o.put(field, v);
        }
    }

    private static String f(double v, int decimals) {
        return TextTable.fixed(v, decimals);
    }

    private static String x(Double v) {
        return v == null ? "-" : f(v, 1) + "x";
    }

    private static String s(Double v) {
        return v == null ? "-" : f(v, 1);
    }
}
