package io.specrej.app;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import io.specrej.engine.text.ChatMessage;
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
 *   <li>{@code [} a JSON list (AlpacaFarm): objects with {@code prompt}, {@code messages} (OpenAI's list of
 *       {@code {role, content}}, ending with the user's turn), or {@code instruction} (+ {@code input}), or plain
 *       strings;</li>
 *   <li>{@code {} JSON Lines: one such object per line;</li>
 *   <li>anything else: plain text, one prompt per non-blank line.</li>
 * </ul>
 * An {@code instruction} with a non-empty {@code input} becomes "instruction\n\ninput", as Alpaca joins them. A
 * prompt's index is its position among the prompts (blank lines are not prompts). Errors name the file and line.
 * The file {@code -} is standard input.
 */
final class PromptFile {
    enum Format { JSON_LIST, JSON_LINES, TEXT }

    /** The file name that means standard input, as many Unix tools read it. */
    static final String STDIN = "-";

    /**
     * One prompt: the user's text, and the whole conversation when the record was a {@code messages} list (null
     * otherwise), whose last message is that text.
     */
    record Item(String text, List<ChatMessage> messages) {
        static Item of(String text) {
            return new Item(text, null);
        }
    }

    record Prompts(Format format, List<Item> items) {
        List<String> texts() {
            return items.stream().map(Item::text).toList();
        }
    }

    private PromptFile() {
    }

    static Prompts read(Path file) throws IOException {
        if (file.toString().equals(STDIN)) {
            return read(Path.of("<stdin>"), stdin("--prompts"));
        }
        if (Files.isDirectory(file)) {
            throw new BadInputException("--prompts " + file + ": is a directory, expected a file of prompts");
        }
        return read(file, BoundedFiles.readBytes(file, BoundedFiles.DATA_BYTES, "a file of prompts"));
    }

    /** Standard input (the file {@code -} of {@code option}), under the same size limit as a file. */
    static byte[] stdin(String option) throws IOException {
        byte[] bytes = System.in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, BoundedFiles.DATA_BYTES + 1));
        if (bytes.length > BoundedFiles.DATA_BYTES) {
            throw new BadInputException(option + " -: standard input holds more than " + BoundedFiles.DATA_BYTES
                    + " bytes; split it into files");
        }
        return bytes;
    }

    private static Prompts read(Path file, byte[] bytes) throws IOException {
        String text = decodeUtf8(file, bytes);
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
        if (prompts.items().isEmpty()) {
            throw new BadInputException(file + ": holds no prompts");
        }
        for (int i = 0; i < prompts.items().size(); i++) {
            Item item = prompts.items().get(i);
            checkSurrogates(file, i, item.text());
            if (item.messages() != null) {
                for (ChatMessage m : item.messages()) {
                    checkSurrogates(file, i, m.content());
                }
            }
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

    private static List<Item> jsonList(Path file, String text) throws IOException {
        List<Item> out = new ArrayList<>();
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

    private static List<Item> jsonLines(Path file, String text) {
        List<Item> out = new ArrayList<>();
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

    private static List<Item> textLines(String text) {
        List<Item> out = new ArrayList<>();
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                out.add(Item.of(line.strip()));
            }
        }
        return out;
    }

    private static Item promptOf(JsonNode node, Path file, int line, String what) {
        String where = file + " line " + line + ": ";
        if (node != null && node.isTextual()) {
            return Item.of(nonEmpty(node.asText(), where + what));
        }
        if (node == null || !node.isObject()) {
            throw new BadInputException(where + what + " is not an object with a \"prompt\", \"messages\" or "
                    + "\"instruction\" field");
        }
        JsonNode prompt = node.get("prompt");
        if (prompt != null && !prompt.isNull()) {
            return Item.of(nonEmpty(textual(prompt, where + "\"prompt\""), where + "\"prompt\""));
        }
        JsonNode messages = node.get("messages");
        if (messages != null && !messages.isNull()) {
            return messagesOf(messages, where);
        }
        JsonNode instruction = node.get("instruction");
        if (instruction == null || instruction.isNull()) {
            throw new BadInputException(where + what + " has no \"prompt\", \"messages\" or \"instruction\" field");
        }
        String result = nonEmpty(textual(instruction, where + "\"instruction\""), where + "\"instruction\"");
        JsonNode input = node.get("input");
        if (input != null && !input.isNull()) {
            String extra = textual(input, where + "\"input\"");
            if (!extra.isBlank()) {
                result = result + "\n\n" + extra;
            }
        }
        return Item.of(result);
    }

    /**
     * OpenAI's chat shape: a non-empty list of {@code {"role", "content"}} with string contents, ending with the
     * user's turn (the response continues the conversation from there).
     */
    private static Item messagesOf(JsonNode messages, String where) {
        if (!messages.isArray() || messages.isEmpty()) {
            throw new BadInputException(where + "\"messages\" must be a non-empty list of {\"role\", \"content\"} "
                    + "objects");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = where + "\"messages\"[" + i + "]";
            if (!m.isObject() || m.get("role") == null || m.get("content") == null) {
                throw new BadInputException(at + " must be an object with \"role\" and \"content\"");
            }
            String role = nonEmpty(textual(m.get("role"), at + ".role"), at + ".role");
            out.add(new ChatMessage(role, textual(m.get("content"), at + ".content")));
        }
        ChatMessage last = out.get(out.size() - 1);
        if (!last.role().equals("user")) {
            throw new BadInputException(where + "the last of \"messages\" has role \"" + last.role() + "\"; it must "
                    + "be the user's turn that the response answers");
        }
        return new Item(nonEmpty(last.content(), where + "the last message's content"), List.copyOf(out));
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
