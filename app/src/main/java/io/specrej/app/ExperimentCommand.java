package io.specrej.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.decoding.BestOfN;
import io.specrej.decoding.DecodingSetup;
import io.specrej.decoding.Prompt;
import io.specrej.engine.BadInputException;
import io.specrej.engine.sample.SamplingParams;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code specrej experiment SPEC --out DIR}: the paper's protocol in one command. Runs every arm of the spec with
 * {@code run}'s machinery into DIR/arms (one run file per arm; rerunning resumes and skips what is complete), then
 * writes DIR/report.md, DIR/report.json and DIR/compare.png ({@link ExperimentReport}). docs/EXPERIMENTS.md.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = {"Run an experiment spec (YAML or JSON, docs/EXPERIMENTS.md): Best-of-N for each N and "
                + "Speculative Rejection for each alpha at one memory budget, then report improvement score against "
                + "relative compute (report.md, report.json, compare.png). Rerunning the same command resumes."})
final class ExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ThreadsOption threadsOption;

    @Parameters(index = "0", paramLabel = "SPEC", description = "The experiment spec (.yaml or .json).")
    Path specFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--shard", paramLabel = "i/k|auto",
            description = "Run only this shard of every arm's prompts (merge the shards' arms with 'specrej merge', "
                    + "then rerun without --shard to write the report).")
    String shard;

    /** Appended to each arm's file name when this process runs one shard (every shard writes its own files). */
    private String fileSuffix = "";

    @Override
    public Integer call() throws IOException {
        ExperimentSpec s = ExperimentSpec.read(specFile);
        PrintWriter err = spec.commandLine().getErr();
        Files.createDirectories(out.resolve("arms"));
        // One experiment (or shard of one) per folder at a time; each arm's run also locks its own file.
        Shard part = shard == null ? null : Shard.parse(shard);
        String suffix = part == null ? "" : ".shard-" + part.index() + "-of-" + part.count();
        try (RunOutput lock = RunOutput.lock(out.resolve("experiment" + suffix + ".lock"))) {
            this.fileSuffix = suffix;
            return runLocked(s, err);
        }
    }

    private int runLocked(ExperimentSpec s, PrintWriter err) throws IOException {
        Path prompts = writePrompts(s);
        long budget = s.memoryBudget() != null ? s.memoryBudget() : oneMachine(s, prompts, err);
        List<Arm> arms = arms(s);
        boolean warm = false;
        for (Arm arm : arms) {
            Path file = out.resolve("arms").resolve(arm.file().replace(".jsonl", fileSuffix + ".jsonl"));
            List<Object> args = new ArrayList<>(List.of("run", "--prompts", prompts, "--out", file,
                    "--progress", "none", "--max-new-tokens", s.maxNewTokens(), "--seed", s.seed(),
                    "--memory-budget", budget, "--max-batch", 100000, "--reward-label", s.rewardLabel()));
            if (Files.exists(file)) {
                args.add("--resume");
            }
            if (s.generator() != null) {
                args.addAll(List.of("--model", s.generator()));
            }
            if (s.rewardModel() != null) {
                args.addAll(List.of("--reward-model", s.rewardModel()));
            }
            if (s.temperature() != null) {
                args.addAll(List.of("--temperature", s.temperature()));
            }
            if (s.topK() != null) {
                args.addAll(List.of("--top-k", s.topK()));
            }
            if (s.topP() != null) {
                args.addAll(List.of("--top-p", s.topP()));
            }
            if (shard != null) {
                Shard part = Shard.parse(shard);
                args.addAll(List.of("--shard", part.index() + "/" + part.count()));
            }
            args.addAll(arm.options());
            args.addAll(engineOptions.asArguments()); // each run is a command of its own: pass them on
            if (!warm && shard == null && !complete(file, prompts)) {
                warmUp(s, prompts, budget, err); // JIT warm-up off the clock: the first arm's first prompt is timed
                warm = true;
            }
            err.println("experiment: " + arm.label() + " -> " + file);
            err.flush();
            int code = Main.run(strings(args), spec.commandLine().getOut(), err);
            if (code != Main.EXIT_OK) {
                return code;
            }
        }
        if (shard != null) {
            err.println("experiment: shard " + shard + " done; merge each arm's shards (specrej merge --out "
                    + out.resolve("arms") + "/ARM.jsonl ARM.shard-*.jsonl), then rerun without --shard");
            return Main.EXIT_OK;
        }
        ExperimentReport.write(s, budget, arms, out, err);
        err.println("experiment: wrote " + out.resolve("report.md") + ", report.json and compare.png");
        err.flush();
        return Main.EXIT_OK;
    }

    /** One arm: its run options, its file name and a label. */
    record Arm(String file, String label, List<Object> options, Integer n, Double alpha, Integer decisionEvery) {
        boolean bestOfN() {
            return alpha == null;
        }
    }

    static List<Arm> arms(ExperimentSpec s) {
        List<Arm> arms = new ArrayList<>();
        for (int n : s.bestOfN()) {
            arms.add(new Arm("bon-" + n + ".jsonl", "Best-of-" + n,
                    List.of("--strategy", "bon", "--n", n), n, null, null));
        }
        for (double alpha : s.alphas()) {
            for (Integer every : s.decisionEvery()) {
                String a = String.format(Locale.ROOT, "%s", alpha);
                List<Object> options = new ArrayList<>(List.of("--strategy", "specrej", "--alpha", alpha));
                if (every != null) {
                    options.addAll(List.of("--decision-every", every));
                }
                arms.add(new Arm("specrej-a" + a + (every == null ? "" : "-every" + every) + ".jsonl",
                        "Speculative Rejection alpha=" + a + (every == null ? "" : " every " + every),
                        List.copyOf(options), null, alpha, every));
            }
        }
        return arms;
    }

    /** The selected prompts (limit, then a seeded sample in dataset order) as DIR/prompts.jsonl, kept if the same. */
    private Path writePrompts(ExperimentSpec s) throws IOException {
        List<String> texts = new ArrayList<>(PromptFile.read(s.prompts()).texts());
        if (s.limit() != null && s.limit() < texts.size()) {
            texts = new ArrayList<>(texts.subList(0, s.limit()));
        }
        if (s.sampleCount() != null && s.sampleCount() < texts.size()) {
            // A partial Fisher-Yates over the indices, then back into dataset order.
            int[] order = new int[texts.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            SplittableRandom random = new SplittableRandom(s.sampleSeed());
            for (int i = 0; i < s.sampleCount(); i++) {
                int j = i + random.nextInt(order.length - i);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            int[] chosen = java.util.Arrays.copyOf(order, s.sampleCount());
            java.util.Arrays.sort(chosen);
            List<String> picked = new ArrayList<>();
            for (int i : chosen) {
                picked.add(texts.get(i));
            }
            texts = picked;
        }
        StringBuilder jsonl = new StringBuilder();
        for (String t : texts) {
            ObjectNode o = Json.object();
            o.put("prompt", t);
            jsonl.append(Json.line(o)).append('\n');
        }
        Path file = out.resolve("prompts.jsonl");
        String text = jsonl.toString();
        if (Files.exists(file) && !Files.readString(file, StandardCharsets.UTF_8).equals(text)) {
            throw new BadInputException("--out " + out + " holds an experiment over other prompts (" + file
                    + " differs from this spec's selection); use another --out");
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    /** "One machine": the KV that the smallest Best-of-N needs to run in one wave on the longest prompt. */
    private static long oneMachine(ExperimentSpec s, Path prompts, PrintWriter err) throws IOException {
        int n = s.bestOfN().stream().mapToInt(Integer::intValue).min().orElseThrow();
        try (DecodingModels models = DecodingModels.load(s.generator(), s.rewardModel(), s.rewardLabel(), 0)) {
            BestOfN bon = new BestOfN(models.generation, models.scorer);
            DecodingSetup setup = DecodingSetup.of(n, 0, Long.MAX_VALUE / 4, s.maxNewTokens(), SamplingParams.GREEDY,
                    0);
            long most = 0;
            for (String text : PromptFile.read(prompts).texts()) {
                Prompt prompt = models.generation.promptEncoder().encode(text);
                most = Math.max(most, bon.oneWaveBytes(prompt, setup));
            }
            err.println("experiment: memory budget " + most + " bytes (Best-of-" + n + " in one wave on the longest"
                    + " prompt)");
            return most;
        }
    }

    private static boolean complete(Path file, Path prompts) throws IOException {
        return Files.exists(file)
                && RunFile.read(file).records.size() >= PromptFile.read(prompts).texts().size();
    }

    /**
     * Runs the smallest Best-of-N on the first few prompts, untimed, so that every arm is timed with compiled code:
     * the JIT needs seconds of decoding and scoring, not a few tokens, before the kernels run at speed.
     */
    private void warmUp(ExperimentSpec s, Path prompts, long budget, PrintWriter err) throws IOException {
        Path scratch = Files.createTempFile("specrej-warmup", ".jsonl");
        try {
            int n = s.bestOfN().stream().mapToInt(Integer::intValue).min().orElseThrow();
            List<Object> args = new ArrayList<>(List.of("run", "--prompts", prompts, "--limit", WARM_UP_PROMPTS,
                    "--strategy", "bon", "--n", n, "--max-new-tokens", s.maxNewTokens(), "--memory-budget", budget,
                    "--out", scratch, "--force", "--progress", "none", "--seed", s.seed() + 1));
            args.addAll(engineOptions.asArguments());
            if (s.generator() != null) {
                args.addAll(List.of("--model", s.generator()));
            }
            if (s.rewardModel() != null) {
                args.addAll(List.of("--reward-model", s.rewardModel()));
            }
            err.println("experiment: warming up (Best-of-" + n + " on " + WARM_UP_PROMPTS + " prompts, untimed)");
            err.flush();
            Main.run(strings(args), new PrintWriter(java.io.Writer.nullWriter()),
                    new PrintWriter(java.io.Writer.nullWriter()));
        } finally {
            Files.deleteIfExists(scratch);
            Files.deleteIfExists(scratch.resolveSibling(scratch.getFileName() + ".lock"));
        }
    }

    private static final int WARM_UP_PROMPTS = 4;

    private static String[] strings(List<Object> args) {
        return args.stream().map(String::valueOf).toArray(String[]::new);
    }
}
