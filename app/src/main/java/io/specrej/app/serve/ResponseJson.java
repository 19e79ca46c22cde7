package io.specrej.app.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.decoding.Result;
import java.util.List;

/** OpenAI's response and chunk objects, with SpecRej's {@code reward}, {@code x_specrej} and usage additions. */
final class ResponseJson {
    private final CompletionRequest request;
    private final String id;
    private final long created;
    private final String model;

    ResponseJson(CompletionRequest request, String id, long created, String model) {
        this.request = request;
        this.id = id;
        this.created = created;
        this.model = model;
    }

    private ObjectNode head(boolean chunk) {
        ObjectNode root = Jsons.MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", request.chat() ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    /** The whole response: one choice per returned candidate. */
    ObjectNode completion(List<Result.Candidate> choices, List<String> texts, Result result, int promptTokens,
                          long seed, Timing timing) {
        ObjectNode root = head(false);
        ArrayNode array = root.putArray("choices");
        for (int i = 0; i < choices.size(); i++) {
            Result.Candidate c = choices.get(i);
            ObjectNode choice = array.addObject();
            choice.put("index", i);
            if (request.chat()) {
                ObjectNode message = choice.putObject("message");
                message.put("role", "assistant");
                message.put("content", texts.get(i));
            } else {
                choice.put("text", texts.get(i));
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", c.finishReason());
            reward(choice, c);
        }
        root.set("usage", usage(choices, result, promptTokens));
        root.set("x_specrej", extension(result, seed, timing));
        return root;
    }

    private void reward(ObjectNode choice, Result.Candidate c) {
        if (request.ranked()) {
            choice.put("reward", c.score());
        }
    }

    ObjectNode usage(List<Result.Candidate> choices, Result result, int promptTokens) {
        ObjectNode usage = Jsons.MAPPER.createObjectNode();
        long completion = 0;
        for (Result.Candidate c : choices) {
            completion += c.tokens().length;
        }
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", promptTokens + completion);
        usage.put("x_candidate_tokens", result.stats().generatedTokens());
        return usage;
    }

    /** {@code x_specrej}: the seed, the strategy, the costs, and with return_candidates every candidate. */
    ObjectNode extension(Result result, long seed, Timing timing) {
        ObjectNode x = Jsons.MAPPER.createObjectNode();
        x.put("seed", seed);
        x.put("strategy", request.strategy());
        if (request.ranked()) {
            Result.Stats s = result.stats();
            ObjectNode stats = x.putObject("stats");
            stats.put("generated_tokens", s.generatedTokens());
            stats.put("reward_tokens", s.rewardTokens());
            stats.put("decisions", s.decisions().size());
            stats.put("initial_candidates", s.initialBatch());
            stats.put("memory_budget", s.memoryBudgetBytes());
            stats.put("peak_kv_bytes", s.peakKvBytes());
            ObjectNode wall = stats.putObject("seconds");
            wall.put("queue", timing.queueSeconds());
            wall.put("prefill", s.prefillSeconds());
            wall.put("decode", s.generationSeconds());
            wall.put("scoring", s.rewardSeconds());
            wall.put("total", timing.totalSeconds());
            if (request.returnCandidates()) {
                ArrayNode candidates = x.putArray("candidates");
                for (Result.Candidate c : result.trajectories()) {
                    ObjectNode o = candidates.addObject();
                    o.put("index", c.id());
                    o.put("text", c.text());
                    if (Double.isNaN(c.score())) {
                        o.putNull("reward");
                    } else {
                        o.put("reward", c.score());
                    }
                    o.put("tokens", c.tokens().length);
                    o.put("finish_reason", c.finishReason());
                    if (c.rejectedAt() == null) {
                        o.putNull("rejected_at");
                    } else {
                        o.put("rejected_at", s.decisions().get(c.rejectedAt()).tokensSoFar());
                    }
                }
            }
        }
        return x;
    }

    /** A streamed chunk for one choice: a role opener, a text delta, or the closing one with its finish reason. */
    ObjectNode chunk(int index, String role, String text, String finishReason, Result.Candidate rewarded) {
        ObjectNode root = head(true);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", index);
        if (request.chat()) {
            ObjectNode delta = choice.putObject("delta");
            if (role != null) {
                delta.put("role", role);
            }
            if (text != null) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (rewarded != null) {
            reward(choice, rewarded);
        }
        return root;
    }

    /** The chunk after the last choice's: no choices, the usage (stream_options.include_usage) and x_specrej. */
    ObjectNode tail(ObjectNode usage, ObjectNode extension) {
        ObjectNode root = head(true);
        root.putArray("choices");
        if (usage != null) {
            root.set("usage", usage);
        }
        root.set("x_specrej", extension);
        return root;
    }

    /** Seconds a request spent queued and in total. */
    record Timing(double queueSeconds, double totalSeconds) {
    }
}
