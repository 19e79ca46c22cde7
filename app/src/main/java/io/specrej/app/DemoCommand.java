package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.decoding.DecodingSetup;
import io.specrej.decoding.Prompt;
import io.specrej.decoding.Result;
import io.specrej.engine.BadInputException;
import io.specrej.engine.sample.SamplingParams;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code specrej demo}: Best-of-N and Speculative Rejection side by side on a few bundled prompts, with the embedded
 * models. Rejection runs on a fixed schedule (every --decision-every tokens) under a budget too large to force any
 * decision, so what is compared is the algorithm, not a memory limit.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Best-of-N vs Speculative Rejection on a few bundled prompts with the embedded models "
                + "(models/" + DefaultModels.GENERATOR + ", models/" + DefaultModels.REWARD_MODEL + ").",
                "Both start the same N responses from the same random streams; Speculative Rejection scores the "
                        + "partial responses every --decision-every tokens and drops the lowest alpha. The memory "
                        + "budget (" + DemoCommand.BUDGET + ") is far larger than the models need, so only that "
                        + "schedule decides."})
final class DemoCommand implements Callable<Integer> {
    static final String BUDGET = "2GiB";
    private static final int SHOWN_CHARS = 200;

    @Spec
    CommandSpec spec;

    @Option(names = "--prompts", defaultValue = "3", paramLabel = "P",
            description = "How many of the bundled prompts to run, 1 to 5 (default 3).")
    int promptCount;

