package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.decoding.DecodingSetup;
import io.specrej.decoding.Prompt;
import io.specrej.decoding.Result;
import io.specrej.decoding.SpeculativeRejection;
import io.specrej.engine.BadInputException;
import io.specrej.engine.sample.SamplingParams;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code specrej demo}: the paper's comparison on a few bundled prompts with the embedded models. Speculative
 * Rejection's claim is about equal memory: where Best-of-N fits N responses at once, it starts several times more in
 * the same memory and prunes by partial reward. So all three runs of a prompt share one memory budget: Best-of-N with
 * N what fits in one wave of full-length responses, Speculative Rejection starting what fits until its first
 * decision, and Best-of-N0 with N0 that start (the cost of finishing every response Speculative Rejection started).
 * Candidate i draws from random stream i in all three, so Best-of-N's responses are the first N of Best-of-N0's, and
 * Speculative Rejection's are Best-of-N0's cut short.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Best-of-N vs Speculative Rejection at equal memory on a few bundled prompts with the embedded "
                + "models (models/" + DefaultModels.GENERATOR + ", models/" + DefaultModels.REWARD_MODEL + ").",
                "In one memory budget for all: Best-of-N runs the N responses that fit in one wave; Speculative "
                        + "Rejection starts the N0 that fit until its first decision and, whenever the next step "
                        + "would not fit, drops the lowest alpha by partial reward; Best-of-N0 finishes all N0 (in "
                        + "waves), the cost of matching that start without rejection."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ThreadsOption threadsOption;

    @Option(names = "--prompt-count", paramLabel = "P",
            description = "How many of the bundled prompts to run, 1 to 5 (default 3).")
    Integer promptCountOption;

    // The count's old name, which read like run's --prompts FILE; kept so old command lines work.
    @Option(names = "--prompts", hidden = true, paramLabel = "P")
    Integer promptsAlias;

    int promptCount;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Generator (a causal LM). Default: the embedded models/" + DefaultModels.GENERATOR + ".")
    java.nio.file.Path model;

    @Option(names = "--reward-model", paramLabel = "DIR|self",
            description = "Reward model, or self. Default: the embedded models/" + DefaultModels.REWARD_MODEL + ".")
    String rewardModel;

    @Option(names = "--memory-budget", defaultValue = "6MiB", paramLabel = "BYTES",
            description = "KV memory of generator and reward model together, the same for every strategy "
                    + "(default 6MiB: about 7 full responses of 64 tokens with the embedded models and an f32 "
                    + "cache).")
    String memoryBudget;

    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A",
            description = "Fraction Speculative Rejection drops at each decision (default 0.5).")
    double alpha;

    @Option(names = "--max-new-tokens", defaultValue = "64", paramLabel = "M",
            description = "Most tokens per response (default 64).")
    int maxNewTokens;

    @Option(names = {"--decision-every", "--decide-every"}, paramLabel = "K",
            description = "Speculative Rejection also decides every K tokens (default: only when memory is full, "
                    + "as in the paper).")
    Integer decisionEvery;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default 0).")
    long seed;

    @Override
    public Integer call() throws IOException {
        List<String> prompts = bundledPrompts();
        promptCount = promptCountOption != null ? promptCountOption : promptsAlias != null ? promptsAlias : 3;
        if (promptCount < 1 || promptCount > prompts.size()) {
            throw new BadInputException("--prompt-count must be 1 to " + prompts.size() + ", got " + promptCount);
        }
        long budget = ByteSizes.parse(memoryBudget, "--memory-budget");
        DecodingSetup checked = DecodingSetup.of(null, alpha, budget, maxNewTokens, SamplingParams.GREEDY, seed)
                .withDecideEvery(decisionEvery);
        PrintWriter out = spec.commandLine().getOut();
        try (DecodingModels models = DecodingModels.load(model, rewardModel, 0, 0)) {
            SamplingParams sampling = new SamplingOptions().resolve(models.generationConfig, models.generatorDir);
            intro(out, sampling, budget);
            warmUp(models, prompts.get(0), sampling, budget);
            DemoReport report = new DemoReport(out, promptCount);
            List<DemoReport.Prompt> results = new ArrayList<>();
            for (int p = 0; p < promptCount; p++) {
                String text = prompts.get(p);
                Prompt prompt = models.generation.promptEncoder().encode(text);
                DecodingSetup setup = new DecodingSetup(null, alpha, budget, maxNewTokens, sampling,
                        PromptSeeds.forPrompt(seed, p), checked.decideEvery(), checked.maxBatch());
                // The budget chooses Speculative Rejection's start; Best-of-(that start) then runs in waves of what
                // fits for the whole horizon, which is the N of Best-of-N at this budget.
                Result specRej = models.strategy(StrategyName.SPECREJ).run(prompt, setup);
                int started = specRej.stats().initialBatch();
                Result bestOfStarted = models.strategy(StrategyName.BON).run(prompt, setup.withN(started));
                int fits = bestOfStarted.stats().initialBatch();
                Result bestOfFits = models.strategy(StrategyName.BON).run(prompt, setup.withN(fits));
                DemoReport.Prompt result = new DemoReport.Prompt(text, bestOfFits, specRej, bestOfStarted);
                results.add(result);
                report.prompt(p, result);
            }
            report.total(results);
            return Main.EXIT_OK;
        }
    }

    /**
     * A short untimed run of both strategies first: the JIT compiles the hot loops during the first few hundred
     * tokens, and without this the first strategy timed would pay for it alone.
     */
    private void warmUp(DecodingModels models, String text, SamplingParams sampling, long budget) {
        Prompt prompt = models.generation.promptEncoder().encode(text);
        DecodingSetup setup = new DecodingSetup(null, alpha, budget, Math.min(maxNewTokens, 16), sampling, seed,
                null, DecodingSetup.DEFAULT_MAX_BATCH);
        models.strategy(StrategyName.SPECREJ).run(prompt, setup);
        models.strategy(StrategyName.BON).run(prompt, setup.withN(4));
    }

    private void intro(PrintWriter out, SamplingParams sampling, long budget) {
        out.println("SpecRej demo: generator models/" + DefaultModels.GENERATOR + ", reward model models/"
                + DefaultModels.REWARD_MODEL);
        out.println("One memory budget for every strategy: " + Units.bytes(budget) + " of KV (generator and reward "
                + "model together); up to " + maxNewTokens + " new tokens, " + SamplingOptions.describe(sampling)
                + ", seed " + seed + ".");
        out.println("Best-of-N: N is what fits in one wave of full-length responses; each is scored once, finished.");
        out.printf(Locale.ROOT, "Speculative Rejection: starts what fits until its first decision (%d tokens each); "
                        + "%s it scores the partial responses and drops the lowest %.0f%%.%n",
                SpeculativeRejection.MIN_TOKENS_PER_SEQUENCE,
                decisionEvery == null ? "whenever the next step would not fit,"
                        : "every " + decisionEvery + " tokens, and whenever the next step would not fit,",
                100 * alpha);
        out.println("Best-of-N0: N0 is Speculative Rejection's start, every response finished (in waves): what "
                + "matching that start costs without rejection.");
        out.println("Candidate i draws the same tokens in all three. All ran once untimed first, so none pays for JIT "
                + "warm-up.");
        out.println();
        out.flush();
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
