package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.decoding.DecodingSetup;
import io.specrej.decoding.Prompt;
import io.specrej.decoding.RequestOptions;
import io.specrej.decoding.Result;
import io.specrej.decoding.Strategy;
import io.specrej.engine.BadInputException;
import io.specrej.engine.sample.SamplingParams;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code specrej run}: one strategy over a file of prompts, one JSON line per prompt. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run Best-of-N (bon) or Speculative Rejection (specrej) over a file of prompts and write one "
                + "JSON line per prompt (every trajectory, the best one, timings and rejection decisions).",
                "Prompt files (- reads standard input): a JSON list or JSON Lines of objects with \"prompt\", "
                        + "\"messages\" (OpenAI's [{\"role\", \"content\"}, ...], ending with the user's turn) or "
                        + "\"instruction\" + \"input\" (AlpacaFarm), or plain text with one prompt per line. Each "
                        + "prompt goes through the generator's chat template when it has one.",
                "Before the first timed prompt, run warms up untimed (a short Best-of-2 of it, reported on stderr), "
                        + "so wall times do not include the JVM's warm-up.",
                "Prompt i is sampled with a seed derived from (--seed, i), so --shard and --resume give exactly "
                        + "the results of one uninterrupted run. Results are flushed after every prompt."})
final class RunCommand implements Callable<Integer> {
    static final String DEFAULT_BUDGET = "2GiB";
    static final int DEFAULT_MAX_NEW_TOKENS = 128;

    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ThreadsOption threadsOption;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Generator (a causal LM) directory. Default: the embedded models/" + DefaultModels.GENERATOR
                    + ".")
    Path model;

    // run's name for --model before every command said --model; kept so old command lines and scripts work.
    @Option(names = "--generator", hidden = true, paramLabel = "DIR")
    Path generatorAlias;

    @Option(names = "--reward-model", paramLabel = "DIR|self",
            description = "Reward model directory (*ForSequenceClassification), or \"self\" for the generator's "
                    + "mean log-probability. Default: the embedded models/" + DefaultModels.REWARD_MODEL + ".")
    String rewardModel;

    @Option(names = "--reward-label", defaultValue = "0", paramLabel = "L",
            description = "Which of the reward model's outputs is the reward, for num_labels > 1 (default 0).")
    int rewardLabel;

    @Option(names = "--prompts", required = true, paramLabel = "FILE", description = "The prompts (see above).")
    Path prompts;

    @Option(names = "--strategy", required = true, paramLabel = "bon|specrej",
            description = "bon: Best-of-N, every response finished then scored. specrej: Speculative Rejection.")
    String strategyName;

    @Option(names = "--n", paramLabel = "N",
            description = "bon: responses per prompt (required). specrej: the initial batch; default: as many as "
                    + "the memory budget holds, at most --max-batch.")
    Integer n;

    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A",
            description = "specrej: fraction of the trajectories rejected at each decision, in [0, 1) (default 0.5).")
    double alpha;

    @Option(names = "--memory-budget", defaultValue = DEFAULT_BUDGET, paramLabel = "SIZE",
            description = "KV memory of generator and reward model together, e.g. 512MiB, 2GiB, 1.5GB or bytes "
                    + "(default " + DEFAULT_BUDGET + "). specrej decides when the next step would not fit it.")
    String memoryBudget;

    @Option(names = "--max-new-tokens", defaultValue = "" + DEFAULT_MAX_NEW_TOKENS, paramLabel = "M",
            description = "Most tokens per response (default " + DEFAULT_MAX_NEW_TOKENS + ").")
    int maxNewTokens;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Run seed (default 0).")
    long seed;

    @Option(names = {"--decision-every", "--decide-every"}, paramLabel = "K",
            description = "specrej: also decide every K generated tokens (default: only when memory runs out).")
    Integer decisionEvery;

    @Option(names = "--max-batch", defaultValue = "" + DecodingSetup.DEFAULT_MAX_BATCH, paramLabel = "B",
            description = "Cap on the sequences run at once (specrej's budget-chosen batch, bon's wave); default "
                    + DecodingSetup.DEFAULT_MAX_BATCH + ".")
    int maxBatch;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "Where the results go.")
    Path out;

    @Option(names = "--shard", paramLabel = "i/k|auto",
            description = "Take only the prompts whose index modulo k is i (0-based), e.g. 0/4 ... 3/4; auto takes i "
                    + "and k from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, SPECREJ_SHARDS) or a Slurm array "
                    + "(SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT). Join the shards with 'specrej merge'.")
    String shard;

    @Option(names = "--resume",
            description = "Append to --out, skipping prompts already in it (a broken last line from a killed run is "
                    + "cut off). The options must match the ones the file was written with.")
    boolean resume;

    @Option(names = "--force", description = "Overwrite a non-empty --out (without it, run refuses).")
    boolean force;

    @Option(names = "--limit", paramLabel = "L", description = "Use only the first L prompts of the file.")
    Integer limit;

    @Option(names = "--skip-too-long",
            description = "Skip the prompts that leave no room to generate in the generator's context window, or that "
                    + "the memory budget cannot hold (each named on stderr), instead of refusing the whole run.")
    boolean skipTooLong;

    @Mixin
    PromptOptions promptOptions;

    /** Stop strings and stop tokens of every prompt's request. */
    private RequestOptions requestOptions = RequestOptions.NONE;

    @Option(names = "--progress", defaultValue = "auto", paramLabel = "MODE",
            description = "auto (a bar on a terminal, else one line per prompt), bar, lines or none.")
    String progress;

    @Override
    public Integer call() throws IOException {
        StrategyName strategy = StrategyName.parse(strategyName, "--strategy");
        if (strategy == StrategyName.BON && n == null) {
            throw new BadInputException("--n is required with --strategy bon: how many responses to sample");
        }
        if (limit != null && limit < 1) {
            throw new BadInputException("--limit must be at least 1, got " + limit);
        }
        if (resume && force) {
            throw new BadInputException("--resume and --force contradict each other: --resume keeps --out, "
                    + "--force overwrites it");
        }
        Progress.Mode progressMode = progressMode();
        Shard shardOf = shard == null ? Shard.ALL : Shard.parse(shard);
        long budget = ByteSizes.parse(memoryBudget, "--memory-budget");
        // Validates every number now (sampling is filled in once the generator's defaults are known).
        DecodingSetup checked = DecodingSetup.of(n, alpha, budget, maxNewTokens, SamplingParams.GREEDY, seed)
                .withDecideEvery(decisionEvery).withMaxBatch(maxBatch);
        checkOutput();
        try (RunOutput output = RunOutput.lock(out)) {
            return run(strategy, shardOf, budget, checked, progressMode, output);
        }
    }

    private Integer run(StrategyName strategy, Shard shardOf, long budget, DecodingSetup checked,
                        Progress.Mode progressMode, RunOutput output) throws IOException {
        List<PromptFile.Item> items = PromptFile.read(prompts).items();
        List<String> texts = items.stream().map(PromptFile.Item::text).toList();
        List<Integer> selected = new ArrayList<>();
        int end = limit == null ? texts.size() : Math.min(limit, texts.size());
        for (int i = 0; i < end; i++) {
            if (shardOf.takes(i)) {
                selected.add(i);
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        try (DecodingModels models = DecodingModels.load(model != null ? model : generatorAlias, rewardModel, rewardLabel, budget)) {
            checkMaxNewTokens(models.generation.model().config().maxPositions());
            SamplingParams params = sampling.resolve(models.generationConfig, models.generatorDir);
            DecodingSetup setup = new DecodingSetup(checked.n(), alpha, budget, maxNewTokens, params, seed,
                    decisionEvery, maxBatch);
            ObjectNode paramsJson = params(strategy, setup, models);
            RunFile existing = resume && Files.exists(out) ? RunFile.read(out) : null;
            ObjectNode provenance = Provenance.of(models);
            Set<Integer> done = existing == null ? Set.of() : alreadyDone(existing, paramsJson, provenance, texts);
            List<Integer> todo = selected.stream().filter(i -> !done.contains(i)).toList();
            int skipped = selected.size() - todo.size();
            if (todo.isEmpty()) {
                err.println("nothing to do: all " + selected.size() + " selected prompt(s) are already in " + out);
                err.flush();
                return Main.EXIT_OK;
            }
            Strategy decoder = models.strategy(strategy);
            requestOptions = promptOptions.requestOptions(models.generation.tokenizer());
            List<Encoded> encoded = encodeAll(models, items, todo, err); // before --out is touched
            encoded = checkBudget(decoder, setup, encoded, err);
            if (encoded.isEmpty()) {
                err.println("nothing to do: every selected prompt is too long for the context window or the budget");
                err.flush();
                return Main.EXIT_OK;
            }
            openOutput(output, existing);
            warmUp(models, encoded.get(0).prompt(), setup, err);
            runAll(decoder, setup, paramsJson, provenance, items, encoded, output, progressMode, err);
            if (skipped > 0) {
                err.println(skipped + " prompt(s) already in " + out + " were skipped");
            }
            err.flush();
            return Main.EXIT_OK;
        }
    }

    private void runAll(Strategy strategy, DecodingSetup setup, ObjectNode paramsJson, ObjectNode provenance,
                        List<PromptFile.Item> items, List<Encoded> todo, RunOutput output, Progress.Mode mode,
                        PrintWriter err)
            throws IOException {
        Progress bar = new Progress(err, mode, todo.size());
        bar.start();
        long started = System.nanoTime();
        long tokens = 0;
        try {
            for (Encoded e : todo) {
                int index = e.index();
                Prompt prompt = e.prompt();
                long promptSeed = PromptSeeds.forPrompt(seed, index);
                Result result = strategy.run(prompt, setup.withSeed(promptSeed), requestOptions);
                // one write per whole record: a killed run loses at most the prompt in progress
                output.writeLine(Json.line(RunRecordWriter.record(index, items.get(index), promptSeed, paramsJson,
                        provenance, result)));
                tokens += result.stats().generatedTokens();
                bar.promptDone(index, result.best().score(), result.trajectories().size(),
                        result.stats().generatedTokens(), result.stats().wallSeconds());
            }
        } finally {
            bar.finish();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        err.printf(Locale.ROOT, "wrote %d prompt(s) to %s in %.1f s (%d generated tokens, %.1f tokens/s)%n",
                todo.size(), out, seconds, tokens, tokens / Math.max(seconds, 1e-9));
    }

    /**
     * One short untimed Best-of-2 of the first prompt, so that class loading and the JIT's first compilations are
     * not billed to the first timed prompt (they were a quarter to a third of a six-prompt run's wall time). Its
     * result is dropped; no record depends on it, since every prompt runs from its own seed and no state of a
     * request outlives it.
     */
    private void warmUp(DecodingModels models, Prompt first, DecodingSetup setup, PrintWriter err) {
        long started = System.nanoTime();
        DecodingSetup small = DecodingSetup.of(2, 0.5, setup.memoryBudgetBytes(), Math.min(8, maxNewTokens),
                setup.sampling(), seed);
        try {
            models.strategy(StrategyName.BON).run(first, small, RequestOptions.NONE);
        } catch (BadInputException e) {
            return; // the budget cannot hold even this; the timed prompts were checked and will run
        }
        err.printf(Locale.ROOT, "warm-up (untimed): %.1f s%n", (System.nanoTime() - started) / 1e9);
        err.flush();
    }

    /**
     * No response can be longer than the context window, so a --max-new-tokens past it is a mistake; left through,
     * Best-of-N sizes its waves for that horizon and reports the memory budget as the problem.
     */
    private void checkMaxNewTokens(int context) {
        if (maxNewTokens >= context) {
            throw new BadInputException("--max-new-tokens " + maxNewTokens + " is not less than the generator's "
                    + "context window of " + context + " tokens (max_position_embeddings), which holds the prompt too; "
                    + "use at most " + (context - 1));
        }
    }

    /** A prompt to run: its index in the file and its tokens after the chat template. */
    private record Encoded(int index, Prompt prompt) {
    }

    /**
     * Encodes every prompt to run before generating anything, so a prompt that leaves no room to generate stops the
     * run before it has spent any time, with all such prompts named at once; with {@code --skip-too-long} those
     * prompts are named on stderr and left out instead.
     */
    private List<Encoded> encodeAll(DecodingModels models, List<PromptFile.Item> items, List<Integer> todo,
                                    PrintWriter err) {
        int context = models.generation.model().config().maxPositions();
        List<Encoded> encoded = new ArrayList<>(todo.size());
        List<String> tooLong = new ArrayList<>();
        for (int index : todo) {
            PromptFile.Item item = items.get(index);
            Prompt prompt = item.messages() == null
                    ? models.generation.promptEncoder().encode(item.text(), promptOptions.system,
                            promptOptions.templateKwargs())
                    : models.generation.promptEncoder().encode(item.messages(), promptOptions.system,
                            promptOptions.templateKwargs());
            if (prompt.ids().length + 1 > context) {
                tooLong.add(index + " (" + prompt.ids().length + " tokens)");
            } else {
                encoded.add(new Encoded(index, prompt));
            }
        }
        if (!tooLong.isEmpty()) {
            int shown = Math.min(tooLong.size(), 10);
            String which = tooLong.size() + " prompt(s) leave no room to generate in the generator's context window of "
                    + context + " tokens (after the chat template): " + String.join(", ", tooLong.subList(0, shown))
                    + (tooLong.size() > shown ? ", ..." : "");
            if (!skipTooLong) {
                throw new BadInputException(prompts + ": " + which + "; remove them from the file, pass "
                        + "--skip-too-long, or run the others with --limit/--shard. Nothing was generated.");
            }
            err.println("skipping: " + which);
        }
        return encoded;
    }

    /**
     * Plans every prompt against the budget before anything runs (the strategies' own checks, nothing generated), so
     * a prompt the budget cannot hold stops the run up front, all such prompts named at once, instead of after the
     * ones before it; with {@code --skip-too-long} they are named on stderr and left out.
     */
    private List<Encoded> checkBudget(Strategy decoder, DecodingSetup setup, List<Encoded> encoded, PrintWriter err) {
        List<Encoded> fit = new ArrayList<>(encoded.size());
        List<String> failed = new ArrayList<>();
        String reason = null;
        for (Encoded e : encoded) {
            try {
                decoder.check(e.prompt(), setup, requestOptions);
                fit.add(e);
            } catch (BadInputException ex) {
                failed.add(e.index() + " (" + e.prompt().length() + " tokens)");
                reason = reason == null ? ex.getMessage() : reason;
            }
        }
        if (!failed.isEmpty()) {
            int shown = Math.min(failed.size(), 10);
            String which = failed.size() + " prompt(s) cannot run in the budget: "
                    + String.join(", ", failed.subList(0, shown)) + (failed.size() > shown ? ", ..." : "")
                    + "; the first: " + reason;
            if (!skipTooLong) {
                throw new BadInputException(prompts + ": " + which + ". Nothing was generated.");
            }
            err.println("skipping: " + which);
        }
        return fit;
    }

    /** The options that decide the results, written on every line so a file says how it was made. */
    private ObjectNode params(StrategyName strategy, DecodingSetup s, DecodingModels models) {
        ObjectNode p = Json.object();
        p.put("strategy", strategy.cliName);
        if (s.n() == null) {
            p.putNull("n");
        } else {
            p.put("n", s.n());
        }
        if (strategy == StrategyName.BON) {
            p.putNull("alpha"); // Best-of-N rejects nothing: a number here would look like a setting it used
        } else {
            p.put("alpha", s.alpha());
        }
        p.put("memory_budget", s.memoryBudgetBytes());
        p.put("max_new_tokens", s.maxNewTokens());
        p.put("greedy", s.sampling().greedy());
        p.put("temperature", s.sampling().temperature());
        p.put("top_k", s.sampling().topK());
        p.put("top_p", s.sampling().topP());
        promptOptions.record(p);
        // Written only when set, so files made without them read the same as before they existed.
        if (s.sampling().repetitionPenalty() != 1.0) {
            p.put("repetition_penalty", s.sampling().repetitionPenalty());
        }
        if (s.sampling().presencePenalty() != 0.0) {
            p.put("presence_penalty", s.sampling().presencePenalty());
        }
        if (s.sampling().frequencyPenalty() != 0.0) {
            p.put("frequency_penalty", s.sampling().frequencyPenalty());
        }
        if (s.sampling().minP() != 0.0) {
            p.put("min_p", s.sampling().minP());
        }
        p.put("seed", s.seed());
        if (s.decideEvery() == null) {
            p.putNull("decision_every");
        } else {
            p.put("decision_every", s.decideEvery());
        }
        p.put("max_batch", s.maxBatch());
        p.put("generator", models.generatorDir.toAbsolutePath().normalize().toString());
        p.put("reward_model", models.rewardName());
        p.put("reward_label", rewardLabel);
        p.put("kv_cache", models.generation.model().kvPrecision().label());
        p.put("matmul", models.generation.model().matmulBackend().choice());
        return p;
    }

    /** Prompt indices already in the file, after checking it was written by the same options and prompts. */
    private Set<Integer> alreadyDone(RunFile existing, ObjectNode params, ObjectNode provenance, List<String> texts)
            throws IOException {
        JsonNode expected = Json.MAPPER.readTree(Json.line(params)); // same number types as a parsed line
        Set<Integer> done = new HashSet<>();
        for (RunRecord r : existing.records) {
            JsonNode found = r.params();
            if (found.isObject() && "bon".equals(found.path("strategy").asText()) && found.path("alpha").isNumber()) {
                // Written when Best-of-N lines carried the unused --alpha default; it never changed a result.
                found = ((ObjectNode) found.deepCopy()).putNull("alpha");
            }
            if (found.isObject() && !(found.has("kv_cache") && found.has("matmul"))) {
                // Written before these were recorded: --kv-cache did not exist (so f32); the backend is unknown.
                ObjectNode filled = (ObjectNode) found.deepCopy();
                if (!found.has("kv_cache")) {
                    filled.put("kv_cache", "f32");
                }
                if (!found.has("matmul")) {
                    filled.set("matmul", expected.get("matmul"));
                }
                found = filled;
            }
            found = SameModels.aligned(found, r.provenance(), expected, provenance);
            if (!found.equals(expected)) {
                throw new BadInputException("--resume: " + out + " line " + r.line() + " was written with other "
                        + "options (" + difference(found, expected) + "); rerun with the same options or "
                        + "write to a new --out");
            }
            int i = r.promptIndex();
            if (i >= texts.size() || !texts.get(i).equals(r.prompt())) {
                throw new BadInputException("--resume: " + out + " line " + r.line() + " holds prompt " + i
                        + ", which is not prompt " + i + " of " + prompts + "; was it written for another file?");
            }
            if (!done.add(i)) {
                // two writers, or files concatenated: which copy is right cannot be told, so nothing is guessed
                throw new BadInputException("--resume: " + out + " line " + r.line() + " repeats prompt_index " + i
                        + "; a run file holds each prompt once: remove the extra line(s) and resume again");
            }
        }
        return done;
    }

    private static String difference(JsonNode found, JsonNode expected) {
        for (var it = expected.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!expected.get(f).equals(found.get(f))) {
                return f + " " + found.get(f) + " in the file, " + expected.get(f) + " now";
            }
        }
        return "fields differ";
    }

    private void checkOutput() throws IOException {
        if (out.toString().isBlank()) { // Path.of("") is the current directory
            throw new BadInputException("--out is empty: give the file to write the results to");
        }
        if (Files.isDirectory(out)) {
            throw new BadInputException("--out " + out + ": is a directory, expected a file");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new BadInputException("--out " + out + ": directory " + parent + " does not exist");
        }
        if (Files.exists(out) && Files.exists(prompts) && Files.isSameFile(out, prompts)) {
            throw new BadInputException("--out " + out + " is the prompts file " + prompts + " (the same file"
                    + (Files.isSymbolicLink(out) ? ", through a symlink" : "") + "); the results would replace the "
                    + "prompts: choose another --out");
        }
        if (!resume && !force && Files.exists(out) && Files.size(out) > 0) {
            throw new BadInputException("--out " + out + ": already exists; pass --resume to continue it or "
                    + "--force to overwrite it");
        }
    }

    /** Starts --out over, or (--resume) appends after its last whole record. */
    private void openOutput(RunOutput output, RunFile existing) throws IOException {
        if (existing == null) {
            output.truncate(0);
            return;
        }
        if (existing.truncatedTail) {
            output.truncate(existing.validBytes);
            spec.commandLine().getErr().println("warning: " + out + ": cut off an incomplete last line "
                    + "(a killed run); that prompt runs again");
        } else {
            output.truncate(output.size());
        }
        if (existing.missingFinalNewline) {
            output.writeLine("");
        }
    }

    private Progress.Mode progressMode() {
        try {
            return Progress.Mode.valueOf(progress.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--progress: \"" + progress + "\" is not one of auto, bar, lines, none");
        }
    }
}
