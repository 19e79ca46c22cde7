package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How well partial rewards predicted the outcome in a run with rejection decisions, grouped by how many tokens the
 * trajectories had at the decision.
 *
 * <p>(a) Correlation: at each decision length, Spearman's rho between the partial reward and the final reward, over
 * the trajectories that were scored at that length and later finished (a rejected trajectory has no final reward, so
 * it cannot enter). Averaged per prompt first, then over prompts, so every prompt weighs the same.
 *
 * <p>(b) The winner: at each decision, where the eventual best trajectory ({@code best.id}) stood. The ranking is
 * rebuilt from the file: every trajectory still in the race, at its partial reward for that length, or at its final
 * reward when it had already finished. Its position there is rank / (active - 1): 0 first, 1 last. "kept" reads the decision's own outcome (the winner's rejected_at), "top"
 * asks whether it ranked within the best round((1 - alpha) * active) by that rebuilt ranking, which with the run's own
 * alpha is the same rule the decision applied, and with another alpha asks "would it have survived?".
 */
final class DecisionAnalysis {
    /** Decision lengths grouped into one row: exact when few distinct, else ranges by powers of two. */
    record Bucket(int minTokens, int maxTokens) implements Comparable<Bucket> {
        String label() {
            return minTokens == maxTokens ? Integer.toString(minTokens) : minTokens + "-" + maxTokens;
        }

        @Override
        public int compareTo(Bucket o) {
            return Integer.compare(minTokens, o.minTokens);
        }
    }

    record Correlation(Bucket bucket, int prompts, int skipped, double meanRho) {
    }

    record Winner(Bucket bucket, int decisions, double keptRate, double topOneRate, double meanRankPosition,
                  double inTopRate) {
    }

    record Report(int prompts, int promptsWithDecisions, double alpha, List<Correlation> correlation,
                  List<Winner> winner, int inconsistent) {
    }

    static final int MAX_EXACT_BUCKETS = 12;

    private DecisionAnalysis() {
    }

