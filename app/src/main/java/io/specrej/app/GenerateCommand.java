package io.specrej.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.generate.FinishReason;
import io.specrej.engine.generate.Generator;
import io.specrej.engine.generate.SequenceState;
import io.specrej.engine.generate.StopCondition;
import io.specrej.engine.generate.StopStrings;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.model.Head;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.text.HfTokenizer;
import io.specrej.engine.text.TokenizerFit;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code specrej generate}: n samples from one prompt with a causal LM, no reward model involved. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate n continuations of one prompt with a causal LM.",
                "With --json: one line per sequence, {\"index\",\"token_ids\",\"text\",\"finish_reason\"}; "
                        + "token_ids are the generated tokens only (a final stop token included). text is "
                        + "decode(token_ids, skip_special_tokens=True), or \"\" when the model directory has no "
                        + "tokenizer.json (then use --ids). The timing goes to stderr (with --json as one JSON object "
                        + "{\"time_to_first_token_seconds\",\"decode_tokens_per_second\",...}), so stdout stays the "
                        + "same for the same seed. Without --json one sequence streams as it is generated."})
final class GenerateCommand implements Callable<Integer> {
    static final int DEFAULT_MAX_NEW_TOKENS = RunCommand.DEFAULT_MAX_NEW_TOKENS; // one default for every command

    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ThreadsOption threadsOption;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Hugging Face model directory (config.json, safetensors, tokenizer.json).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptInput input;

    static final class PromptInput {
        @Option(names = "--prompt", required = true, paramLabel = "TEXT",
                description = "Prompt text, encoded as tokenizer(TEXT) does (through the chat template with --chat).")
        String prompt;

        @Option(names = "--ids", required = true, paramLabel = "IDS",
                description = "Prompt as token ids, e.g. 1,2,3 (needs no tokenizer).")
        String ids;
    }

    @Option(names = "--chat",
            description = "Render --prompt as one user message through the model's chat template, with the "
                    + "assistant turn opened (apply_chat_template(add_generation_prompt=True)).")
    boolean chat;

    @Option(names = "--n", defaultValue = "1", paramLabel = "K", description = "Number of sequences (default 1).")
    int n;

