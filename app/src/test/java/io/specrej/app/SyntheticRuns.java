package io.specrej.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Run files written by hand with chosen numbers, so compare and analyze can be checked against known answers. */
final class SyntheticRuns {
    /** A trajectory: partial scores as {tokens, score} pairs; score null = none; rejectedAt null = survived. */
    record Traj(int id, int tokens, boolean finished, Double score, Integer rejectedAt, double[]... partial) {
    }

    /** A decision: tokens so far, trajectories ranked, kept. */
    record Decision(int tokens, int active, int kept) {
    }

    private final List<String> lines = new ArrayList<>();
    private final String strategy;
    private final Integer n;
    private final double alpha;

    SyntheticRuns(String strategy, Integer n, double alpha) {
        this.strategy = strategy;
        this.n = n;
        this.alpha = alpha;
    }

    /** A Best-of-N prompt: every trajectory finished with the given final scores; the best is the highest. */
    SyntheticRuns bon(int index, double wall, long generated, long rewardTokens, double... finalScores) {
        List<Traj> t = new ArrayList<>();
        int best = 0;
        for (int i = 0; i < finalScores.length; i++) {
            t.add(new Traj(i, 10, true, finalScores[i], null));
            if (finalScores[i] > finalScores[best]) {
                best = i;
            }
        }
        return add(index, t, best, finalScores[best], wall, generated, rewardTokens, List.of());
    }

    SyntheticRuns add(int index, List<Traj> trajectories, int bestId, double bestScore, double wall, long generated,
                      long rewardTokens, List<Decision> decisions) {
        ObjectNode o = Json.object();
        o.put("prompt_index", index);
        o.put("prompt", "prompt number " + index);
        ObjectNode params = o.putObject("params");
        params.put("strategy", strategy);
        if (n == null) {
            params.putNull("n");
        } else {
            params.put("n", n);
        }
        params.put("alpha", alpha);
        o.put("prompt_seed", index);
        ArrayNode ts = o.putArray("trajectories");
        for (Traj t : trajectories) {
            ObjectNode j = ts.addObject();
            j.put("id", t.id());
            j.put("text", "response " + t.id());
            j.put("tokens", t.tokens());
            j.putArray("token_ids");
            j.put("finished", t.finished());
            j.put("finish_reason", t.finished() ? "stop" : null);
            if (t.score() == null) {
                j.putNull("score");
            } else {
                j.put("score", t.score());
            }
            if (t.rejectedAt() == null) {
                j.putNull("rejected_at");
            } else {
                j.put("rejected_at", t.rejectedAt());
            }
            ArrayNode partial = j.putArray("partial_scores");
            for (double[] p : t.partial()) {
                partial.addArray().add((int) p[0]).add(p[1]);
            }
        }
        ObjectNode best = o.putObject("best");
        best.put("id", bestId);
        best.put("text", "response " + bestId);
        best.put("score", bestScore);
        ObjectNode stats = o.putObject("stats");
        stats.put("wall_seconds", wall);
        stats.put("generated_tokens", generated);
        stats.put("reward_tokens", rewardTokens);
        stats.put("initial_batch", trajectories.size());
        ArrayNode ds = stats.putArray("decisions");
        for (Decision d : decisions) {
            ds.addObject().put("tokens_so_far", d.tokens()).put("active_before", d.active()).put("kept", d.kept());
        }
        lines.add(Json.line(o));
        return this;
    }

    Path write(Path file) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }
}
