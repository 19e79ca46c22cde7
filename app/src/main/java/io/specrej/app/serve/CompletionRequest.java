package io.specrej.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.text.ChatMessage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A chat or text completion request, read strictly from its JSON body: every field OpenAI defines that SpecRej
 * serves, with the types OpenAI uses (a wrong type or range is a 400 naming the field), plus SpecRej's extensions at
 * the top level (so the official clients send them through {@code extra_body}). Unknown fields are ignored, as OpenAI
 * does.
 */
record CompletionRequest(boolean chat, String model, List<ChatMessage> messages, String promptText, int[] promptIds,
                         Integer maxTokens, Double temperature, Double topP, Integer topK, Double minP,
                         Double repetitionPenalty, Double presencePenalty, Double frequencyPenalty, int n, Long seed,
                         List<String> stop, boolean stream, boolean includeUsage, String strategy, Integer bestOf,
                         Double alpha, Integer decisionEvery, Integer maxCandidates, Long memoryBudget,
                         boolean returnCandidates, boolean ignoreEos, List<Integer> stopTokenIds) {

    static final String SAMPLE = "sample";
    static final String BEST_OF_N = "best_of_n";
    static final String SPECULATIVE_REJECTION = "speculative_rejection";
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    static CompletionRequest parse(JsonNode body, boolean chat, ServeLimits limits) {
        String model = Jsons.string(body, "model");
        List<ChatMessage> messages = null;
        String promptText = null;
        int[] promptIds = null;
        if (chat) {
            messages = messages(body);
        } else {
            JsonNode prompt = body.get("prompt");
            if (prompt == null || prompt.isNull()) {
                throw ApiError.badField("prompt", "'prompt' is required: a string or a list of token ids");
            }
            if (prompt.isArray() && prompt.size() == 1 && (prompt.get(0).isTextual() || prompt.get(0).isArray())) {
                prompt = prompt.get(0); // a batch of one
            }
            if (prompt.isTextual()) {
                promptText = prompt.asText();
                if (promptText.isEmpty()) {
                    throw ApiError.badField("prompt", "'prompt' is empty");
                }
            } else if (prompt.isArray()) {
                promptIds = tokenIds(prompt);
            } else {
                throw ApiError.badField("prompt", "'prompt' must be a string or a list of token ids, got "
                        + Jsons.describe(prompt));
            }
        }
        Long maxTokens = Jsons.integer(body, "max_tokens", 1, Integer.MAX_VALUE);
        if (chat) {
            Long completion = Jsons.integer(body, "max_completion_tokens", 1, Integer.MAX_VALUE);
            if (completion != null) {
                maxTokens = completion;
            }
        }
        Double temperature = Jsons.number(body, "temperature", 0, 2);
        Double topP = Jsons.number(body, "top_p", Double.MIN_VALUE, 1);
        Long topK = Jsons.integer(body, "top_k", -1, Integer.MAX_VALUE);
        Double minP = Jsons.number(body, "min_p", 0, 1);
        Double repetitionPenalty = Jsons.number(body, "repetition_penalty", Double.MIN_VALUE, 1e6);
        Double presencePenalty = Jsons.number(body, "presence_penalty", -2, 2);
        Double frequencyPenalty = Jsons.number(body, "frequency_penalty", -2, 2);
        Long n = Jsons.integer(body, "n", 1, limits.maxN());
        Long seed = Jsons.integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        List<String> stop = stop(body);
        Boolean stream = Jsons.bool(body, "stream");
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw ApiError.badField("stream_options", "'stream_options' must be an object");
            }
            Boolean usage = Jsons.bool(streamOptions, "include_usage");
            includeUsage = usage != null && usage;
        }
        Jsons.string(body, "user"); // accepted and unused, but it must be a string
        rejectLogprobs(body, chat);
        String strategy = Jsons.string(body, "strategy");
        if (strategy == null) {
            strategy = SAMPLE;
        }
        if (!strategy.equals(SAMPLE) && !strategy.equals(BEST_OF_N) && !strategy.equals(SPECULATIVE_REJECTION)) {
            throw ApiError.badField("strategy", "'strategy' must be \"sample\", \"best_of_n\" or"
                    + " \"speculative_rejection\", got \"" + strategy + "\"");
        }
        int count = n == null ? 1 : n.intValue();
        Long bestOf = Jsons.integer(body, "best_of", 1, limits.maxBestOf());
        if (bestOf != null && !strategy.equals(BEST_OF_N)) {
            throw ApiError.badField("best_of", "'best_of' is for \"strategy\": \"best_of_n\"");
        }
        if (bestOf != null && bestOf < count) {
            throw ApiError.badField("best_of", "'best_of' (" + bestOf + ") must be at least 'n' (" + count + ")");
        }
        Double alpha = Jsons.number(body, "alpha", 0, 0.999999);
        Long decisionEvery = Jsons.integer(body, "decision_every", 1, Integer.MAX_VALUE);
        Long maxCandidates = Jsons.integer(body, "max_candidates", 1, limits.maxCandidates());
        Long memoryBudget = Jsons.integer(body, "memory_budget", 1, Long.MAX_VALUE);
        if (!strategy.equals(SPECULATIVE_REJECTION)) {
            for (String f : List.of("alpha", "decision_every", "max_candidates", "memory_budget")) {
                if (Jsons.present(body, f)) {
                    throw ApiError.badField(f, "'" + f + "' is for \"strategy\": \"speculative_rejection\"");
                }
            }
        }
        if (maxCandidates != null && maxCandidates < count) {
            throw ApiError.badField("max_candidates", "'max_candidates' (" + maxCandidates + ") must be at least 'n' ("
                    + count + ")");
        }
        Boolean ignoreEos = Jsons.bool(body, "ignore_eos");
        List<Integer> stopTokenIds = new ArrayList<>();
        JsonNode ids = body.get("stop_token_ids");
        if (ids != null && !ids.isNull()) {
            if (!ids.isArray()) {
                throw ApiError.badField("stop_token_ids", "'stop_token_ids' must be a list of token ids");
            }
            for (JsonNode id : ids) {
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                    throw ApiError.badField("stop_token_ids", "'stop_token_ids' must hold non-negative token ids,"
                            + " got " + id);
                }
                stopTokenIds.add(id.asInt());
            }
        }
        Boolean candidates = Jsons.bool(body, "return_candidates");
        if (Boolean.TRUE.equals(candidates) && strategy.equals(SAMPLE)) {
            throw ApiError.badField("return_candidates", "'return_candidates' needs a reward-ranked strategy"
                    + " (\"best_of_n\" or \"speculative_rejection\")");
        }
        return new CompletionRequest(chat, model, messages, promptText, promptIds,
                maxTokens == null ? null : maxTokens.intValue(), temperature, topP,
                topK == null ? null : topK.intValue(), minP, repetitionPenalty, presencePenalty, frequencyPenalty,
                count, seed, stop, stream != null && stream, includeUsage,
                strategy, bestOf == null ? null : bestOf.intValue(), alpha,
                decisionEvery == null ? null : decisionEvery.intValue(),
                maxCandidates == null ? null : maxCandidates.intValue(), memoryBudget,
                candidates != null && candidates, ignoreEos != null && ignoreEos, List.copyOf(stopTokenIds));
    }

    boolean ranked() {
        return !strategy.equals(SAMPLE);
    }

    private static List<ChatMessage> messages(JsonNode body) {
        JsonNode list = body.get("messages");
        if (list == null || list.isNull()) {
            throw ApiError.badField("messages", "'messages' is required: a list of {\"role\", \"content\"}");
        }
        if (!list.isArray() || list.isEmpty()) {
            throw ApiError.badField("messages", "'messages' must be a non-empty list of {\"role\", \"content\"}");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiError.badField(where, "'" + where + "' must be an object with \"role\" and \"content\"");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw ApiError.badField(where + ".role", "'" + where + ".role' must be one of system, developer,"
                        + " user, assistant, got " + (role == null ? "nothing" : role.toString()));
            }
            String r = role.asText().equals("developer") ? "system" : role.asText();
            out.add(new ChatMessage(r, content(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** A string, or OpenAI's list of content parts of which only text parts can be served here. */
    private static String content(JsonNode content, String where) {
        if (content == null || content.isNull()) {
            throw ApiError.badField(where, "'" + where + "' is required");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw ApiError.badField(where, "'" + where + "' must be a string or a list of text parts, got "
                    + Jsons.describe(content));
        }
        StringBuilder text = new StringBuilder();
        for (Iterator<JsonNode> it = content.elements(); it.hasNext(); ) {
            JsonNode part = it.next();
            JsonNode type = part.get("type");
            if (!part.isObject() || type == null || !"text".equals(type.asText()) || !part.path("text").isTextual()) {
                throw ApiError.badField(where, "'" + where + "' parts must be {\"type\": \"text\", \"text\": ...}"
                        + " (this server serves text models)");
            }
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    private static int[] tokenIds(JsonNode array) {
        if (array.isEmpty()) {
            throw ApiError.badField("prompt", "'prompt' is an empty list of token ids");
        }
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = array.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
                throw ApiError.badField("prompt", "'prompt' must be one string or one list of non-negative token"
                        + " ids (batches of several prompts are not served); element " + i + " is " + v);
            }
            ids[i] = v.asInt();
        }
        return ids;
    }

    private static List<String> stop(JsonNode body) {
        JsonNode v = body.get("stop");
        if (v == null || v.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode s : v) {
                if (!s.isTextual()) {
                    throw ApiError.badField("stop", "'stop' must be a string or a list of strings, got "
                            + Jsons.describe(v));
                }
                out.add(s.asText());
            }
        } else {
            throw ApiError.badField("stop", "'stop' must be a string or a list of strings, got " + Jsons.describe(v));
        }
        if (out.size() > 4) {
            throw ApiError.badField("stop", "'stop' takes at most 4 strings, got " + out.size());
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw ApiError.badField("stop", "'stop' strings must not be empty");
            }
        }
        return List.copyOf(out);
    }

    /** Log-probabilities are not served: a clear 400 rather than a silently missing field. */
    private static void rejectLogprobs(JsonNode body, boolean chat) {
        JsonNode logprobs = body.get("logprobs");
        boolean asked = logprobs != null && !logprobs.isNull()
                && (logprobs.isBoolean() ? logprobs.asBoolean() : !(logprobs.isNumber() && logprobs.asInt() == 0));
        if (asked) {
            throw ApiError.badField("logprobs", "'logprobs' is not supported by this server");
        }
        if (chat && Jsons.present(body, "top_logprobs")) {
            throw ApiError.badField("top_logprobs", "'top_logprobs' is not supported by this server");
        }
    }
}
