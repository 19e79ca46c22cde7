package io.specrej.decoding;

import java.util.List;

/**
 * A scoring a {@link RewardScorer} prepared: its scores, and until {@link #complete()} the rows it still needs from
 * a reward-model forward pass (run by {@link RewardService#runTogether}, which merges the jobs of many requests).
 */
public interface ScoreJob {
    /** Whether the scores are final (no forward pass needed). */
    boolean complete();

    /** Rewards in the order of the trajectories asked for; valid once complete. */
    double[] scores();

    /** The trajectories being scored. */
    List<Trajectory> trajectories();

    /** A job that needed no pass. */
    static ScoreJob done(List<Trajectory> trajectories, double[] scores) {
        return new ScoreJob() {
            @Override
            public boolean complete() {
                return true;
            }

            @Override
            public double[] scores() {
                return scores;
            }

            @Override
            public List<Trajectory> trajectories() {
                return trajectories;
            }
        };
    }
}
