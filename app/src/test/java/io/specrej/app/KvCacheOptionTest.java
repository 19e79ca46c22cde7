package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --kv-cache bf16} from the command line: reported by inspect and run records, half the bytes per token, so a
 * memory budget holds twice the sequences; scores move slightly; each command's choice is its own.
 */
class KvCacheOptionTest {
    @TempDir
    Path temp;

    private static JsonNode inspect(Object... options) throws IOException {
        Object[] args = new Object[options.length + 3];
        System.arraycopy(options, 0, args, 0, options.length);
        args[options.length] = "inspect";
        args[options.length + 1] = TestData.fixture("llama");
        args[options.length + 2] = "--json";
        Cli.Result r = Cli.run(args);
        assertEquals(0, r.code(), r::toString);
        return TestData.JSON.readTree(r.out());
    }

    @Test
    void inspectReportsTheChosenPrecisionAndItsBytesAndTheNextCommandGoesBackToF32() throws IOException {
        JsonNode bf16 = inspect("--kv-cache", "bf16");
        assertEquals("bf16", bf16.get("kv_cache").asText());
        assertEquals(2 * 2 * 2 * 16 * 2, bf16.get("kv_bytes_per_token").asLong()); // 2·layers·kv_heads·head_dim·2
        JsonNode plain = inspect();
        assertEquals("f32", plain.get("kv_cache").asText(), "an in-process command must not inherit --kv-cache");
        assertEquals(2 * 2 * 2 * 16 * 4, plain.get("kv_bytes_per_token").asLong());
    }

    @Test
    void anUnknownPrecisionIsAOneLineError() {
        Cli.Result r = Cli.run("--kv-cache", "fp8", "inspect", TestData.fixture("llama"));
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().startsWith("error: unknown KV cache precision 'fp8' (expected f32 or bf16)"), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::toString);
    }

    @Test
    void anUnknownPrecisionInThePropertySaysWhereItCameFrom() throws Exception {
        Cli.Result r = Cli.runInOwnJvm(java.util.List.of("-Dspecrej.kvCache=fp8"), "inspect", TestData.fixture("llama"));
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().startsWith("error: -Dspecrej.kvCache: unknown KV cache precision 'fp8'"), r::toString);
    }

    @Test
    void scoresMoveSlightly() throws IOException {
        Object[] score = {"score", "--reward-model", TestData.fixture("llama-rm"), "--ids", "5,6,7,8,9,10", "--json"};
        Cli.Result f32 = Cli.run(score);
        Object[] withBf16 = new Object[score.length + 2];
        withBf16[0] = "--kv-cache";
        withBf16[1] = "bf16";
        System.arraycopy(score, 0, withBf16, 2, score.length);
        Cli.Result bf16 = Cli.run(withBf16);
        assertEquals(0, f32.code(), f32::toString);
        assertEquals(0, bf16.code(), bf16::toString);
        double a = TestData.JSON.readTree(f32.out()).get("score").asDouble();
        double b = TestData.JSON.readTree(bf16.out()).get("score").asDouble();
        assertNotEquals(a, b, "keys and values were rounded");
        assertTrue(Math.abs(a - b) <= 0.05 * Math.max(1, Math.abs(a)), a + " vs " + b);
    }

    /** Speculative Rejection starts with as many sequences as the budget holds: a bf16 cache holds twice as many. */
    @Test
    void aBudgetHoldsTwiceTheSequences() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        int[] initial = new int[2];
        String[] precisions = {"f32", "bf16"};
        for (int i = 0; i < 2; i++) {
            Path out = temp.resolve(precisions[i] + ".jsonl");
            Cli.Result r = RunFixtures.run(RunFixtures.fixtureArgs(prompts, out, "specrej", 0), "--limit", 1,
                    "--max-batch", 1000, "--memory-budget", "256KiB", "--kv-cache", precisions[i]);
            assertEquals(0, r.code(), r::toString);
            JsonNode line = RunFixtures.lines(out).get(0);
            assertEquals(precisions[i], line.at("/params/kv_cache").asText());
            assertTrue(line.at("/stats/peak_kv_bytes").asLong() <= 256 << 10, line::toString);
            initial[i] = line.at("/stats/initial_batch").asInt();
        }
        assertTrue(initial[0] >= 2 && initial[0] < 1000, "f32 initial batch " + initial[0]);
        assertTrue(initial[1] >= 2 * initial[0], "bf16 " + initial[1] + " vs f32 " + initial[0]);
    }

    /**
     * The precision and the backend are among a run file's options: --resume refuses another one; a line written before
     * they were recorded counts as f32 and whichever backend runs now.
     */
    @Test
    void resumeChecksThePrecisionAndTheBackend() throws IOException {
        Path prompts = RunFixtures.jsonListPrompts(temp);
        Path out = temp.resolve("run.jsonl");
        java.util.List<Object> args = RunFixtures.fixtureArgs(prompts, out, "bon", 2);
        assertEquals(0, RunFixtures.run(args, "--limit", 1).code());
        String line = java.nio.file.Files.readString(out);
        JsonNode params = TestData.JSON.readTree(line).get("params");
        assertEquals("f32", params.get("kv_cache").asText());
        assertEquals("auto", params.get("matmul").asText(), "the choice, not what auto resolved to");

        Cli.Result quantized = RunFixtures.run(args, "--limit", 2, "--resume", "--matmul", "q8_0");
        assertEquals(2, quantized.code(), quantized::toString);
        assertTrue(quantized.err().contains("matmul"), quantized::toString);

        String recorded = ",\"kv_cache\":\"f32\",\"matmul\":\"auto\"";
        assertTrue(line.contains(recorded), line);
        java.nio.file.Files.writeString(out, line.replace(recorded, ""));
        Cli.Result other = RunFixtures.run(args, "--limit", 2, "--resume", "--kv-cache", "bf16");
        assertEquals(2, other.code(), other::toString);
        assertTrue(other.err().contains("kv_cache"), other::toString);
        Cli.Result same = RunFixtures.run(args, "--limit", 2, "--resume");
        assertEquals(0, same.code(), same::toString);
        assertEquals(2, RunFixtures.lines(out).size());
    }
}
