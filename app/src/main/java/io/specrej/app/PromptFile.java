package io.specrej.app;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A file of prompts, in whichever of three formats it is written, told apart by its first non-blank character:
 * <ul>
 *   <li>{@code [} a JSON list (AlpacaFarm): objects with {@code prompt}, or {@code instruction} (+ {@code input}),
 *       or plain strings;</li>
 *   <li>{@code {} JSON Lines: one such object per line;</li>
 *   <li>anything else: plain text, one prompt per non-blank line.</li>
 * </ul>
 * An {@code instruction} with a non-empty {@code input} becomes "instruction\n\ninput", as Alpaca joins them. A
 * prompt's index is its position among the prompts (blank lines are not prompts). Errors name the file and line.
 */
final class PromptFile {
    enum Format { JSON_LIST, JSON_LINES, TEXT }

    record Prompts(Format format, List<String> texts) {
    }

    private PromptFile() {
    }

    static Prompts read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new BadInputException("--prompts " + file + ": is a directory, expected a file of prompts");
        }
        String text = decodeUtf8(file, BoundedFiles.readBytes(file, BoundedFiles.DATA_BYTES, "a file of prompts"));
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            text = text.substring(1); // a byte-order mark some editors write
        }
        String start = text.stripLeading();
        Prompts prompts;
        if (start.startsWith("[")) {
            prompts = new Prompts(Format.JSON_LIST, jsonList(file, text));
        } else if (start.startsWith("{")) {
            prompts = new Prompts(Format.JSON_LINES, jsonLines(file, text));
        } else {
            prompts = new Prompts(Format.TEXT, textLines(text));
        }
        if (prompts.texts().isEmpty()) {
            throw new BadInputException(file + ": holds no prompts");
        }
        for (int i = 0; i < prompts.texts().size(); i++) {
            checkSurrogates(file, i, prompts.texts().get(i));
        }
        return prompts;
    }

    /**
     * A JSON escape such as {@code "\\ud800"} alone decodes to half a character, which no tokenizer or UTF-8 file
     * can hold: refused up front, naming the prompt, instead of failing when its result is written.
     */
    private static void checkSurrogates(Path file, int index, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new BadInputException(file + ": prompt " + index + " holds an unpaired UTF-16 surrogate "
                        + String.format("\\u%04x", (int) c) + " at character " + i + " (a JSON escape such as "
                        + "\\ud83d must be followed by its pair, e.g. \\ud83d\\ude00); it is not text");
            }
        }
    }

    private static List<String> jsonList(Path file, String text) throws IOException {
        List<String> out = new ArrayList<>();
        try (JsonParser parser = Json.MAPPER.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new BadInputException(file + " line 1: expected a JSON list of prompts");
            }
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token == null) {
                    throw new BadInputException(file + ": the JSON list is not closed (missing ']')");
                }
                int line = parser.currentTokenLocation().getLineNr();
                JsonNode element = parser.readValueAsTree();
                out.add(promptOf(element, file, line, "element " + out.size()));
            }
            if (parser.nextToken() != null) {
                throw new BadInputException(file + " line " + parser.currentTokenLocation().getLineNr()
                        + ": unexpected content after the JSON list");
            }
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + " line " + lineOf(e.getLocation()) + ": not valid JSON ("
                    + e.getOriginalMessage() + ")", e);
        }
        return out;
    }

    private static List<String> jsonLines(Path file, String text) {
        List<String> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new BadInputException(file + " line " + (i + 1) + ": not valid JSON (" + e.getOriginalMessage()
                        + "); JSON Lines needs one object per line", e);
            }
            out.add(promptOf(node, file, i + 1, "the line"));
        }
        return out;
    }

    private static List<String> textLines(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }

    private static String promptOf(JsonNode node, Path file, int line, String what) {
        String where = file + " line " + line + ": ";
        if (node != null && node.isTextual()) {
            return nonEmpty(node.asText(), where + what);
        }
        if (node == null || !node.isObject()) {
            throw new BadInputException(where + what + " is not an object with a \"prompt\" (or \"instruction\")"
                    + " field");
        }
        JsonNode prompt = node.get("prompt");
        if (prompt != null && !prompt.isNull()) {
            return nonEmpty(textual(prompt, where + "\"prompt\""), where + "\"prompt\"");
        }
        JsonNode instruction = node.get("instruction");
        if (instruction == null || instruction.isNull()) {
            throw new BadInputException(where + what + " has no \"prompt\" or \"instruction\" field");
        }
        String result = nonEmpty(textual(instruction, where + "\"instruction\""), where + "\"instruction\"");
        JsonNode input = node.get("input");
        if (input != null && !input.isNull()) {
            String extra = textual(input, where + "\"input\"");
            if (!extra.isBlank()) {
                result = result + "\n\n" + extra;
            }
        }
        return result;
    }

    private static String textual(JsonNode node, String what) {
        if (!node.isTextual()) {
            throw new BadInputException(what + " must be a string, found " + node.getNodeType().name().toLowerCase());
        }
        return node.asText();
    }

    private static String nonEmpty(String text, String what) {
        if (text.isBlank()) {
            throw new BadInputException(what + " is empty");
        }
        return text;
    }

    private static int lineOf(JsonLocation location) {
        return location == null ? 1 : Math.max(1, location.getLineNr());
    }

    /** Strict UTF-8: a stray Latin-1 byte is reported with its line rather than turned into U+FFFD. */
    private static String decodeUtf8(Path file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 16, bytes.length + 1L));
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new BadInputException(file + " line " + line + ": not valid UTF-8 text");
        }
        decoder.flush(out);
        return out.flip().toString();
    }
}
