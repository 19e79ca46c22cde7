package io.specrej.app.serve;

import io.specrej.engine.generate.StopStrings;

import io.specrej.decoding.BestOfN;
import io.specrej.decoding.DecodingSetup;
import io.specrej.decoding.Generation;
import io.specrej.decoding.Prompt;
import io.specrej.decoding.RequestListener;
import io.specrej.decoding.RequestOptions;
import io.specrej.decoding.Scheduler;
import io.specrej.decoding.SpeculativeRejection;
import io.specrej.decoding.Strategy;
import io.specrej.engine.BadInputException;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.text.ChatMessage;
import io.specrej.engine.text.ChatTemplate;
import java.security.SecureRandom;
import java.util.List;

/**
 * Turns a parsed request into what the scheduler runs: the prompt rendered with the generator's chat template (or
 * encoded as plain text), the context checked, sampling parameters (the request's, else the checkpoint's
 * generation_config.json, as transformers and vLLM do), a seed, and the strategy's setup.
 */
final class RequestPlanner {
    /** Completions' default max_tokens, as OpenAI's. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

    private final Generation generation;
    private final GenerationConfig generationConfig;
    private final ChatTemplate template;
    private final ServeLimits limits;
    private final long serverBudget;
    private final SecureRandom seeds = new SecureRandom();

    RequestPlanner(Generation generation, GenerationConfig generationConfig, ServeLimits limits, long serverBudget) {
        this.generation = generation;
        this.generationConfig = generationConfig;
        this.template = ChatTemplate.fromTokenizerConfig(generation.tokenizer().config());
        this.limits = limits;
        this.serverBudget = serverBudget;
    }

    /** A request ready to submit, with what the response needs to know. */
    record Planned(Scheduler.Submission submission, long seed, int promptTokens, StopStrings stop) {
    }

    Planned plan(CompletionRequest r, RequestListener listener) {
        Prompt prompt = prompt(r);
        int context = generation.model().config().maxPositions();
        int room = context - prompt.length();
        if (room < 1) {
            throw ApiError.badField(r.chat() ? "messages" : "prompt", "the prompt has " + prompt.length()
                    + " tokens and the model's context window is " + context + " tokens: no room to generate");
        }
        int maxTokens;
        if (r.maxTokens() != null) {
            maxTokens = r.maxTokens();
            if (prompt.length() + maxTokens > context) {
                throw ApiError.badField("max_tokens", "the prompt's " + prompt.length() + " tokens plus max_tokens "
                        + maxTokens + " exceed the model's context window of " + context + " tokens (at most "
                        + room + " new tokens fit)");
            }
        } else {
            maxTokens = Math.min(r.chat() ? limits.defaultMaxTokens() : COMPLETIONS_DEFAULT_MAX_TOKENS, room);
        }
        SamplingParams sampling = sampling(r);
        long seed = r.seed() != null ? r.seed() : seeds.nextLong();
        StopStrings stop = new StopStrings(r.stop(), generation.tokenizer());
        DecodingSetup setup = setup(r, maxTokens, sampling, seed);
        String strategy = switch (r.strategy()) {
            case CompletionRequest.BEST_OF_N -> BestOfN.NAME;
            case CompletionRequest.SPECULATIVE_REJECTION -> SpeculativeRejection.NAME;
            default -> Strategy.SAMPLE;
        };
        int vocab = generation.model().config().vocabSize();
        for (int id : r.stopTokenIds()) {
            if (id >= vocab) {
                throw ApiError.badField("stop_token_ids", "token id " + id + " is outside the model's vocabulary of "
                        + vocab);
            }
        }
        RequestOptions options = new RequestOptions(stop.isEmpty() ? null : stop, listener, r.ignoreEos(),
                r.stopTokenIds());
        return new Planned(new Scheduler.Submission(strategy, prompt, setup, options), seed, prompt.length(), stop);
    }

