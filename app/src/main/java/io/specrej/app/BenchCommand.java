package io.specrej.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.DecodeBatch;
import io.specrej.engine.generate.SequenceState;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.model.Head;
import io.specrej.engine.model.RewardModel;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.Profile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code specrej bench}: prefill, batched decode and reward-scoring throughput of a checkpoint, per batch size, with
 * the numbers docs/PERFORMANCE.md reports. Random token ids from a fixed seed (speed does not depend on the text).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure prefill, batched decode and reward-model scoring throughput.",
                "Per batch size n: prefill of one prompt of --prompt-len random tokens; decode of n sequences forked "
                        + "from it, --max-new-tokens batched steps each (top-k 50, temperature 1, no stop tokens), "
                        + "tokens/s = n * max-new-tokens / decode seconds; with --reward-model, a full forward over n "
                        + "sequences of prompt-len + max-new-tokens tokens in a fresh cache. A smaller warm-up run "
                        + "(at most 16 sequences, 8 steps), then the median of --runs runs. Before all of it, the "
                        + "backend's own copies of the weights are made and timed (prepare_s: oneDNN's layout, "
                        + "Q8_0 quantization).",
                "With --json: one object per line per n: {\"n\",\"prefill_tokens_per_s\",\"decode_tokens_per_s\","
                        + "\"score_tokens_per_s\" (with --reward-model),\"decode_gflops\",\"kv_bytes\", ...}."})
final class BenchCommand implements Callable<Integer> {
    /** Reward scoring runs in groups holding at most this many KV bytes (it is one forward per group). */
    static final long SCORE_KV_BYTES = 1L << 30;

    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ThreadsOption threadsOption;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Generator (causal LM) directory.")
    Path model;

    @Option(names = "--reward-model", paramLabel = "DIR", description = "Reward model directory (also times scoring).")
    Path rewardModel;

    @Option(names = "--n", defaultValue = "1,16,64,256", split = ",", paramLabel = "N,...",
            description = "Batch sizes (default 1,16,64,256).")
    int[] sizes;

    @Option(names = "--prompt-len", defaultValue = "128", paramLabel = "T", description = "Prompt tokens (default 128).")
    int promptLength;

    @Option(names = "--max-new-tokens", paramLabel = "M",
            description = "Decode steps per sequence (default " + RunCommand.DEFAULT_MAX_NEW_TOKENS + ", as run and "
                    + "generate).")
    Integer maxNewTokens;

    // The name bench used before every command said --max-new-tokens; kept so old scripts run.
    @Option(names = "--new-tokens", hidden = true, paramLabel = "M")
    Integer newTokensAlias;

    int newTokens;

    @Option(names = "--runs", defaultValue = "3", paramLabel = "R", description = "Measured runs per size (default 3).")
    int runs;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the token ids and sampling.")
    long seed;

    @Option(names = "--skip-decode", description = "Only prefill and scoring (e.g. for a long --prompt-len).")
    boolean skipDecode;

    @Option(names = "--private-context",
            description = "Give every sequence its own copy of the prompt's keys and values before decoding, as after "
                    + "a long generation of its own: attention then reads n contexts instead of one shared one.")
    boolean privateContext;

    @Option(names = "--json", description = "One JSON object per batch size per line; nothing else on stdout.")
    boolean json;

    @Override
    public Integer call() {
        if (sizes == null || sizes.length == 0) {
            throw new BadInputException("--n needs at least one batch size");
        }
        for (int n : sizes) {
            if (n < 1) {
                throw new BadInputException("--n: every batch size must be at least 1, got " + n);
            }
        }
        newTokens = maxNewTokens != null ? maxNewTokens
                : newTokensAlias != null ? newTokensAlias : RunCommand.DEFAULT_MAX_NEW_TOKENS;
        if (promptLength < 1 || newTokens < 1 || runs < 1) {
            throw new BadInputException("--prompt-len, --max-new-tokens and --runs must be at least 1, got "
                    + promptLength + ", " + newTokens + ", " + runs);
        }
        return measureAll(); // Main applies --threads around the command
    }

