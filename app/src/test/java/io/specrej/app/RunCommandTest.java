package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    @TempDir
    Path temp;

    private static Set<String> fields(JsonNode node) {
        Set<String> out = new TreeSet<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** Prompts that cannot fit are found before any generation, all named at once, and --out is not created. */
    @Test
    void promptsTooLongForTheContextStopTheRunBeforeAnyWork() {
        String tooLong = "zq xj ".repeat(200); // byte-level BPE without these merges: over 256 tokens
        Path prompts = RunFixtures.write(temp.resolve("long.json"), "[{\"prompt\": \"Name three colors.\"}, "
                + "{\"prompt\": \"" + tooLong + "\"}, {\"prompt\": \"Count to five.\"}, "
                + "{\"prompt\": \"" + tooLong + tooLong + "\"}]");
        Path out = temp.resolve("never.jsonl");
        Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2));
        ErrorHandlingTest.assertOneLineError(r, "2 prompt(s) leave no room to generate");
        assertTrue(r.err().contains(": 1 (") && r.err().contains(", 3 ("), r::toString);
        assertTrue(r.err().contains("context window of 256 tokens"), r::toString);
        assertFalse(Files.exists(out), "nothing was generated, so --out must not exist");
        assertTrue(r.err().contains("--skip-too-long"), "the error names the way out\n" + r);
    }

    /** With --skip-too-long the run goes on without them, says which it skipped, and writes only the others. */
    @Test
    void skipTooLongRunsTheOthers() throws IOException {
        String tooLong = "zq xj ".repeat(200);
        Path prompts = RunFixtures.write(temp.resolve("long2.json"), "[{\"prompt\": \"Name three colors.\"}, "
                + "{\"prompt\": \"" + tooLong + "\"}, {\"prompt\": \"Count to five.\"}]");
        Path out = temp.resolve("skipped.jsonl");
        Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2), "--skip-too-long");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.err().contains("skipping: 1 prompt(s) leave no room to generate") && r.err().contains(": 1 ("),
                r::toString);
        List<JsonNode> lines = RunFixtures.lines(out);
        assertEquals(List.of(0, 2), lines.stream().map(l -> l.get("prompt_index").asInt()).toList());
    }

    @Test
    void writesOneLinePerPromptWithEveryField() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("spr.jsonl");
        Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "specrej", 6), "--limit", 3,
                "--decision-every", 2, "--alpha", 0.5);
        assertEquals(0, r.code(), r::toString);
        List<JsonNode> lines = RunFixtures.lines(out);
        assertEquals(3, lines.size());
        // plain progress lines on stderr (not a terminal): one per prompt, then the summary
        assertEquals(3, r.errLines().stream().filter(l -> l.startsWith("prompt ")).count(), r::toString);
        for (int i = 0; i < 3; i++) {
            JsonNode line = lines.get(i);
            assertEquals(Set.of("prompt_index", "prompt", "params", "provenance", "prompt_seed", "trajectories", "best",
                    "stats"), fields(line));
            assertEquals(i, line.get("prompt_index").asInt());
            assertEquals(RunFixtures.PROMPTS.get(i), line.get("prompt").asText());
            assertEquals(Set.of("strategy", "n", "alpha", "memory_budget", "max_new_tokens", "greedy", "temperature",
                    "top_k", "top_p", "seed", "decision_every", "max_batch", "generator", "reward_model", "reward_label", "kv_cache", "matmul"),
                    fields(line.get("params")));
            JsonNode params = line.get("params");
            assertEquals("specrej", params.get("strategy").asText());
            assertEquals(2L << 30, params.get("memory_budget").asLong());
            assertEquals(2, params.get("decision_every").asInt());
            assertEquals(25.0, params.get("temperature").asDouble());
            assertEquals(TestData.fixture("llama-rm").toString(), params.get("reward_model").asText());
            JsonNode stats = line.get("stats");
            assertTrue(fields(stats).containsAll(Set.of("wall_seconds", "prefill_seconds", "generation_seconds",
                    "reward_seconds", "rejection_seconds", "generated_tokens", "reward_tokens",
                    "reward_tokens_full_rescoring", "peak_kv_bytes", "initial_batch", "decisions")));
            assertEquals(6, stats.get("initial_batch").asInt());
            JsonNode decisions = stats.get("decisions");
            assertFalse(decisions.isEmpty(), "--decision-every 2 over 8 tokens must decide");
            assertEquals(Set.of("tokens_so_far", "active_before", "kept", "memory_triggered", "reward_tokens",
                    "reward_tokens_full_rescoring"), fields(decisions.get(0)));
            assertEquals(2, decisions.get(0).get("tokens_so_far").asInt());
            assertEquals(6, decisions.get(0).get("active_before").asInt());
            assertEquals(3, decisions.get(0).get("kept").asInt());

            JsonNode trajectories = line.get("trajectories");
            assertEquals(6, trajectories.size());
            long generated = 0;
            int rejected = 0;
            double bestFinal = Double.NEGATIVE_INFINITY;
            for (JsonNode t : trajectories) {
                assertEquals(Set.of("id", "text", "tokens", "token_ids", "finished", "finish_reason",
                        "stopped_by_budget", "score", "rejected_at", "rejected_at_decision", "rejected_at_tokens",
                        "partial_scores"), fields(t));
                assertEquals(t.get("tokens").asInt(), t.get("token_ids").size());
                generated += t.get("tokens").asInt();
                if (!t.get("rejected_at").isNull()) {
                    rejected++;
                    assertTrue(t.get("rejected_at").asInt() < decisions.size());
                    // the decision's index, and the token count that decision was taken at
                    assertEquals(t.get("rejected_at"), t.get("rejected_at_decision"));
                    assertEquals(decisions.get(t.get("rejected_at").asInt()).get("tokens_so_far"),
                            t.get("rejected_at_tokens"));
                    assertTrue(t.get("rejected_at_tokens").asInt() >= 2, "decisions come every 2 tokens");
                } else {
                    assertTrue(t.get("finished").asBoolean());
                    assertTrue(t.get("finish_reason").asText().matches("stop|length"));
                    bestFinal = Math.max(bestFinal, t.get("score").asDouble());
                }
                for (JsonNode pair : t.get("partial_scores")) {
                    assertEquals(2, pair.size());
                    assertTrue(pair.get(0).asInt() >= 1 && pair.get(0).asInt() <= 8);
                }
            }
            assertTrue(rejected >= 3, "half of six rejected at the first decision");
            assertEquals(generated, stats.get("generated_tokens").asLong());
            JsonNode best = line.get("best");
            assertEquals(bestFinal, best.get("score").asDouble());
            JsonNode winner = trajectories.get(best.get("id").asInt());
            assertEquals(winner.get("text").asText(), best.get("text").asText());
            assertTrue(winner.get("rejected_at").isNull());
        }
        assertNotEquals(lines.get(0).get("prompt_seed").asLong(), lines.get(1).get("prompt_seed").asLong());
    }

    @Test
    void resumeAfterTwoPromptsGivesTheSameFourLinesAsOneRun() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path resumed = temp.resolve("resumed.jsonl");
        Path whole = temp.resolve("whole.jsonl");
        List<Object> args = RunFixtures.fixtureArgs(prompts, resumed, "bon", 3);
        assertEquals(0, RunFixtures.run(args, "--limit", 2).code());
        assertEquals(2, Files.readAllLines(resumed).size());
        // a run killed mid-write leaves half a line; resume cuts it off
        Files.writeString(resumed, "{\"prompt_index\": 2, \"prompt\": \"Why is", StandardOpenOption.APPEND);
        Cli.Result again = RunFixtures.run(args, "--limit", 4, "--resume");
        assertEquals(0, again.code(), again::toString);
        assertTrue(again.err().contains("incomplete last line"), again::toString);
        assertTrue(again.err().contains("2 prompt(s) already in"), again::toString);
        assertEquals(2, again.errLines().stream().filter(l -> l.startsWith("prompt ")).count(), again::toString);
        Cli.Result one = RunFixtures.run(RunFixtures.fixtureArgs(prompts, whole, "bon", 3), "--limit", 4);
        assertEquals(0, one.code(), one::toString);

        List<JsonNode> a = RunFixtures.lines(resumed);
        List<JsonNode> b = RunFixtures.lines(whole);
        assertEquals(4, a.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(RunFixtures.withoutTimings(b.get(i)), RunFixtures.withoutTimings(a.get(i)), "line " + i);
        }
        // Nothing left: a third resume runs nothing and leaves the file alone.
        Cli.Result idle = RunFixtures.run(args, "--limit", 4, "--resume");
        assertEquals(0, idle.code(), idle::toString);
        assertTrue(idle.err().contains("nothing to do"), idle::toString);
        assertEquals(4, Files.readAllLines(resumed).size());
    }

    @Test
    void resumeRefusesAFileWrittenWithOtherOptionsAndRunRefusesToOverwrite() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("out.jsonl");
        assertEquals(0, RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2), "--limit", 1).code());
        Cli.Result other = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 3), "--limit", 2,
                "--resume");
        assertEquals(2, other.code(), other::toString);
        assertTrue(other.err().startsWith("error: --resume: ") && other.err().contains("n 2 in the file, 3 now"),
                other::toString);
        Cli.Result clobber = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2), "--limit", 1);
        assertEquals(2, clobber.code(), clobber::toString);
        assertTrue(clobber.err().contains("already exists; pass --resume"), clobber::toString);
        assertEquals(1, Files.readAllLines(out).size());
    }

    @Test
    void twoShardsTogetherEqualOneRun() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path whole = temp.resolve("whole.jsonl");
        assertEquals(0, RunFixtures.run(RunFixtures.fixtureArgs(prompts, whole, "bon", 3)).code());
        Map<Integer, JsonNode> shards = new TreeMap<>();
        for (int i = 0; i < 2; i++) {
            Path part = temp.resolve("shard" + i + ".jsonl");
            Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(prompts, part, "bon", 3), "--shard", i + "/2");
            assertEquals(0, r.code(), r::toString);
            for (JsonNode line : RunFixtures.lines(part)) {
                assertEquals(i, line.get("prompt_index").asInt() % 2, "shard " + i + " takes index % 2 == " + i);
                assertTrue(shards.put(line.get("prompt_index").asInt(), line) == null);
            }
        }
        List<JsonNode> full = RunFixtures.lines(whole);
        assertEquals(5, full.size());
        assertEquals(5, shards.size());
        Set<String> bestTexts = new HashSet<>();
        for (JsonNode line : full) {
            JsonNode shard = shards.get(line.get("prompt_index").asInt());
            assertEquals(line.get("best"), shard.get("best"));
            assertEquals(RunFixtures.withoutTimings(line), RunFixtures.withoutTimings(shard));
            bestTexts.add(line.get("best").get("text").asText());
        }
        assertTrue(bestTexts.size() > 1, "different prompts, different seeds, different winners");
    }

    @Test
    void badShardAndMissingNAreUsageErrors() {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("x.jsonl");
        Cli.Result shard = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2), "--shard", "2/2");
        assertEquals(2, shard.code());
        assertEquals(List.of("error: --shard 2/2: need 0 <= i < k (shards are numbered from 0), e.g. --shard 0/2"),
                shard.errLines());
        Cli.Result noN = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 0));
        assertEquals(2, noN.code());
        assertTrue(noN.err().startsWith("error: --n is required with --strategy bon"), noN::toString);
        Cli.Result strategy = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "greedy", 2));
        assertEquals(2, strategy.code());
        assertTrue(strategy.err().contains("unknown strategy \"greedy\""), strategy::toString);
        Cli.Result budget = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "bon", 2), "--memory-budget",
                "lots");
        assertEquals(2, budget.code());
        assertTrue(budget.err().startsWith("error: --memory-budget: \"lots\" is not a size"), budget::toString);
        assertFalse(Files.exists(out), "nothing is written when the options are wrong");
    }

    @Test
    void malformedPromptFileExitsTwoNamingFileAndLine() {
        Path bad = RunFixtures.write(temp.resolve("bad.jsonl"),
                "{\"prompt\": \"one\"}\n{\"prompt\": \"two\"}\n{\"prompt\": \"three\"\n");
        Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(bad, temp.resolve("o.jsonl"), "bon", 2));
        assertEquals(2, r.code(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().startsWith("error: " + bad + " line 3: not valid JSON"), r::toString);

        Path noField = RunFixtures.write(temp.resolve("nofield.json"), "[\n {\"prompt\": \"a\"},\n {\"text\": \"b\"}\n]");
        Cli.Result r2 = RunFixtures.run(RunFixtures.fixtureArgs(noField, temp.resolve("o.jsonl"), "bon", 2));
        assertEquals(2, r2.code(), r2::toString);
        assertTrue(r2.err().startsWith("error: " + noField + " line 3: element 1 has no \"prompt\", \"messages\" or \"instruction\""),
                r2::toString);
    }

    @Test
    void selfRewardRunsWithoutARewardModel() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("self.jsonl");
        List<Object> args = new ArrayList<>(RunFixtures.fixtureArgs(prompts, out, "specrej", 4));
        args.set(args.indexOf(TestData.fixture("llama-rm")), "self");
        Cli.Result r = RunFixtures.run(args, "--limit", 1, "--decision-every", 4);
        assertEquals(0, r.code(), r::toString);
        JsonNode line = RunFixtures.lines(out).get(0);
        assertEquals("self", line.at("/params/reward_model").asText());
        assertEquals(0, line.at("/stats/reward_tokens").asLong());
        for (JsonNode t : line.get("trajectories")) {
            if (!t.get("score").isNull()) {
                assertTrue(t.get("score").asDouble() <= 0, "a mean log-probability is at most 0: " + t);
            }
        }
    }

    @Test
    void specrejWinnerIsOneOfBestOfNsTrajectoriesUnderTheSameSeeds() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path bon = temp.resolve("bon.jsonl");
        Path spr = temp.resolve("spr.jsonl");
        assertEquals(0, RunFixtures.run(RunFixtures.fixtureArgs(prompts, bon, "bon", 8), "--limit", 3).code());
        assertEquals(0, RunFixtures.run(RunFixtures.fixtureArgs(prompts, spr, "specrej", 8), "--limit", 3,
                "--decision-every", 3).code());
        List<JsonNode> b = RunFixtures.lines(bon);
        List<JsonNode> s = RunFixtures.lines(spr);
        for (int i = 0; i < 3; i++) {
            assertFalse(s.get(i).at("/stats/decisions").isEmpty());
            Set<String> bonTexts = new HashSet<>();
            b.get(i).get("trajectories").forEach(t -> bonTexts.add(t.get("text").asText()));
            JsonNode best = s.get(i).get("best");
            assertTrue(bonTexts.contains(best.get("text").asText()), "prompt " + i);
            JsonNode twin = b.get(i).get("trajectories").get(best.get("id").asInt());
            assertEquals(s.get(i).get("trajectories").get(best.get("id").asInt()).get("token_ids"),
                    twin.get("token_ids"));
            assertEquals(twin.get("score").asDouble(), best.get("score").asDouble(), 1e-4);
        }
    }

    @Test
    void embeddedModelsAreTheDefault() throws IOException {
        Path prompts = RunFixtures.write(temp.resolve("p.txt"), "Say hello.\n");
        Path out = temp.resolve("mini.jsonl");
        Cli.Result r = Cli.run("run", "--prompts", prompts, "--strategy", "bon", "--n", 2, "--max-new-tokens", 3,
                "--out", out, "--progress", "none");
        assertEquals(0, r.code(), r::toString);
        JsonNode line = RunFixtures.lines(out).get(0);
        assertTrue(line.at("/params/generator").asText().endsWith("models/mini-alpaca-gen"), line::toString);
        assertTrue(line.at("/params/reward_model").asText().endsWith("models/mini-alpaca-rm"));
        // the mini generator's generation_config.json: temperature 1.0, top-k 50
        assertEquals(1.0, line.at("/params/temperature").asDouble());
        assertEquals(50, line.at("/params/top_k").asInt());
    }

    @Test
    void specrejWithoutNStartsAsManyAsTheBudgetHoldsUpToMaxBatch() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("budget.jsonl");
        Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "specrej", 0), "--limit", 1,
                "--max-batch", 5, "--memory-budget", "64MiB");
        assertEquals(0, r.code(), r::toString);
        JsonNode line = RunFixtures.lines(out).get(0);
        assertTrue(line.at("/params/n").isNull());
        assertEquals(64L << 20, line.at("/params/memory_budget").asLong());
        assertEquals(5, line.at("/stats/initial_batch").asInt());
        assertEquals(5, line.get("trajectories").size());
    }

    @Test
    void unsetOptionsTakeTheDocumentedDefaults() throws IOException {
        Path prompts = RunFixtures.write(temp.resolve("p.txt"), "Say hello.\n");
        Path out = temp.resolve("defaults.jsonl");
        Cli.Result r = Cli.run("run", "--generator", TestData.fixture("llama"), "--reward-model",
                TestData.fixture("llama-rm"), "--prompts", prompts, "--strategy", "specrej", "--n", 1,
                "--out", out, "--progress", "none");
        assertEquals(0, r.code(), r::toString);
        JsonNode p = RunFixtures.lines(out).get(0).get("params");
        assertEquals(0.5, p.get("alpha").asDouble());
        assertEquals(2L << 30, p.get("memory_budget").asLong());
        assertEquals(128, p.get("max_new_tokens").asInt());
        assertEquals(0, p.get("seed").asLong());
        assertEquals(1000, p.get("max_batch").asInt());
        assertTrue(p.get("decision_every").isNull());
        // the fixture has no sampling fields in generation_config.json: plain sampling
        assertEquals(1.0, p.get("temperature").asDouble());
        assertEquals(0, p.get("top_k").asInt());
        assertEquals(1.0, p.get("top_p").asDouble());
    }
}
