package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of a run file, checked on reading so that the commands that consume it (compare, analyze,
 * export-alpaca-eval) can use its fields without further checks. Errors name the file, the line and the field.
 */
record RunRecord(Path file, int line, JsonNode json) {

    /** One trajectory's fields that the analyses use. {@code score} is NaN when it has none. */
    record Trajectory(int id, int tokens, boolean finished, double score, Integer rejectedAt,
                      List<double[]> partialScores) {
    }

    static RunRecord of(Path file, int line, JsonNode json) {
        RunRecord r = new RunRecord(file, line, json);
        r.validate();
        return r;
    }

    private void validate() {
        if (!json.isObject()) {
            throw bad("", "a JSON object");
        }
        if (!json.path("prompt_index").canConvertToInt() || !json.path("prompt_index").isIntegralNumber()
                || json.path("prompt_index").asInt() < 0) {
            throw bad("prompt_index", "a non-negative integer");
        }
        require(json.path("prompt").isTextual(), "prompt", "a string");
        require(json.path("params").isObject(), "params", "an object");
        require(json.path("params").path("strategy").isTextual(), "params.strategy", "a string");
        StrategyName.parse(json.path("params").path("strategy").asText(), where("params.strategy"));
        require(json.path("trajectories").isArray(), "trajectories", "a list");
        // a record without trajectories has no result: counting it as done would skip its prompt forever
        require(!json.path("trajectories").isEmpty(), "trajectories", "a non-empty list");
        for (int i = 0; i < json.path("trajectories").size(); i++) {
            JsonNode t = json.path("trajectories").get(i);
            String p = "trajectories[" + i + "].";
            require(t.path("id").isIntegralNumber(), p + "id", "an integer");
            require(t.path("tokens").isIntegralNumber(), p + "tokens", "an integer (the generated token count)");
            require(t.path("finished").isBoolean(), p + "finished", "true or false");
            require(numberOrNull(t.get("score")), p + "score", "a number or null");
            require(t.get("rejected_at") == null || t.get("rejected_at").isNull()
                    || t.get("rejected_at").isIntegralNumber(), p + "rejected_at", "an integer or null");
            require(t.path("partial_scores").isArray(), p + "partial_scores", "a list of [tokens, score] pairs");
            for (JsonNode pair : t.path("partial_scores")) {
                require(pair.isArray() && pair.size() == 2 && pair.get(0).isIntegralNumber()
                        && numberOrNull(pair.get(1)), p + "partial_scores", "a list of [tokens, score] pairs");
            }
        }
        require(json.path("best").isObject(), "best", "an object");
        require(json.path("best").path("id").isIntegralNumber(), "best.id", "an integer");
        require(json.path("best").path("text").isTextual(), "best.text", "a string");
        require(json.path("best").path("score").isNumber(), "best.score", "a number");
        require(json.path("stats").isObject(), "stats", "an object");
        for (String f : new String[] {"wall_seconds", "generated_tokens", "reward_tokens", "initial_batch"}) {
            require(json.path("stats").path(f).isNumber(), "stats." + f, "a number");
        }
        require(json.path("stats").path("decisions").isArray(), "stats.decisions", "a list");
        for (JsonNode d : json.path("stats").path("decisions")) {
            require(d.path("tokens_so_far").isIntegralNumber() && d.path("kept").isIntegralNumber()
                    && d.path("active_before").isIntegralNumber(), "stats.decisions",
                    "objects with tokens_so_far, active_before and kept");
        }
    }

    int promptIndex() {
        return json.get("prompt_index").asInt();
    }

    String prompt() {
        return json.get("prompt").asText();
    }

    /** Where the record came from (version, model file hashes, machine), or null in files written before it. */
    JsonNode provenance() {
        return json.get("provenance");
    }

    JsonNode params() {
        return json.get("params");
    }

    StrategyName strategy() {
        return StrategyName.parse(params().get("strategy").asText(), where("params.strategy"));
    }

    int bestId() {
        return json.get("best").get("id").asInt();
    }

    String bestText() {
        return json.get("best").get("text").asText();
    }

    double bestScore() {
        return json.get("best").get("score").asDouble();
    }

    double wallSeconds() {
        return stat("wall_seconds");
    }

    double stat(String field) {
        return json.get("stats").get(field).asDouble();
    }

    int initialBatch() {
        return json.get("stats").get("initial_batch").asInt();
    }

    JsonNode decisions() {
        return json.get("stats").get("decisions");
    }

    List<Trajectory> trajectories() {
        List<Trajectory> out = new ArrayList<>();
        for (JsonNode t : json.get("trajectories")) {
            List<double[]> partial = new ArrayList<>();
            for (JsonNode pair : t.get("partial_scores")) {
                partial.add(new double[] {pair.get(0).asInt(), score(pair.get(1))});
            }
            JsonNode rejected = t.get("rejected_at");
            out.add(new Trajectory(t.get("id").asInt(), t.get("tokens").asInt(), t.get("finished").asBoolean(),
                    score(t.get("score")), rejected == null || rejected.isNull() ? null : rejected.asInt(), partial));
        }
        return out;
    }

    /** Final rewards: those of the finished trajectories (a finished response is always scored in full). */
    List<Double> finalScores() {
        List<Double> out = new ArrayList<>();
        for (Trajectory t : trajectories()) {
            if (t.finished() && !Double.isNaN(t.score())) {
                out.add(t.score());
            }
        }
        return out;
    }

    private static double score(JsonNode node) {
        return node == null || node.isNull() ? Double.NaN : node.asDouble();
    }

    private static boolean numberOrNull(JsonNode node) {
        return node == null || node.isNull() || node.isNumber();
    }

    private void require(boolean ok, String field, String expected) {
        if (!ok) {
            throw bad(field, expected);
        }
    }

    private BadInputException bad(String field, String expected) {
        return new BadInputException(where(field) + " must be " + expected + " (is this a file written by "
                + "specrej run?)");
    }

    private String where(String field) {
        return file + " line " + line + (field.isEmpty() ? "" : ": field \"" + field + "\"");
    }
}