    private DecodingSetup setup(CompletionRequest r, int maxTokens, SamplingParams sampling, long seed) {
        try {
            return switch (r.strategy()) {
                case CompletionRequest.BEST_OF_N -> new DecodingSetup(r.bestOf() != null ? r.bestOf() : r.n(), 0,
                        serverBudget, maxTokens, sampling, seed, null, DecodingSetup.DEFAULT_MAX_BATCH);
                case CompletionRequest.SPECULATIVE_REJECTION -> {
                    long budget = r.memoryBudget() != null ? r.memoryBudget() : limits.requestBudgetBytes();
                    if (budget > serverBudget) {
                        throw ApiError.badField("memory_budget", "'memory_budget' " + budget + " bytes is more than"
                                + " the server's whole KV budget of " + serverBudget + " bytes");
                    }
                    yield new DecodingSetup(null, r.alpha() != null ? r.alpha() : 0.5, budget, maxTokens, sampling,
                            seed, r.decisionEvery(),
                            r.maxCandidates() != null ? r.maxCandidates() : limits.maxCandidates());
                }
                default -> new DecodingSetup(r.n(), 0, serverBudget, maxTokens, sampling, seed, null, r.n());
            };
        } catch (BadInputException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }

    /** The request's warpers, then its penalties and min-p (all off unless asked for). */
    private SamplingParams sampling(CompletionRequest r) {
        return warpers(r).with(r.repetitionPenalty() != null ? r.repetitionPenalty() : 1.0,
                r.presencePenalty() != null ? r.presencePenalty() : 0.0,
                r.frequencyPenalty() != null ? r.frequencyPenalty() : 0.0, r.minP() != null ? r.minP() : 0.0);
    }

    private SamplingParams warpers(CompletionRequest r) {
        if (r.temperature() != null && r.temperature() == 0) {
            return SamplingParams.GREEDY;
        }
        boolean explicit = r.temperature() != null || r.topP() != null || r.topK() != null || r.minP() != null;
        if (!explicit && Boolean.FALSE.equals(generationConfig.doSample())) {
            return SamplingParams.GREEDY;
        }
        double temperature = r.temperature() != null ? r.temperature()
                : generationConfig.temperature() != null ? generationConfig.temperature() : 1.0;
        int topK = r.topK() != null ? Math.max(0, r.topK())
                : generationConfig.topK() != null ? generationConfig.topK() : 0;
        double topP = r.topP() != null ? r.topP() : generationConfig.topP() != null ? generationConfig.topP() : 1.0;
        try {
            return SamplingParams.sample(temperature, topK, topP);
        } catch (BadInputException e) {
            throw ApiError.badRequest(e.getMessage().replace("--", ""));
        }
    }

    private Prompt prompt(CompletionRequest r) {
        try {
            if (r.chat()) {
                if (template == null) {
                    throw ApiError.badField("messages", "the model has no chat template (tokenizer_config.json's"
                            + " chat_template): use /v1/completions with a plain prompt");
                }
                String rendered = template.render(r.messages(), true);
                int[] ids = generation.tokenizer().encode(rendered, false);
                return new Prompt(lastUserText(r.messages()), r.messages(), nonEmpty(ids, "messages"));
            }
            if (r.promptIds() != null) {
                int vocab = generation.model().config().vocabSize();
                for (int id : r.promptIds()) {
                    if (id >= vocab) {
                        throw ApiError.badField("prompt", "token id " + id + " is outside the model's vocabulary of "
                                + vocab);
                    }
                }
                String text = generation.tokenizer().decode(r.promptIds(), true);
                return new Prompt(text, List.of(ChatMessage.user(text)), r.promptIds());
            }
            int[] ids = generation.tokenizer().encode(r.promptText(), true);
            return new Prompt(r.promptText(), List.of(ChatMessage.user(r.promptText())), nonEmpty(ids, "prompt"));
        } catch (BadInputException e) {
            throw ApiError.badField(r.chat() ? "messages" : "prompt", e.getMessage());
        }
    }

    private static int[] nonEmpty(int[] ids, String field) {
        if (ids.length == 0) {
            throw ApiError.badField(field, "'" + field + "' encodes to no tokens");
        }
        return ids;
    }

    private static String lastUserText(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role().equals("user")) {
                return messages.get(i).content();
            }
        }
        return messages.get(messages.size() - 1).content();
    }
}
