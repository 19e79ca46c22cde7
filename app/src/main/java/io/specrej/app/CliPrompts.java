package io.specrej.app;

import io.specrej.engine.BadInputException;
import io.specrej.engine.text.ChatMessage;
import io.specrej.engine.text.ChatTemplate;
import io.specrej.engine.text.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The command line's side of prompts: loading the tokenizer a text option needs, and errors that name the option.
 * Rendering and encoding a conversation is {@link io.specrej.decoding.PromptEncoder}'s, the one rule for CLI and
 * server. Turns the text a person typed into the token ids transformers would produce for it, so a command gives the same
 * tokens as the equivalent Python: {@code tokenizer(text)} for plain prompts, {@code apply_chat_template(messages,
 * tokenize=True)} for chat.
 */
final class CliPrompts {
    private CliPrompts() {
    }

    /** The model directory's tokenizer, or null when it has no tokenizer.json (random models are driven by ids). */
    static HfTokenizer loadIfPresent(Path modelDir) {
        return Files.isRegularFile(modelDir.resolve(HfTokenizer.FILE)) ? HfTokenizer.load(modelDir) : null;
    }

    /** The tokenizer, required because {@code option} passes text. */
    static HfTokenizer require(Path modelDir, String option) {
        if (Files.isDirectory(modelDir) && !Files.isRegularFile(modelDir.resolve(HfTokenizer.FILE))) {
            throw new BadInputException(modelDir + ": no " + HfTokenizer.FILE + ", so " + option
                    + " cannot be tokenized; pass token ids with --ids instead");
        }
        return HfTokenizer.load(modelDir);
    }

    /**
     * Plain text as {@code tokenizer(text)} encodes it: with the tokenizer's special tokens (Llama-3 adds BOS,
     * ChatML tokenizers add nothing).
     */
    static int[] plain(HfTokenizer tokenizer, String text, String option) {
        requireText(text, option);
        return nonEmpty(tokenizer.encode(text, true), option);
    }

    /**
     * One user message through the chat template with the assistant turn opened, encoded without special tokens:
     * the template already wrote them, and adding BOS again would double it.
     */
    static int[] chat(HfTokenizer tokenizer, Path modelDir, String text, String option) {
        return chat(tokenizer, modelDir, text, null, java.util.Map.of(), option);
    }

    /** {@link #chat} after an optional system message, with extra template variables. */
    static int[] chat(HfTokenizer tokenizer, Path modelDir, String text, String system,
                      java.util.Map<String, ?> kwargs, String option) {
        return nonEmpty(tokenizer.encode(rendered(tokenizer, modelDir, text, system, kwargs, option), false), option);
    }

    /** The chat prompt's text as the template renders it (what --print-prompt shows). */
    static String rendered(HfTokenizer tokenizer, Path modelDir, String text, String system,
                           java.util.Map<String, ?> kwargs, String option) {
        requireText(text, option);
        template(tokenizer, modelDir, "--chat"); // a clear error naming the model when it has none
        List<ChatMessage> messages = system == null ? List.of(ChatMessage.user(text))
                : List.of(ChatMessage.system(system), ChatMessage.user(text));
        return new io.specrej.decoding.PromptEncoder(tokenizer).render(messages, kwargs);
    }

    /** A finished [user, assistant] exchange, as a reward model is trained to score it. */
    static int[] conversation(HfTokenizer tokenizer, Path modelDir, String prompt, String response) {
        requireText(prompt, "--prompt");
        if (response == null) {
            throw new BadInputException("--response is missing");
        }
        String rendered = template(tokenizer, modelDir, "--prompt/--response")
                .render(List.of(ChatMessage.user(prompt), ChatMessage.assistant(response)), false);
        return nonEmpty(tokenizer.encode(rendered, false), "--prompt/--response");
    }

    private static ChatTemplate template(HfTokenizer tokenizer, Path modelDir, String option) {
        ChatTemplate template = ChatTemplate.fromTokenizerConfig(tokenizer.config());
        if (template == null) {
            throw new BadInputException(modelDir + ": the model has no chat template (no chat_template in "
                    + "tokenizer_config.json and no chat_template.jinja), which " + option + " needs");
        }
        return template;
    }

    private static void requireText(String text, String option) {
        if (text == null || text.isEmpty()) {
            throw new BadInputException(option + " is empty: give some text");
        }
    }

    private static int[] nonEmpty(int[] ids, String option) {
        if (ids.length == 0) {
            throw new BadInputException(option + " encodes to no tokens");
        }
        return ids;
    }
}
