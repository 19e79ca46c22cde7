package io.specrej.app;

import java.util.List;
import java.util.Map;

/**
 * The paper's comparison of a run against a Best-of-N baseline, over the prompts both files hold.
 *
 * <p>Improvement score: per prompt, {@code (best_run - max_base) / (max_base - min_base)}, where max and min are over
 * the baseline's final trajectory rewards for that prompt; prompts whose baseline rewards are all equal are skipped
 * (the ratio is undefined). Reported as {@code 100 * (1 + mean)}: the baseline itself scores 100, and a run that
 * always matched the baseline's worst response would score 0.
 *
 * <p>Relative compute: the run's totals over the baseline's (wall seconds, generated tokens, reward-model tokens),
 * summed over the same prompts.
 */
final class ImprovementScore {
    record Outcome(int prompts, int skipped, double score, double wallRatio, double generatedRatio,
                   double rewardRatio) {
    }

    private ImprovementScore() {
    }

    /** @param common prompt indices present in both maps */
    static Outcome of(Map<Integer, RunRecord> baseline, Map<Integer, RunRecord> run, List<Integer> common) {
        double sum = 0;
        int used = 0;
        double baseWall = 0;
        double runWall = 0;
        double baseGenerated = 0;
        double runGenerated = 0;
        double baseReward = 0;
        double runReward = 0;
        for (int i : common) {
            RunRecord b = baseline.get(i);
            RunRecord r = run.get(i);
            baseWall += b.wallSeconds();
            runWall += r.wallSeconds();
            baseGenerated += b.stat("generated_tokens");
            runGenerated += r.stat("generated_tokens");
            baseReward += b.stat("reward_tokens");
            runReward += r.stat("reward_tokens");
            List<Double> scores = b.finalScores();
            if (scores.isEmpty()) {
                continue;
            }
            double max = scores.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            double min = scores.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            if (max == min) {
                continue;
            }
            sum += (r.bestScore() - max) / (max - min);
            used++;
        }
        double score = used == 0 ? Double.NaN : 100 * (1 + sum / used);
        return new Outcome(common.size(), common.size() - used, score, ratio(runWall, baseWall),
                ratio(runGenerated, baseGenerated), ratio(runReward, baseReward));
    }

    private static double ratio(double a, double b) {
        return b > 0 ? a / b : Double.NaN;
    }
}
