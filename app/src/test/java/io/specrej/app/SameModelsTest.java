package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run file made from another checkout (the same models at another path) resumes; other models do not. */
class SameModelsTest {
    @TempDir
    Path dir;

    private Cli.Result run(Path out, int limit, boolean resume) {
        List<Object> args = new java.util.ArrayList<>(List.of("run", "--prompts",
                TestData.root().resolve("testdata/alpaca_farm_dev50.json"), "--limit", limit, "--strategy", "bon",
                "--n", 2, "--max-new-tokens", 8, "--progress", "none", "--out", out));
        if (resume) {
            args.add("--resume");
        }
        return Cli.run(args.toArray());
    }

    @Test
    void theSameModelsAtAnotherPathResumeAndOtherModelsDoNot() throws Exception {
        Path out = dir.resolve("run.jsonl");
        assertEquals(0, run(out, 1, false).code());
        String line = Files.readString(out);
        String here = TestData.JSON.readTree(line).get("params").get("generator").asText();
        Files.writeString(out, line.replace(here, "/elsewhere/mini-alpaca-gen"));
        Cli.Result moved = run(out, 2, true);
        assertEquals(0, moved.code(), moved.toString());
        assertEquals(2, Files.readAllLines(out).size());

        Path other = dir.resolve("other.jsonl");
        assertEquals(0, run(other, 1, false).code());
        String first = Files.readString(other);
        String hash = TestData.JSON.readTree(first).get("provenance").get("generator").get("config_sha256").asText();
        Files.writeString(other, first.replace(here, "/elsewhere/mini-alpaca-gen").replace(hash, "0".repeat(64)));
        Cli.Result refused = run(other, 2, true);
        assertEquals(2, refused.code(), refused.toString());
        assertTrue(refused.err().contains("generator"), refused.err());
    }
}
