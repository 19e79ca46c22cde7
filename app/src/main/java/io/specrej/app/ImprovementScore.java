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
    /**
     * @param low  2.5th percentile of the score over bootstrap resamples of the prompts (NaN below two prompts)
     * @param high 97.5th percentile
     */
    record Outcome(int prompts, int skipped, double score, double low, double high, double wallRatio,
                   double generatedRatio, double rewardRatio) {
    }

    /** Bootstrap resamples for the interval; a fixed seed, so the same files give the same interval. */
    static final int RESAMPLES = 2000;

    private ImprovementScore() {
    }

    /** @param common prompt indices present in both maps */
    static Outcome of(Map<Integer, RunRecord> baseline, Map<Integer, RunRecord> run, List<Integer> common) {
        List<Double> contributions = new java.util.ArrayList<>();
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
            contributions.add((r.bestScore() - max) / (max - min));
        }
        int used = contributions.size();
        double score = used == 0 ? Double.NaN : 100 * (1 + mean(contributions));
        double[] interval = bootstrap(contributions);
        return new Outcome(common.size(), common.size() - used, score, interval[0], interval[1],
                ratio(runWall, baseWall), ratio(runGenerated, baseGenerated), ratio(runReward, baseReward));
    }

    private static double mean(List<Double> values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.size();
    }

    /** The 95 % percentile interval of the score over resamples of the prompts (with replacement). */
    static double[] bootstrap(List<Double> contributions) {
        int n = contributions.size();
        if (n < 2) {
            return new double[] {Double.NaN, Double.NaN};
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        double[] scores = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += contributions.get(random.nextInt(n));
            }
            scores[b] = 100 * (1 + sum / n);
        }
        java.util.Arrays.sort(scores);
        return new double[] {scores[(int) Math.floor(0.025 * (RESAMPLES - 1))],
            scores[(int) Math.ceil(0.975 * (RESAMPLES - 1))]};
    }

    private static double ratio(double a, double b) {
        return b > 0 ? a / b : Double.NaN;
    }
}