    @Option(names = "--max-new-tokens", paramLabel = "M",
            description = "Most tokens to generate per sequence. Default: generation_config.json's max_new_tokens, "
                    + "else " + DEFAULT_MAX_NEW_TOKENS + ".")
    Integer maxNewTokens;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "Random seed; sequence i always uses stream (S, i) (default 0).")
    long seed;

    @Option(names = "--ignore-eos", description = "Do not stop at the end-of-sequence token(s); always generate M.")
    boolean ignoreEos;

    @Option(names = "--json", description = "Print one JSON object per sequence per line.")
    boolean json;

    @Mixin
    PromptOptions promptOptions;

    /** Prefill and first token, then the decode rate: what a streaming user feels, apart. */
    private record Timing(double firstTokenSeconds, double decodeTokensPerSecond) {
    }

    private Timing timing;

    @Option(names = "--print-prompt", description = "Print the prompt as the model sees it (after the chat template) "
            + "on stderr before generating.")
    boolean printPrompt;

    @Option(names = "--memory-budget", defaultValue = RunCommand.DEFAULT_BUDGET, paramLabel = "SIZE",
            description = "Most memory the n sequences may take in KV cache and logits, e.g. 512MiB, 8GiB (default "
                    + RunCommand.DEFAULT_BUDGET + "); --n is checked against it before anything is allocated.")
    String memoryBudget;

    @Override
    public Integer call() {
        // Cheap checks first, so a typo fails before the model loads.
        if (n < 1) {
            throw new BadInputException("--n must be at least 1, got " + n);
        }
        if (maxNewTokens != null && maxNewTokens < 1) {
            throw new BadInputException("--max-new-tokens must be at least 1, got " + maxNewTokens);
        }
        if (chat && input.prompt == null) {
            throw new BadInputException("--chat renders --prompt text; it cannot be used with --ids");
        }
        if (!chat && (promptOptions.system != null || promptOptions.chatTemplateKwargs != null)) {
            throw new BadInputException((promptOptions.system != null ? "--system" : "--chat-template-kwargs")
                    + " goes through the chat template: add --chat");
        }
        int[] parsedIds = input.ids != null ? TokenIds.parse(input.ids, "--ids") : null;
        long budget = ByteSizes.parse(memoryBudget, "--memory-budget");
        if (input.prompt != null && input.prompt.isEmpty()) {
            throw new BadInputException("--prompt is empty: give some text");
        }
        // The tokenizer first: a missing tokenizer.json should fail before a multi-GB model is mapped.
        try (HfTokenizer tokenizer = parsedIds != null ? CliPrompts.loadIfPresent(model)
                     : CliPrompts.require(model, "--prompt");
             TransformerModel lm = TransformerModel.load(model)) {
            if (lm.config().head() != Head.CAUSAL_LM) {
                throw new BadInputException(model + ": " + lm.config().architecture() + " is a sequence "
                        + "classifier; generate needs a causal LM (*ForCausalLM)");
            }
            GenerationConfig generation = GenerationConfig.load(model, lm.config());
            if (tokenizer != null) {
                TokenizerFit.check(model, tokenizer, lm.config(), generation);
            }
            SamplingParams params = sampling.resolve(generation, model);
            String option = parsedIds != null ? "--ids" : "--prompt";
            int[] prompt = parsedIds != null ? parsedIds
                    : chat ? CliPrompts.chat(tokenizer, model, input.prompt, promptOptions.system,
                            promptOptions.templateKwargs(), option)
                    : CliPrompts.plain(tokenizer, input.prompt, option);
            if (printPrompt) {
                spec.commandLine().getErr().println(parsedIds != null || tokenizer == null
                        ? "prompt token ids: " + TokenIds.format(prompt) : tokenizer.decode(prompt, false));
                spec.commandLine().getErr().flush();
            }
            TokenIds.checkVocabulary(prompt, lm.config().vocabSize(), option);
            TokenIds.checkContext(prompt, lm.config().maxPositions(), option, 1);
            int maxNew = maxNewTokens != null ? maxNewTokens
                    : generation.maxNewTokens() != null && generation.maxNewTokens() > 0 ? generation.maxNewTokens()
                    : DEFAULT_MAX_NEW_TOKENS;
            List<Integer> stopIds = new java.util.ArrayList<>(ignoreEos ? List.of() : generation.eosTokenIds());
            stopIds.addAll(promptOptions.stopTokenIds);
            TokenIds.checkVocabulary(stopIds.stream().mapToInt(Integer::intValue).toArray(), lm.config().vocabSize(),
                    "--stop-token-ids");
            StopTokens stop = StopTokens.of(stopIds);
            io.specrej.decoding.RequestOptions options = promptOptions.requestOptions(tokenizer);
            StopCondition condition = options.stop() == null ? StopCondition.NONE : options.stop();
            checkBudget(lm, prompt.length, maxNew, budget);

            long start = System.nanoTime();
            // One sequence in plain text streams as it is generated; otherwise the whole answers print at the end.
            TextStream stream = n == 1 && !json && tokenizer != null
                    ? new TextStream(tokenizer, options.stop(), spec.commandLine().getOut()) : null;
            long[] firstTokens = new long[1]; // when the prompt's pass and the first tokens were done
            List<SequenceState> sequences = new Generator(lm).generate(prompt, n, params, stop, condition, seed,
                    maxNew, all -> {
                        if (firstTokens[0] == 0) {
                            firstTokens[0] = System.nanoTime();
                        }
                        if (stream != null) {
                            stream.update(all.get(0));
                        }
                    });
            long end = System.nanoTime();
            double seconds = (end - start) / 1e9;
            long generatedTokens = sequences.stream().mapToLong(SequenceState::length).sum();
            // The first token of every sequence comes from the prompt's pass; the rest are decode steps.
            timing = new Timing((firstTokens[0] - start) / 1e9, (generatedTokens - n) / Math.max((end - firstTokens[0])
                    / 1e9, 1e-9));
            if (stream != null) {
                stream.finish(sequences.get(0));
            } else {
                print(sequences, tokenizer, options.stop());
            }
            for (SequenceState s : sequences) {
                if (s.finishReason() == FinishReason.LENGTH && s.length() < maxNew) {
                    spec.commandLine().getErr().println("note: sequence " + s.index() + " stopped at " + s.length()
                            + " new tokens: the prompt's " + prompt.length + " tokens and these fill the model's "
                            + "context window of " + lm.config().maxPositions() + " tokens");
                }
            }
            long generated = sequences.stream().mapToLong(SequenceState::length).sum();
            if (json) {
                ObjectNode t = Json.object();
                t.put("sequences", n);
                t.put("prompt_tokens", prompt.length);
                t.put("generated_tokens", generated);
                t.put("seconds", seconds);
                t.put("time_to_first_token_seconds", timing.firstTokenSeconds());
                t.put("decode_tokens_per_second", timing.decodeTokensPerSecond());
                spec.commandLine().getErr().println(Json.line(t));
                spec.commandLine().getErr().flush();
            } else {
                spec.commandLine().getErr().printf(Locale.ROOT,
                        "%d sequence(s), prompt %d tokens, %s: %d tokens in %.2f s (%.1f tokens/s); prefill and first "
                                + "token %.3f s, then decode %.1f tokens/s%n",
                        n, prompt.length, SamplingOptions.describe(params), generated, seconds,
                        generated / Math.max(seconds, 1e-9), timing.firstTokenSeconds(), timing.decodeTokensPerSecond());
            }
            return Main.EXIT_OK;
        }
    }

    /**
     * Refuses an --n whose sequences cannot fit the budget, before the cache or any per-sequence buffer exists: the
     * prompt's KV once (the sequences share it), each sequence's generated tokens' KV, and each sequence's row of
     * logits. Without this, --n 1000000000 grows until the machine or the JVM gives out.
     */
    private void checkBudget(TransformerModel lm, int promptTokens, int maxNew, long budget) {
        long perToken = lm.config().kvBytesPerToken(lm.kvPrecision());
        int generated = Math.min(maxNew, lm.config().maxPositions() - promptTokens);
        double perSequence = (double) generated * perToken + 4.0 * lm.config().vocabSize();
        double needed = (double) promptTokens * perToken + n * perSequence;
        if (needed > budget) {
            long fits = (long) Math.max(0, (budget - (double) promptTokens * perToken) / perSequence);
            throw new BadInputException("--n " + n + " needs about " + Units.bytes((long) Math.min(needed,
                    Long.MAX_VALUE)) + " of KV cache and logits (" + generated + " new tokens x "
                    + Units.bytes(perToken) + " per token, plus a row of " + lm.config().vocabSize() + " logits, per "
                    + "sequence), more than --memory-budget " + Units.bytes(budget) + "; at most " + fits
                    + " sequence(s) fit: lower --n or --max-new-tokens, or raise --memory-budget");
        }
    }

    private void print(List<SequenceState> sequences, HfTokenizer tokenizer, StopCondition stopStrings) {
        PrintWriter out = spec.commandLine().getOut();
        for (SequenceState s : sequences) {
            int[] tokens = s.tokens();
            String text = tokenizer == null ? "" : tokenizer.decode(tokens, true);
            if (stopStrings instanceof StopStrings strings) {
                text = strings.cut(text);
            }
            String finish = s.finishReason().apiName();
            if (json) {
                ObjectNode line = Json.object();
                line.put("index", s.index());
                ArrayNode ids = line.putArray("token_ids");
                for (int t : tokens) {
                    ids.add(t);
                }
                line.put("text", text);
                line.put("finish_reason", finish);
                out.println(Json.line(line));
            } else {
                out.printf("--- sequence %d: %s, %d tokens ---%n", s.index(), finish, tokens.length);
                out.println(tokenizer == null ? "token ids: " + TokenIds.format(tokens) : text);
            }
        }
        out.flush();
    }
}
