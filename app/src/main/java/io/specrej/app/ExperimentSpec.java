package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * An experiment spec (YAML or JSON; docs/EXPERIMENTS.md): the models, the prompts, the sampling, and the arms —
 * Best-of-N for a list of N, Speculative Rejection for a list of alpha (and decision intervals) — run at one memory
 * budget that defines "one machine". Paths are relative to the spec file's folder. Read strictly: an unknown key, a
 * value of the wrong type or range, or an empty arm list is one line naming the key.
 *
 * @param memoryBudget null: what the smallest Best-of-N needs to run in one wave on the longest prompt
 */
record ExperimentSpec(Path file, String name, Path generator, String rewardModel, int rewardLabel, Path prompts,
                      Integer limit, Integer sampleCount, long sampleSeed, long seed, int maxNewTokens,
                      Double temperature, Integer topK, Double topP, Long memoryBudget, List<Integer> bestOfN,
                      List<Double> alphas, List<Integer> decisionEvery, int baseline) {

    private static final Set<String> KEYS = Set.of("name", "generator", "reward_model", "reward_label", "prompts",
            "limit", "sample", "seed", "max_new_tokens", "sampling", "memory_budget", "best_of_n",
            "speculative_rejection", "baseline");

    static ExperimentSpec read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no such spec file");
        }
        ObjectMapper mapper = file.toString().endsWith(".json") ? Json.MAPPER : new ObjectMapper(new YAMLFactory());
        JsonNode root;
        try {
            root = mapper.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new BadInputException(file + ": not valid " + (mapper == Json.MAPPER ? "JSON" : "YAML") + " ("
                    + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": expected a mapping of keys (name, prompts, best_of_n, ...)");
        }
        Reader r = new Reader(file, root);
        r.onlyKeys(root, KEYS, "");
        Path dir = file.toAbsolutePath().getParent();
        Path generator = r.path(dir, "generator");
        String reward = r.string("reward_model");
        if (reward != null && !reward.equals(DecodingModels.SELF)) {
            reward = r.existing(dir.resolve(reward), "reward_model").toString();
        }
        Path prompts = r.path(dir, "prompts");
        if (prompts == null) {
            throw r.bad("prompts", "is required: the prompts file");
        }
        JsonNode sample = root.get("sample");
        Integer sampleCount = null;
        long sampleSeed = 0;
        if (sample != null && !sample.isNull()) {
            r.onlyKeys(sample, Set.of("count", "seed"), "sample.");
            sampleCount = r.integer(sample, "sample.count", 1, Integer.MAX_VALUE);
            Long s = r.longValue(sample, "sample.seed");
            sampleSeed = s == null ? 0 : s;
            if (sampleCount == null) {
                throw r.bad("sample.count", "is required: how many prompts to draw");
            }
        }
        JsonNode sampling = root.get("sampling");
        Double temperature = null;
        Integer topK = null;
        Double topP = null;
        if (sampling != null && !sampling.isNull()) {
            r.onlyKeys(sampling, Set.of("temperature", "top_k", "top_p"), "sampling.");
            temperature = r.number(sampling, "sampling.temperature", 1e-6, 100);
            topK = r.integer(sampling, "sampling.top_k", 0, Integer.MAX_VALUE);
            topP = r.number(sampling, "sampling.top_p", 1e-9, 1);
        }
        List<Integer> bestOfN = r.integers(root, "best_of_n");
        if (bestOfN.isEmpty()) {
            throw r.bad("best_of_n", "needs at least one N (the baseline is one of them)");
        }
        List<Double> alphas = new ArrayList<>();
        List<Integer> every = new ArrayList<>();
        JsonNode spr = root.get("speculative_rejection");
        if (spr != null && !spr.isNull()) {
            r.onlyKeys(spr, Set.of("alpha", "decision_every"), "speculative_rejection.");
            for (JsonNode a : r.list(spr, "speculative_rejection.alpha")) {
                if (!a.isNumber() || !(a.asDouble() >= 0 && a.asDouble() < 1)) {
                    throw r.bad("speculative_rejection.alpha", "values must be numbers in [0, 1), got " + a);
                }
                alphas.add(a.asDouble());
            }
            if (alphas.isEmpty()) {
                throw r.bad("speculative_rejection.alpha", "needs at least one alpha (or leave the arm out)");
            }
            JsonNode e = spr.get("decision_every");
            if (e != null && !e.isNull()) {
                for (JsonNode k : r.list(spr, "speculative_rejection.decision_every")) {
                    if (k.isNull()) {
                        every.add(null);
                    } else if (!k.canConvertToInt() || !k.isIntegralNumber() || k.asInt() < 1) {
                        throw r.bad("speculative_rejection.decision_every", "values must be positive integers or "
                                + "null (decide only when memory is full), got " + k);
                    } else {
                        every.add(k.asInt());
                    }
                }
            }
        }
        if (every.isEmpty()) {
            every.add(null);
        }
        Integer baseline = r.integer(root, "baseline", 1, Integer.MAX_VALUE);
        int base = baseline != null ? baseline : bestOfN.stream().mapToInt(Integer::intValue).min().orElseThrow();
        if (!bestOfN.contains(base)) {
            throw r.bad("baseline", base + " is not one of best_of_n " + bestOfN);
        }
        JsonNode budget = root.get("memory_budget");
        Long memoryBudget = null;
        if (budget != null && !budget.isNull()) {
            memoryBudget = budget.isIntegralNumber() ? budget.asLong()
                    : ByteSizes.parse(budget.asText(), "memory_budget in " + file);
            if (memoryBudget <= 0) {
                throw r.bad("memory_budget", "must be positive, got " + budget);
            }
        }
        Integer limit = r.integer(root, "limit", 1, Integer.MAX_VALUE);
        Integer label = r.integer(root, "reward_label", 0, Integer.MAX_VALUE);
        Integer maxNew = r.integer(root, "max_new_tokens", 1, Integer.MAX_VALUE);
        Long seed = r.longValue(root, "seed");
        String name = r.string("name");
        return new ExperimentSpec(file, name == null ? file.getFileName().toString() : name, generator, reward,
                label == null ? 0 : label, prompts, limit, sampleCount, sampleSeed, seed == null ? 0 : seed,
                maxNew == null ? 128 : maxNew, temperature, topK, topP, memoryBudget, List.copyOf(bestOfN),
                List.copyOf(alphas), java.util.Collections.unmodifiableList(every), base);
    }

    /** Reads keys of a spec with messages that name the file and the key. */
    private record Reader(Path file, JsonNode root) {
        BadInputException bad(String key, String problem) {
            return new BadInputException(file + ": " + key + " " + problem);
        }

        void onlyKeys(JsonNode node, Set<String> allowed, String prefix) {
            if (!node.isObject()) {
                throw bad(prefix.isEmpty() ? "the spec" : prefix.substring(0, prefix.length() - 1),
                        "must be a mapping");
            }
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!allowed.contains(key)) {
                    throw bad(prefix + key, "is not a known key (known: " + String.join(", ",
                            allowed.stream().sorted().toList()) + ")");
                }
            }
        }

        String string(String key) {
            JsonNode v = root.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                throw bad(key, "must be a string, got " + v);
            }
            return v.asText();
        }

        Path existing(Path p, String key) {
            if (!Files.exists(p)) {
                throw bad(key, "names " + p + ", which does not exist");
            }
            return p;
        }

        Path path(Path dir, String key) {
            String v = string(key);
            return v == null ? null : existing(dir.resolve(v).normalize(), key);
        }

        Integer integer(JsonNode node, String key, int min, int max) {
            JsonNode v = node.get(key.substring(key.lastIndexOf('.') + 1));
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
                throw bad(key, "must be an integer in [" + min + ", " + max + "], got " + v);
            }
            return v.asInt();
        }

        Long longValue(JsonNode node, String key) {
            JsonNode v = node.get(key.substring(key.lastIndexOf('.') + 1));
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw bad(key, "must be an integer, got " + v);
            }
            return v.asLong();
        }

        Double number(JsonNode node, String key, double min, double max) {
            JsonNode v = node.get(key.substring(key.lastIndexOf('.') + 1));
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
                throw bad(key, "must be a number in [" + min + ", " + max + "], got " + v);
            }
            return v.asDouble();
        }

        JsonNode list(JsonNode node, String key) {
            JsonNode v = node.get(key.substring(key.lastIndexOf('.') + 1));
            if (v == null || v.isNull()) {
                throw bad(key, "is required: a list");
            }
            if (!v.isArray()) {
                throw bad(key, "must be a list, got " + v);
            }
            return v;
        }

        List<Integer> integers(JsonNode node, String key) {
            List<Integer> out = new ArrayList<>();
            for (JsonNode n : list(node, key)) {
                if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
                    throw bad(key, "values must be positive integers, got " + n);
                }
                if (out.contains(n.asInt())) {
                    throw bad(key, "lists " + n + " twice");
                }
                out.add(n.asInt());
            }
            return out;
        }
    }
}