    @Option(names = "--n", defaultValue = "16", paramLabel = "N", description = "Responses per prompt (default 16).")
    int n;

    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A",
            description = "Fraction rejected at each decision (default 0.5).")
    double alpha;

    @Option(names = "--max-new-tokens", defaultValue = "64", paramLabel = "M",
            description = "Most tokens per response (default 64).")
    int maxNewTokens;

    @Option(names = {"--decision-every", "--decide-every"}, defaultValue = "16", paramLabel = "K",
            description = "Speculative Rejection decides every K tokens (default 16: 3 decisions in 64 tokens).")
    int decisionEvery;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default 0).")
    long seed;

    private record Pair(String prompt, Result bon, Result spr) {
    }

    @Override
    public Integer call() throws IOException {
        List<String> prompts = bundledPrompts();
        if (promptCount < 1 || promptCount > prompts.size()) {
            throw new BadInputException("--prompts must be 1 to " + prompts.size() + ", got " + promptCount);
        }
        long budget = ByteSizes.parse(BUDGET, "budget");
        DecodingSetup checked = DecodingSetup.of(n, alpha, budget, maxNewTokens, SamplingParams.GREEDY, seed)
                .withDecideEvery(decisionEvery);
        PrintWriter out = spec.commandLine().getOut();
        try (DecodingModels models = DecodingModels.load(null, null, 0, 0)) {
            SamplingParams sampling = new SamplingOptions().resolve(models.generationConfig, models.generatorDir);
            intro(out, sampling, budget);
            warmUp(models, prompts.get(0), sampling, budget);
            List<Pair> pairs = new ArrayList<>();
            for (int p = 0; p < promptCount; p++) {
                String text = prompts.get(p);
                Prompt prompt = models.generation.promptEncoder().encode(text);
                DecodingSetup setup = new DecodingSetup(n, alpha, budget, maxNewTokens, sampling,
                        PromptSeeds.forPrompt(seed, p), checked.decideEvery(), checked.maxBatch());
                Result bon = models.strategy(StrategyName.BON).run(prompt, setup);
                Result spr = models.strategy(StrategyName.SPECREJ).run(prompt, setup);
                Pair pair = new Pair(text, bon, spr);
                pairs.add(pair);
                printPrompt(out, p, pair);
            }
            printTotal(out, pairs);
            return Main.EXIT_OK;
        }
    }

    /**
     * A short untimed run of both strategies first: the JIT compiles the hot loops during the first few hundred
     * tokens, and without this the first strategy timed would pay for it alone.
     */
    private void warmUp(DecodingModels models, String text, SamplingParams sampling, long budget) {
        Prompt prompt = models.generation.promptEncoder().encode(text);
        DecodingSetup setup = new DecodingSetup(Math.min(n, 8), alpha, budget, Math.min(maxNewTokens, 16), sampling,
                seed, Math.min(decisionEvery, 4), DecodingSetup.DEFAULT_MAX_BATCH);
        models.strategy(StrategyName.BON).run(prompt, setup);
        models.strategy(StrategyName.SPECREJ).run(prompt, setup);
    }

    private void intro(PrintWriter out, SamplingParams sampling, long budget) {
        out.println("SpecRej demo: generator models/" + DefaultModels.GENERATOR + ", reward model models/"
                + DefaultModels.REWARD_MODEL);
        out.println("N = " + n + " responses per prompt, up to " + maxNewTokens + " new tokens, "
                + SamplingOptions.describe(sampling) + ", seed " + seed);
        out.println("Best-of-N finishes all " + n + " responses, then scores each once.");
        out.printf(Locale.ROOT, "Speculative Rejection starts the same %d (same random streams) and every %d tokens "
                + "scores the partial responses and drops the lowest %.0f%%;%n", n, decisionEvery, 100 * alpha);
        out.println("the memory budget (" + Units.bytes(budget) + ") is far more than these models need, so only "
                + "that schedule decides. Both ran once untimed first, so neither pays for JIT warm-up.");
        out.println();
        out.flush();
    }

    private void printPrompt(PrintWriter out, int index, Pair p) {
        out.println("[" + (index + 1) + "/" + promptCount + "] " + p.prompt());
        table(p.bon().stats(), p.spr().stats(), p.bon().best().score(), p.spr().best().score()).print(out);
        out.println("  SpecRej decisions (tokens: ranked -> kept): " + decisions(p.spr().stats()));
        out.println("  Best-of-N best:   " + shown(p.bon().best().text()));
        out.println("  SpecRej best:     " + shown(p.spr().best().text()));
        out.println();
        out.flush();
    }

    private void printTotal(PrintWriter out, List<Pair> pairs) {
        double bonWall = pairs.stream().mapToDouble(p -> p.bon().stats().wallSeconds()).sum();
        double sprWall = pairs.stream().mapToDouble(p -> p.spr().stats().wallSeconds()).sum();
        long bonTokens = pairs.stream().mapToLong(p -> p.bon().stats().generatedTokens()).sum();
        long sprTokens = pairs.stream().mapToLong(p -> p.spr().stats().generatedTokens()).sum();
        long bonRm = pairs.stream().mapToLong(p -> p.bon().stats().rewardTokens()).sum();
        long sprRm = pairs.stream().mapToLong(p -> p.spr().stats().rewardTokens()).sum();
        double bonScore = pairs.stream().mapToDouble(p -> p.bon().best().score()).average().orElse(Double.NaN);
        double sprScore = pairs.stream().mapToDouble(p -> p.spr().best().score()).average().orElse(Double.NaN);
        long same = pairs.stream().filter(p -> p.spr().best().id() == p.bon().best().id()).count();
        out.println("Total over " + pairs.size() + " prompt(s) (best score: mean)");
        TextTable t = new TextTable("", "Best-of-N", "SpecRej");
        t.row("best score", TextTable.fixed(bonScore, 4), TextTable.fixed(sprScore, 4));
        t.row("wall time", TextTable.fixed(bonWall, 2) + " s", TextTable.fixed(sprWall, 2) + " s");
        t.row("generated tokens", bonTokens, sprTokens);
        t.row("RM tokens", bonRm, sprRm);
        t.print(out);
        out.printf(Locale.ROOT, "SpecRej used %.0f%% of Best-of-N's wall time, %.0f%% of its generated tokens and "
                        + "%.0f%% of its reward-model tokens; it found Best-of-N's winner on %d of %d prompt(s).%n",
                pct(sprWall, bonWall), pct(sprTokens, bonTokens), pct(sprRm, bonRm), same, pairs.size());
        out.flush();
    }

    private static TextTable table(Result.Stats bon, Result.Stats spr, double bonScore, double sprScore) {
        TextTable t = new TextTable("", "Best-of-N", "SpecRej");
        t.row("best score", TextTable.fixed(bonScore, 4), TextTable.fixed(sprScore, 4));
        t.row("wall time", TextTable.fixed(bon.wallSeconds(), 2) + " s", TextTable.fixed(spr.wallSeconds(), 2) + " s");
        t.row("generated tokens", bon.generatedTokens(), spr.generatedTokens());
        t.row("RM tokens", bon.rewardTokens(), spr.rewardTokens());
        return t;
    }

    private static String decisions(Result.Stats s) {
        if (s.decisions().isEmpty()) {
            return "none";
        }
        return s.decisions().stream()
                .map(d -> d.tokensSoFar() + ": " + d.activeBefore() + " -> " + d.kept())
                .collect(Collectors.joining(", "));
    }

    private static String shown(String text) {
        String flat = text.strip().replaceAll("\\s+", " ");
        return "\"" + (flat.length() > SHOWN_CHARS ? flat.substring(0, SHOWN_CHARS) + "..." : flat) + "\"";
    }

    private static double pct(double part, double whole) {
        return whole > 0 ? 100 * part / whole : Double.NaN;
    }

    static List<String> bundledPrompts() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("/demo-prompts.json")) {
            if (in == null) {
                throw new IllegalStateException("demo-prompts.json is missing from the app's resources");
            }
            List<String> out = new ArrayList<>();
            for (JsonNode node : Json.MAPPER.readTree(in)) {
                out.add(node.get("prompt").asText());
            }
            return out;
        }
    }
}
