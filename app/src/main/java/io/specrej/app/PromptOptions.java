package io.specrej.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.decoding.RequestListener;
import io.specrej.decoding.RequestOptions;
import io.specrej.engine.BadInputException;
import io.specrej.engine.generate.StopStrings;
import io.specrej.engine.text.HfTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options that shape a prompt and where its responses end, shared by the commands that generate: a system message
 * and chat-template arguments (transformers' apply_chat_template kwargs), stop strings (vLLM's {@code stop}: the text
 * ends before one, also across token boundaries) and extra stop token ids (vLLM's {@code stop_token_ids}).
 */
final class PromptOptions {
    @Option(names = "--system", paramLabel = "TEXT",
            description = "A system message before the prompt (through the chat template; without one, the text "
                    + "goes before the prompt with a blank line).")
    String system;

    @Option(names = "--chat-template-kwargs", paramLabel = "JSON",
            description = "Extra chat-template variables as a JSON object, as apply_chat_template(**kwargs), e.g. "
                    + "'{\"enable_thinking\": false}' for Qwen3.")
    String chatTemplateKwargs;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "End a response when its text contains TEXT (repeatable); the text returned stops before "
                    + "it.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--stop-token-ids", paramLabel = "IDS", split = ",",
            description = "More token ids that end a response besides the model's eos, e.g. 128009,128001.")
    List<Integer> stopTokenIds = new ArrayList<>();

    /** The template variables, parsed from --chat-template-kwargs (empty when not given). */
    Map<String, Object> templateKwargs() {
        if (chatTemplateKwargs == null) {
            return Map.of();
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(chatTemplateKwargs);
        } catch (JsonProcessingException e) {
            throw new BadInputException("--chat-template-kwargs is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new BadInputException("--chat-template-kwargs must be a JSON object, got " + chatTemplateKwargs);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = Json.MAPPER.convertValue(node, Map.class);
        return map;
    }

    /** Stop strings and token ids as a request's options (the tokenizer decodes responses for the strings). */
    RequestOptions requestOptions(HfTokenizer tokenizer) {
        return requestOptions(tokenizer, RequestListener.NONE);
    }

    RequestOptions requestOptions(HfTokenizer tokenizer, RequestListener listener) {
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new BadInputException("--stop is empty: give the text that ends a response");
            }
        }
        for (int id : stopTokenIds) {
            if (id < 0) {
                throw new BadInputException("--stop-token-ids must be non-negative token ids, got " + id);
            }
        }
        if (!stop.isEmpty() && tokenizer == null) {
            throw new BadInputException("--stop needs the model's tokenizer.json to read the text");
        }
        return new RequestOptions(stop.isEmpty() ? null : new StopStrings(List.copyOf(stop), tokenizer), listener,
                false, stopTokenIds);
    }

    /** Writes the options that were set into a run file's params (unset ones are left out, as before they existed). */
    void record(ObjectNode params) {
        if (system != null) {
            params.put("system", system);
        }
        if (chatTemplateKwargs != null) {
            params.set("chat_template_kwargs", Json.MAPPER.valueToTree(templateKwargs()));
        }
        if (!stop.isEmpty()) {
            ArrayNode a = params.putArray("stop");
            stop.forEach(a::add);
        }
        if (!stopTokenIds.isEmpty()) {
            ArrayNode a = params.putArray("stop_token_ids");
            stopTokenIds.forEach(a::add);
        }
    }
}
