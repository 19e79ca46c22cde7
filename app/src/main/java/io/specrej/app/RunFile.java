package io.specrej.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a run file written by {@code specrej run}: one JSON object per line. A last line without its newline is what a
 * killed run leaves behind; when it does not parse it is ignored (and {@link #validBytes} says where the good part
 * ends, so a resumed run can cut it off). Any other bad line is an error naming the file and the line.
 */
final class RunFile {
    final Path file;
    final List<RunRecord> records;
    /** Bytes of whole, valid lines (the file is cut back to this when a resumed run appends). */
    final long validBytes;
    /** A broken last line was ignored. */
    final boolean truncatedTail;
    /** The last record is complete but has no newline after it; an appender must write one first. */
    final boolean missingFinalNewline;

    private RunFile(Path file, List<RunRecord> records, long validBytes, boolean truncatedTail,
                    boolean missingFinalNewline) {
        this.file = file;
        this.records = List.copyOf(records);
        this.validBytes = validBytes;
        this.truncatedTail = truncatedTail;
        this.missingFinalNewline = missingFinalNewline;
    }

    static RunFile read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new BadInputException(file + ": is a directory, expected a run file (.jsonl)");
        }
        byte[] bytes = BoundedFiles.readBytes(file, BoundedFiles.DATA_BYTES, "a run file (.jsonl)");
        List<RunRecord> records = new ArrayList<>();
        int start = 0;
        int line = 0;
        long valid = 0;
        boolean truncated = false;
        boolean missingNewline = false;
        while (start < bytes.length) {
            line++;
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            boolean hasNewline = end < bytes.length;
            String text = new String(bytes, start, end - start, StandardCharsets.UTF_8).strip();
            if (!text.isEmpty()) {
                JsonNode node = null;
                try {
                    node = Json.MAPPER.readTree(text);
                } catch (JsonProcessingException e) {
                    if (!hasNewline) {
                        truncated = true; // a killed run's half-written last line
                        break;
                    }
                    throw new BadInputException(file + " line " + line + ": not valid JSON ("
                            + e.getOriginalMessage() + ")", e);
                }
                records.add(RunRecord.of(file, line, node));
                missingNewline = !hasNewline;
            }
            start = hasNewline ? end + 1 : end;
            valid = start;
        }
        return new RunFile(file, records, valid, truncated, missingNewline);
    }

    /** Records by prompt index; a repeated index (overlapping shard files concatenated) keeps the first. */
    Map<Integer, RunRecord> byPromptIndex(PrintWriter warnings) {
        Map<Integer, RunRecord> map = new TreeMap<>();
        int duplicates = 0;
        for (RunRecord r : records) {
            if (map.putIfAbsent(r.promptIndex(), r) != null) {
                duplicates++;
            }
        }
        if (duplicates > 0 && warnings != null) {
            warnings.println("warning: " + file + ": " + duplicates + " repeated prompt_index line(s) ignored "
                    + "(the first of each is used)");
        }
        if (truncatedTail && warnings != null) {
            warnings.println("warning: " + file + ": the last line is incomplete (a killed run?) and was ignored");
        }
        return map;
    }

    /** Fails when the file holds no records at all. */
    RunFile requireRecords() {
        if (records.isEmpty()) {
            throw new BadInputException(file + ": holds no results (an empty run file)");
        }
        return this;
    }
}