    static Report of(List<RunRecord> records, double alpha) {
        TreeSet<Integer> lengths = new TreeSet<>();
        for (RunRecord r : records) {
            for (JsonNode d : r.decisions()) {
                lengths.add(d.get("tokens_so_far").asInt());
            }
        }
        boolean exact = lengths.size() <= MAX_EXACT_BUCKETS;
        Map<Bucket, List<Double>> rhoPerPrompt = new TreeMap<>();
        Map<Bucket, Integer> rhoSkipped = new TreeMap<>();
        Map<Bucket, double[]> winner = new TreeMap<>(); // decisions, kept, first, rank position, in top
        int withDecisions = 0;
        int inconsistent = 0;
        for (RunRecord r : records) {
            JsonNode decisions = r.decisions();
            if (decisions.isEmpty()) {
                continue;
            }
            withDecisions++;
            List<RunRecord.Trajectory> trajectories = r.trajectories();
            Map<Bucket, List<Double>> promptRhos = new LinkedHashMap<>();
            Map<Integer, Boolean> lengthSeen = new HashMap<>();
            for (int d = 0; d < decisions.size(); d++) {
                int tokens = decisions.get(d).get("tokens_so_far").asInt();
                Bucket bucket = bucketOf(tokens, exact);
                if (lengthSeen.put(tokens, true) == null) { // one correlation per length, however many decisions
                    double rho = correlation(trajectories, tokens);
                    if (Double.isNaN(rho)) {
                        rhoSkipped.merge(bucket, 1, Integer::sum);
                    } else {
                        promptRhos.computeIfAbsent(bucket, b -> new ArrayList<>()).add(rho);
                    }
                }
                List<RunRecord.Trajectory> ranked = rankedAt(trajectories, d, tokens);
                if (ranked.size() != decisions.get(d).get("active_before").asInt()) {
                    inconsistent++;
                }
                int rank = indexOf(ranked, r.bestId());
                if (rank < 0) {
                    inconsistent++;
                    continue;
                }
                RunRecord.Trajectory best = ranked.get(rank);
                int keep = (int) Math.max(1, Math.round((1 - alpha) * ranked.size()));
                double[] w = winner.computeIfAbsent(bucket, b -> new double[5]);
                w[0]++;
                w[1] += best.rejectedAt() == null || best.rejectedAt() > d ? 1 : 0;
                w[2] += rank == 0 ? 1 : 0;
                w[3] += ranked.size() > 1 ? rank / (ranked.size() - 1.0) : 0;
                w[4] += rank < keep ? 1 : 0;
            }
            for (var e : promptRhos.entrySet()) {
                rhoPerPrompt.computeIfAbsent(e.getKey(), b -> new ArrayList<>())
                        .add(e.getValue().stream().mapToDouble(Double::doubleValue).average().orElseThrow());
            }
        }
        TreeSet<Bucket> buckets = new TreeSet<>(rhoPerPrompt.keySet());
        buckets.addAll(rhoSkipped.keySet());
        List<Correlation> correlation = new ArrayList<>();
        for (Bucket b : buckets) {
            List<Double> rhos = rhoPerPrompt.getOrDefault(b, List.of());
            correlation.add(new Correlation(b, rhos.size(), rhoSkipped.getOrDefault(b, 0),
                    rhos.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN)));
        }
        List<Winner> winners = new ArrayList<>();
        for (var e : winner.entrySet()) {
            double[] w = e.getValue();
            winners.add(new Winner(e.getKey(), (int) w[0], w[1] / w[0], w[2] / w[0], w[3] / w[0], w[4] / w[0]));
        }
        return new Report(records.size(), withDecisions, alpha, correlation, winners, inconsistent);
    }

    /** Spearman's rho of (partial at {@code tokens}, final) over the trajectories that have both. */
    static double correlation(List<RunRecord.Trajectory> trajectories, int tokens) {
        List<double[]> pairs = new ArrayList<>();
        for (RunRecord.Trajectory t : trajectories) {
            double partial = partialAt(t, tokens);
            if (t.finished() && !Double.isNaN(t.score()) && !Double.isNaN(partial)) {
                pairs.add(new double[] {partial, t.score()});
            }
        }
        double[] x = pairs.stream().mapToDouble(p -> p[0]).toArray();
        double[] y = pairs.stream().mapToDouble(p -> p[1]).toArray();
        return Spearman.rho(x, y);
    }

    /** Trajectories in the race at decision {@code d}, best first (highest score, then lowest id, as ranked). */
    private static List<RunRecord.Trajectory> rankedAt(List<RunRecord.Trajectory> all, int d, int tokens) {
        Map<RunRecord.Trajectory, Double> score = new HashMap<>();
        for (RunRecord.Trajectory t : all) {
            if (t.rejectedAt() != null && t.rejectedAt() < d) {
                continue;
            }
            double s = partialAt(t, tokens);
            if (Double.isNaN(s) && t.finished() && t.tokens() <= tokens) {
                s = t.score();
            }
            if (!Double.isNaN(s)) {
                score.put(t, s);
            }
        }
        List<RunRecord.Trajectory> ranked = new ArrayList<>(score.keySet());
        ranked.sort(Comparator.comparingDouble((RunRecord.Trajectory t) -> -score.get(t))
                .thenComparingInt(RunRecord.Trajectory::id));
        return ranked;
    }

    private static double partialAt(RunRecord.Trajectory t, int tokens) {
        for (double[] p : t.partialScores()) {
            if ((int) p[0] == tokens) {
                return p[1];
            }
        }
        return Double.NaN;
    }

    private static int indexOf(List<RunRecord.Trajectory> ranked, int id) {
        for (int i = 0; i < ranked.size(); i++) {
            if (ranked.get(i).id() == id) {
                return i;
            }
        }
        return -1;
    }

    static Bucket bucketOf(int tokens, boolean exact) {
        if (exact) {
            return new Bucket(tokens, tokens);
        }
        int upper = Integer.highestOneBit(Math.max(1, tokens - 1)) << 1; // (upper/2, upper]
        if (tokens <= 8) {
            return new Bucket(1, 8);
        }
        return new Bucket(upper / 2 + 1, upper);
    }
}