    private int measureAll() {
        // Region timers (attention share); a no-op if the engine's Profile class was initialised without them.
        if (System.getProperty("specrej.profile") == null) {
            System.setProperty("specrej.profile", "true");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (TransformerModel lm = TransformerModel.load(model);
             TransformerModel rm = rewardModel == null ? null : TransformerModel.load(rewardModel)) {
            if (lm.config().head() != Head.CAUSAL_LM) {
                throw new BadInputException(model + ": " + lm.config().architecture() + " is not a causal LM");
            }
            if (promptLength + newTokens + 1 > lm.config().maxPositions()) {
                throw new BadInputException("--prompt-len + --max-new-tokens = " + (promptLength + newTokens)
                        + " exceeds the context window of " + lm.config().maxPositions() + " tokens");
            }
            RewardModel reward = rm == null ? null : rewardModel(rm);
            long started = System.nanoTime();
            lm.prepareWeights();
            if (rm != null) {
                rm.prepareWeights();
            }
            double prepareSeconds = (System.nanoTime() - started) / 1e9;
            if (!json) {
                header(out, lm, rm);
                out.printf(Locale.ROOT, "prepare      %.2f s (the backend's own copies of the weights: oneDNN's layout, "
                        + "Q8_0 quantization; once per process)%n", prepareSeconds);
            }
            for (int n : sizes) {
                ObjectNode row = measure(lm, reward, n);
                row.put("prepare_s", Math.round(prepareSeconds * 100) / 100.0);
                out.println(json ? Json.line(row) : describe(row));
                out.flush();
            }
        }
        return Main.EXIT_OK;
    }

    private void header(PrintWriter out, TransformerModel lm, TransformerModel rm) {
        out.println("machine      " + Runtime.getRuntime().availableProcessors() + " cores, " + cpuModel());
        out.println("jvm          Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        out.println("threads      " + Parallel.threads());
        String backend = lm.matmulBackend().name();
        out.println("matmul       " + backend + (backend.endsWith("onednn") ? " (large bf16 weights; the rest vector-api)"
                : "") + ", " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors"
                + (MatmulBackends.autoNote().isEmpty() ? "" : " [" + MatmulBackends.autoNote() + "]"));
        out.println("model        " + model + " (" + lm.config().architecture() + ", matmul parameters "
                + Units.count(lm.matmulParameters()) + ", KV " + lm.kvPrecision().label() + " " + lm.kvBytesPerToken()
                + " bytes/token)");
        if (rm != null) {
            out.println("reward model " + rewardModel + " (" + rm.config().architecture() + ", KV "
                    + rm.kvPrecision().label() + " " + rm.kvBytesPerToken() + " bytes/token)");
        }
        out.println("workload     prompt " + promptLength + " tokens, " + newTokens + " decode steps, top-k 50, "
                + "median of " + runs + " runs after a warm-up" + (Profile.ENABLED ? "" : " (region timers off)"));
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    private ObjectNode measure(TransformerModel lm, RewardModel reward, int n) {
        int[] prompt = randomTokens(new SplittableRandom(seed), promptLength, lm.config().vocabSize(), null);
        List<Result> results = new ArrayList<>();
        // Warm-up (not counted): a smaller run of the same code paths, so the JIT has compiled them.
        if (skipDecode) {
            prefillOnly(lm, prompt);
        } else {
            decodeRun(lm, prompt, Math.min(n, 16), Math.min(newTokens, 8));
        }
        if (reward != null) {
            scoreRun(reward, Math.min(n, 2), new Result());
        }
        for (int r = 0; r < runs; r++) {
            Result res = skipDecode ? prefillOnly(lm, prompt) : decodeRun(lm, prompt, n, newTokens);
            if (reward != null) {
                scoreRun(reward, n, res);
            }
            results.add(res);
        }
        long matmulParams = lm.matmulParameters();
        ObjectNode row = Json.object();
        row.put("n", n);
        row.put("prefill_tokens_per_s", round(promptLength / median(results, x -> x.prefillSeconds)));
        if (!skipDecode) {
            double decode = median(results, x -> x.decodeSeconds);
            double tokens = (double) n * newTokens;
            row.put("decode_tokens_per_s", round(tokens / decode));
            if (reward != null) {
                row.put("score_tokens_per_s", round((double) n * (promptLength + newTokens)
                        / median(results, x -> x.scoreSeconds)));
            }
            row.put("decode_gflops", round(2.0 * matmulParams * tokens / decode / 1e9));
            row.put("kv_bytes", results.get(0).kvBytes);
            row.put("kv_bytes_per_token", lm.kvBytesPerToken());
            row.put("kv_cache", lm.kvPrecision().label());
            row.put("private_context", privateContext);
            row.put("prompt_copy", results.get(0).promptCopy);
            if (Profile.ENABLED) {
                double matmul = median(results, x -> x.matmulSeconds);
                row.put("matmul_gflops", round(2.0 * matmulParams * tokens / matmul / 1e9));
                row.put("matmul_share", share(median(results, x -> x.matmulSeconds / x.decodeSeconds)));
                row.put("attention_share", share(median(results, x -> x.attentionSeconds / x.decodeSeconds)));
                row.put("sampling_share", share(median(results, x -> x.samplingSeconds / x.decodeSeconds)));
            }
        } else if (reward != null) {
            row.put("score_tokens_per_s", round((double) n * (promptLength + newTokens)
                    / median(results, x -> x.scoreSeconds)));
        }
        if (reward != null && Profile.ENABLED) {
            row.put("score_matmul_share", share(median(results, x -> x.scoreMatmulSeconds / x.scoreSeconds)));
            row.put("score_attention_share", share(median(results, x -> x.scoreAttentionSeconds / x.scoreSeconds)));
        }
        row.put("threads", Parallel.threads());
        row.put("matmul", lm.matmulBackend().name());
        row.put("prompt_len", promptLength);
        row.put("new_tokens", newTokens);
        row.put("runs", runs);
        return row;
    }

    private Result prefillOnly(TransformerModel lm, int[] prompt) {
        KvCache cache = lm.newCache();
        DecodeBatch batch = new DecodeBatch(lm, cache, SamplingParams.sample(1.0, 50, 1.0), StopTokens.NONE, seed, 1);
        Result res = new Result();
        long t0 = System.nanoTime();
        batch.prefill(prompt);
        res.prefillSeconds = (System.nanoTime() - t0) / 1e9;
        cache.clear();
        return res;
    }

    private Result decodeRun(TransformerModel lm, int[] prompt, int n, int newTokens) {
        KvCache cache = lm.newCache();
        // maxNewTokens = newTokens + 1: the first token comes from the prompt's logits, then newTokens batched steps
        // each feed n tokens through the model (the last step's sampled token is the (newTokens+1)-th).
        DecodeBatch batch = new DecodeBatch(lm, cache, SamplingParams.sample(1.0, 50, 1.0), StopTokens.NONE, seed,
                newTokens + 1);
        Result res = new Result();
        long t0 = System.nanoTime();
        batch.prefill(prompt);
        long t1 = System.nanoTime();
        res.prefillSeconds = (t1 - t0) / 1e9;
        List<SequenceState> running = new ArrayList<>(batch.fork(0, n));
        batch.releasePrompt();
        res.promptCopy = batch.promptCopied() && !privateContext; // unshare drops the copy
        if (privateContext) {
            for (SequenceState s : running) {
                cache.unshare(s.cacheId());
            }
        }
        // Collect the previous run's garbage and settle this run's pages now: with gigabytes of KV a young collection
        // inside the timed steps copies the live pages (pauses of 0.2-1.8 s measured at 1.6 GB of bf16 KV).
        System.gc();
        Profile.reset();
        long t2 = System.nanoTime();
        for (int step = 0; step < newTokens && !running.isEmpty(); step++) {
            if (step == newTokens - 1) {
                // Sequences release their KV as they finish, so read the cache just before the last step fills it.
                res.kvBytes = cache.bytesInUse() + batch.bytesForNextStep(running);
            }
            batch.step(running);
            running.removeIf(SequenceState::finished);
        }
        res.decodeSeconds = (System.nanoTime() - t2) / 1e9;
        res.matmulSeconds = (Profile.nanos(Profile.MATMUL) + Profile.nanos(Profile.HEAD)) / 1e9;
        res.attentionSeconds = Profile.nanos(Profile.ATTENTION) / 1e9;
        res.samplingSeconds = Profile.nanos(Profile.SAMPLING) / 1e9;
        cache.clear();
        return res;
    }

    /** Scores n random sequences of prompt + new tokens; sets the result's scoring time and its region split. */
    private void scoreRun(RewardModel reward, int n, Result res) {
        int length = promptLength + newTokens;
        TransformerModel rm = reward.model();
        if (length > rm.config().maxPositions()) {
            throw new BadInputException("scoring needs " + length + " tokens; the reward model's context window is "
                    + rm.config().maxPositions());
        }
        SplittableRandom random = new SplittableRandom(seed + 1);
        List<int[]> sequences = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] tokens = randomTokens(random, length, rm.config().vocabSize(), reward.padTokenId());
            int[] gate = reward.gatePattern();
            if (gate != null && gate.length < length) {
                System.arraycopy(gate, 0, tokens, 1, gate.length); // ArmoRM reads its gating there
            }
            sequences.add(tokens);
        }
        // One forward per group whose KV fits SCORE_KV_BYTES: the same work as one call (tokens run in chunks of 256
        // either way), without holding every sequence's KV at once.
        long perSequence = (long) length * rm.kvBytesPerToken();
        int group = (int) Math.max(1, Math.min(n, SCORE_KV_BYTES / perSequence));
        Profile.reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i += group) {
            reward.score(sequences.subList(i, Math.min(n, i + group)));
        }
        res.scoreSeconds = (System.nanoTime() - t0) / 1e9;
        res.scoreMatmulSeconds = (Profile.nanos(Profile.MATMUL) + Profile.nanos(Profile.HEAD)) / 1e9;
        res.scoreAttentionSeconds = Profile.nanos(Profile.ATTENTION) / 1e9;
    }

