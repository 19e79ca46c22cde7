package io.specrej.app;

import static io.specrej.app.ErrorHandlingTest.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19 items 2, 4, 5, 11, 13 and the minor run items: writers are exclusive, records whole, inputs safe. */
class RunReliabilityTest {
    @TempDir
    Path temp;

    private List<Object> bon(Path prompts, Path out) {
        return RunFixtures.fixtureArgs(prompts, out, "bon", 2);
    }

    @Test
    void aSecondWriterOfTheSameOutIsRefusedNamingTheHolder() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("out.jsonl");
        try (RunOutput held = RunOutput.lock(out)) {
            Cli.Result r = RunFixtures.run(bon(prompts, out), "--limit", 1);
            assertOneLineError(r, "another specrej run is writing it (pid " + ProcessHandle.current().pid());
            r = RunFixtures.run(bon(prompts, out), "--limit", 1, "--resume");
            assertOneLineError(r, "another specrej run is writing it");
        }
        // released: the lock note is gone and a run goes through
        assertFalse(Files.exists(temp.resolve("out.jsonl.lock")));
        Cli.Result r = RunFixtures.run(bon(prompts, out), "--limit", 1, "--force");
        assertEquals(0, r.code(), r::toString);
        assertEquals(1, RunFixtures.lines(out).size());
        assertFalse(Files.exists(temp.resolve("out.jsonl.lock")));
    }

    @Test
    void aRunThatFailsBeforeItsFirstRecordLeavesNoFile() {
        Path prompts = RunFixtures.write(temp.resolve("p.txt"), "x".repeat(3000) + "\n");
        Path out = temp.resolve("never.jsonl");
        Cli.Result r = RunFixtures.run(bon(prompts, out));
        assertEquals(2, r.code(), r::toString);
        assertFalse(Files.exists(out), "an empty --out was left behind");
    }

    @Test
    void outputThatIsThePromptsFileIsRefusedAlsoThroughASymlink() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        String before = Files.readString(prompts);
        assertOneLineError(RunFixtures.run(bon(prompts, prompts), "--force"), "is the prompts file");
        Path link = Files.createSymbolicLink(temp.resolve("link.jsonl"), prompts);
        assertOneLineError(RunFixtures.run(bon(prompts, link), "--force"), "through a symlink");
        assertEquals(before, Files.readString(prompts));
    }

    @Test
    void emptyOutIsNotTheCurrentDirectory() {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        assertOneLineError(RunFixtures.run(bon(prompts, Path.of(""))), "--out is empty");
    }

    @Test
    void aLoneSurrogateInAPromptIsRefusedUpFront() {
        Path prompts = RunFixtures.write(temp.resolve("p.jsonl"),
                "{\"prompt\": \"fine\"}\n{\"prompt\": \"bad \\ud800 x\"}\n");
        Path out = temp.resolve("out.jsonl");
        assertOneLineError(RunFixtures.run(bon(prompts, out)), "prompt 1 holds an unpaired UTF-16 surrogate \\ud800");
        assertFalse(Files.exists(out));
    }

    @Test
    void resumeRefusesRepeatedPromptsAndRecordsWithoutTrajectories() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("out.jsonl");
        assertEquals(0, RunFixtures.run(bon(prompts, out), "--limit", 2).code());
        List<String> lines = Files.readAllLines(out);
        Files.write(out, List.of(lines.get(0), lines.get(1), lines.get(1)));
        assertOneLineError(RunFixtures.run(bon(prompts, out), "--resume"), "line 3 repeats prompt_index 1");

        String empty = lines.get(1).replaceFirst("\"trajectories\":\\[.*\\],\"best\"", "\"trajectories\":[],\"best\"");
        assertTrue(empty.contains("\"trajectories\":[]"), empty);
        Files.write(out, List.of(lines.get(0), empty));
        assertOneLineError(RunFixtures.run(bon(prompts, out), "--resume"), "trajectories");
    }

    @Test
    void maxNewTokensPastTheContextNamesTheContextNotTheBudget() {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        List<Object> args = new java.util.ArrayList<>(bon(prompts, temp.resolve("o.jsonl")));
        args.set(args.indexOf("--max-new-tokens") + 1, 1000000000);
        assertOneLineError(RunFixtures.run(args), "context window of 256 tokens");
    }

    @Test
    void aFullDiskNamesTheFileAndWritesNothingHalf() throws IOException {
        // /dev/full answers every write with ENOSPC, as a full disk does
        try (RunOutput full = RunOutput.lock(Path.of("/dev/full"))) {
            FileSystemException e = assertThrows(FileSystemException.class, () -> full.writeLine("{\"a\": 1}"));
            assertEquals("/dev/full", e.getFile());
            assertTrue(ErrorReporter.userMessage(e).startsWith("/dev/full: cannot write a record"),
                    ErrorReporter.userMessage(e));
        }
    }

    @Test
    void aRecordThatCannotBeEncodedWritesNothing() throws IOException {
        Path out = temp.resolve("o.jsonl");
        try (RunOutput output = RunOutput.lock(out)) {
            output.writeLine("{\"a\": 1}");
            assertThrows(BadInputException.class, () -> output.writeLine("{\"a\": \"\uD800\"}"));
        }
        assertEquals("{\"a\": 1}\n", Files.readString(out));
    }
}
