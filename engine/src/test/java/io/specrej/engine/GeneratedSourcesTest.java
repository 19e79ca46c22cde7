package io.specrej.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every generated Java file is what its generator writes: each generator runs into a temporary folder and its output
 * must equal the committed file byte for byte, so nobody edits a generated file by hand (the next regeneration would
 * silently undo it) and nobody edits a generator without regenerating.
 */
class GeneratedSourcesTest {
    private static final String ENGINE = "engine/src/main/java/io/specrej/engine/";

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "scripts/gen-vector-kernels.py, tensor/VectorKernels.java",
        "scripts/gen-q8-kernels.py, tensor/Q8Kernels.java",
        "scripts/gen-bf16-attention-kernels.py, model/Bf16AttentionKernels.java",
    })
    void committedFileIsTheGeneratorsOutput(String generator, String generated, @TempDir Path out)
            throws IOException, InterruptedException {
        Path root = TestData.repoRoot();
        Path committed = root.resolve(ENGINE + generated);
        Path written = out.resolve(committed.getFileName());
        run(root, List.of("python3", root.resolve(generator).toString(), out.toString()));
        assertTrue(Files.exists(written), generator + " wrote no " + written.getFileName());
        List<String> want = Files.readAllLines(written, StandardCharsets.UTF_8);
        List<String> have = Files.readAllLines(committed, StandardCharsets.UTF_8);
        for (int i = 0; i < Math.min(want.size(), have.size()); i++) {
            assertEquals(want.get(i), have.get(i), committed.getFileName() + " line " + (i + 1) + " differs from what "
                    + generator + " writes: edit the generator, not the file, and run python3 " + generator);
        }
        assertEquals(want.size(), have.size(), committed.getFileName() + " lines vs " + generator + "'s output");
        assertEquals(-1L, Files.mismatch(written, committed), committed.getFileName() + " differs from "
                + generator + "'s output (line endings or the last newline): run python3 " + generator);
    }

    private static void run(Path root, List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            fail("python3 is needed to check that generated sources match their generators (scripts/gen-*.py), and "
                    + "it could not be started (" + e.getMessage() + "): install Python 3 and put python3 on PATH");
            return;
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish");
        }
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + output);
    }
}