    /** A gating head (ArmoRM) finds its gate tokens with the model's own tokenizer, when the directory has one. */
    private RewardModel rewardModel(TransformerModel rm) {
        if (rm.config().rewardHead() == null || rm.config().rewardHead().gateText() == null
                || !java.nio.file.Files.isRegularFile(rewardModel.resolve(io.specrej.engine.text.HfTokenizer.FILE))) {
            return new RewardModel(rm, 0); // names the missing tokenizer for a gating head
        }
        try (var tokenizer = io.specrej.engine.text.HfTokenizer.load(rewardModel)) {
            return new RewardModel(rm, 0, tokenizer);
        }
    }

    private static int[] randomTokens(SplittableRandom random, int length, int vocab, Integer avoid) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            int t;
            do {
                t = random.nextInt(vocab);
            } while (avoid != null && t == avoid);
            tokens[i] = t;
        }
        return tokens;
    }

    private static double median(List<Result> results, java.util.function.ToDoubleFunction<Result> f) {
        double[] v = results.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double share(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private String describe(ObjectNode row) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "n=%-4d prefill %9.1f tok/s",
                row.get("n").asInt(), row.get("prefill_tokens_per_s").asDouble()));
        if (row.has("decode_tokens_per_s")) {
            b.append(String.format(Locale.ROOT, "  decode %9.1f tok/s  %6.1f GFLOP/s", row.get("decode_tokens_per_s")
                    .asDouble(), row.get("decode_gflops").asDouble()));
        }
        if (row.has("score_tokens_per_s")) {
            b.append(String.format(Locale.ROOT, "  score %9.1f tok/s", row.get("score_tokens_per_s").asDouble()));
            if (row.has("score_attention_share")) {
                b.append(String.format(Locale.ROOT, " (matmul %.0f%%, attention %.1f%%)",
                        100 * row.get("score_matmul_share").asDouble(),
                        100 * row.get("score_attention_share").asDouble()));
            }
        }
        if (row.has("kv_bytes")) {
            b.append("  KV ").append(Units.bytes(row.get("kv_bytes").asLong()));
            if (row.path("prompt_copy").asBoolean()) {
                b.append(" (with the prompt's bf16 copy)");
            }
        }
        if (row.has("attention_share")) {
            b.append(String.format(Locale.ROOT, "  matmul %.1f GFLOP/s (%.0f%% of step), attention %.1f%%, "
                            + "sampling %.1f%%", row.get("matmul_gflops").asDouble(),
                    100 * row.get("matmul_share").asDouble(), 100 * row.get("attention_share").asDouble(),
                    100 * row.get("sampling_share").asDouble()));
        }
        return b.toString();
    }

    private static final class Result {
        double prefillSeconds;
        double decodeSeconds;
        double scoreSeconds;
        double scoreMatmulSeconds;
        double scoreAttentionSeconds;
        double matmulSeconds;
        double attentionSeconds;
        double samplingSeconds;
        long kvBytes;
        /** The forks read the prompt's bf16 copy (prompts of >= 512 tokens through oneDNN). */
        boolean promptCopy;
    }
}
