package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzing prompt files and run files as --resume reads them (issue 19, scope 5): any bytes give prompts or records
 * that hold what the commands rely on, or a {@link BadInputException} with a message; never another exception.
 */
class InputFilesFuzzTest {
    /** One valid run record, the seed of the run-file mutations. */
    static final String RECORD = "{\"prompt_index\":0,\"prompt\":\"Hi\",\"params\":{\"strategy\":\"bon\",\"n\":2},"
            + "\"prompt_seed\":5,\"trajectories\":[{\"id\":0,\"text\":\"a\",\"tokens\":1,\"token_ids\":[4],"
            + "\"finished\":true,\"finish_reason\":\"stop\",\"stopped_by_budget\":false,\"score\":0.5,"
            + "\"rejected_at\":null,\"partial_scores\":[[1,0.5]]}],\"best\":{\"id\":0,\"text\":\"a\",\"score\":0.5,"
            + "\"tokens\":1},\"stats\":{\"wall_seconds\":1.0,\"generated_tokens\":1,\"reward_tokens\":1,"
            + "\"initial_batch\":2,\"decisions\":[]}}";
    /** The file every try writes, one try at a time (the module's build directory: Maven runs tests from there). */
    private static final Path FILE = Path.of("target", "input-files-fuzz.txt");

    static Arbitrary<String> text() {
        return Arbitraries.oneOf(Arbitraries.of("Hi", "", " ", "\\ud800", "\\ud83d\\ude00", "\\u0000", "\\\"", "é",
                "{{ x }}", "\ud83d\ude00", "\t"), Arbitraries.strings().ofMaxLength(8)
                .map(s -> s.replace("\\", "\\\\").replace("\"", "\\\"")));
    }

    @Provide
    Arbitrary<byte[]> promptFiles() {
        Arbitrary<String> item = Combinators.combine(Arbitraries.of("prompt", "instruction", "input", "x"), text(),
                Arbitraries.of("\"", "")).as((k, v, q) -> "{\"" + k + "\": " + q + v + q + "}");
        Arbitrary<String> list = item.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]");
        Arbitrary<String> lines = item.list().ofMaxSize(4).map(l -> String.join("\n", l));
        Arbitrary<String> plain = text().list().ofMaxSize(4).map(l -> String.join("\n", l));
        Arbitrary<byte[]> structured = Arbitraries.oneOf(list, lines, plain)
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(structured, mutated(structured));
    }

    /** Bytes with a few flipped, or cut short: what a disk error, an editor or a killed writer leaves. */
    static Arbitrary<byte[]> mutated(Arbitrary<byte[]> base) {
        return Combinators.combine(base, Arbitraries.integers().between(0, 1000),
                Arbitraries.bytes(), Arbitraries.integers().between(0, 2)).as((b, at, value, kind) -> {
                    if (b.length == 0) {
                        return b;
                    }
                    int i = at % b.length;
                    if (kind == 0) {
                        return java.util.Arrays.copyOf(b, i);
                    }
                    byte[] copy = b.clone();
                    copy[i] = kind == 1 ? value : (byte) 0xC3; // a lone UTF-8 lead byte
                    return copy;
                });
    }

    @Property
    void anyPromptFileGivesUsablePromptsOrAMessage(@ForAll("promptFiles") byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try {
            List<String> prompts = PromptFile.read(FILE).texts();
            assertFalse(prompts.isEmpty());
            for (String p : prompts) {
                // well-formed UTF-16: encodable without loss, which a run file needs
                assertTrue(StandardCharsets.UTF_8.newEncoder().canEncode(p), p);
            }
        } catch (BadInputException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(FILE.toString()), e.getMessage());
        }
    }

    @Provide
    Arbitrary<byte[]> runFiles() {
        Arbitrary<String> field = Arbitraries.of("\"prompt_index\":0", "\"trajectories\":[{", "\"score\":0.5",
                "\"tokens\":1", "\"params\":{", "\"best\":{", "\"decisions\":[]", "\"id\":0");
        Arbitrary<String> replacement = Arbitraries.of("\"prompt_index\":-1", "\"prompt_index\":1e3",
                "\"trajectories\":[],\"x\":[{", "\"score\":\"NaN\"", "\"tokens\":null", "\"params\":[{",
                "\"best\":null,\"y\":{", "\"decisions\":[{}]", "\"id\":\"0\"", "\"prompt_index\":99999999999");
        Arbitrary<String> record = Combinators.combine(field, replacement, Arbitraries.integers().between(0, 2))
                .as((f, r, keep) -> keep == 0 ? RECORD : RECORD.replace(f, r));
        Arbitrary<String> lines = record.list().ofMaxSize(3).map(l -> String.join("\n", l) + "\n");
        Arbitrary<byte[]> structured = lines.map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(structured, mutated(structured));
    }

    @Property
    void anyRunFileGivesCheckedRecordsOrAMessage(@ForAll("runFiles") byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try {
            RunFile run = RunFile.read(FILE);
            assertTrue(run.validBytes <= bytes.length);
            for (RunRecord r : run.records) {
                assertTrue(r.promptIndex() >= 0 && !r.json().path("trajectories").isEmpty(), r.json().toString());
            }
        } catch (BadInputException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(FILE.toString()), e.getMessage());
        }
    }

    /** The reproductions of issue 19 kept as examples: a lone surrogate, a record without trajectories. */
    @Example
    void regressions() throws IOException {
        Files.writeString(FILE, "{\"prompt\": \"bad \\ud800 x\"}\n");
        assertTrue(failsWithMessage(() -> PromptFile.read(FILE)));
        Files.writeString(FILE, RECORD.replaceFirst("\"trajectories\":\\[.*\\],\"best\"",
                "\"trajectories\":[],\"best\"") + "\n");
        assertTrue(failsWithMessage(() -> RunFile.read(FILE)));
    }

    private interface Read {
        Object run() throws IOException;
    }

    private static boolean failsWithMessage(Read read) throws IOException {
        try {
            read.run();
            return false;
        } catch (BadInputException e) {
            return e.getMessage() != null;
        }
    }
}
