package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    @Test
    void jsonIsOneObjectPerBatchSizeWithTheDocumentedKeys() throws Exception {
        Cli.Result r = Cli.run("bench", "--model", TestData.fixture("qwen2"), "--reward-model",
                TestData.fixture("qwen2-rm"), "--n", "1,3", "--prompt-len", "5", "--new-tokens", "3", "--runs", "1",
                "--threads", "1", "--json");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.outLines();
        assertEquals(2, lines.size(), r.toString());
        for (int i = 0; i < 2; i++) {
            JsonNode row = TestData.JSON.readTree(lines.get(i));
            assertEquals(i == 0 ? 1 : 3, row.get("n").asInt());
            Set<String> keys = new TreeSet<>();
            row.fieldNames().forEachRemaining(keys::add);
            assertTrue(keys.containsAll(Set.of("n", "prefill_tokens_per_s", "decode_tokens_per_s",
                    "score_tokens_per_s", "decode_gflops", "kv_bytes", "prepare_s")), keys.toString());
            assertTrue(row.get("prepare_s").asDouble() >= 0, line(row));
            assertTrue(row.get("decode_tokens_per_s").asDouble() > 0);
            assertTrue(row.get("kv_bytes").asLong() > 0);
        }
    }

    /** In its own JVM, as the launcher runs it, bench turns the region timers on and splits decode and scoring. */
    @Test
    void regionSharesSplitDecodeAndScoring() throws Exception {
        Cli.Result r = Cli.runInOwnJvm(List.of(), "bench", "--model", TestData.fixture("qwen2"), "--reward-model",
                TestData.fixture("qwen2-rm"), "--n", "2", "--prompt-len", "20", "--new-tokens", "3", "--runs", "1",
                "--threads", "1", "--json");
        assertEquals(0, r.code(), r.toString());
        JsonNode row = TestData.JSON.readTree(r.outLines().get(0));
        for (String[] split : new String[][] {{"matmul_share", "attention_share"},
                {"score_matmul_share", "score_attention_share"}}) {
            double matmul = row.path(split[0]).asDouble(-1);
            double attention = row.path(split[1]).asDouble(-1);
            assertTrue(matmul > 0 && attention > 0 && matmul + attention <= 1.0001, line(row));
        }
    }

    /** With --private-context every sequence holds the whole prompt's KV itself, not one shared copy. */
    @Test
    void privateContextHoldsOneContextPerSequence() throws Exception {
        long[] kv = new long[2];
        for (int i = 0; i < 2; i++) {
            List<Object> args = new java.util.ArrayList<>(List.of("bench", "--model", TestData.fixture("llama"), "--n",
                    "4", "--prompt-len", "40", "--new-tokens", "2", "--runs", "1", "--json"));
            if (i == 1) {
                args.add("--private-context");
            }
            Cli.Result r = Cli.run(args.toArray());
            assertEquals(0, r.code(), r.toString());
            JsonNode row = TestData.JSON.readTree(r.outLines().get(0));
            assertEquals(i == 1, row.get("private_context").asBoolean(), line(row));
            assertFalse(row.get("prompt_copy").asBoolean(), "an f32 model's prompt gets no bf16 copy: " + line(row));
            kv[i] = row.get("kv_bytes").asLong();
        }
        // The 40-token prompt fills two whole 16-token pages, which the four forks share; private, three of them hold
        // their own copies (the last keeps the original). The partly filled third page is copied on the first write
        // either way. A page: 16 tokens x (keys, values) x 2 layers x (2 kv heads x 16) x 4 bytes.
        long page = 16L * 2 * 2 * (2 * 16) * 4;
        assertEquals(kv[0] + 3 * 2 * page, kv[1], kv[0] + " shared vs " + kv[1] + " private");
    }

    private static String line(JsonNode row) {
        return row.toString();
    }

    @Test
    void textModePrintsTheMachineHeader() {
        Cli.Result r = Cli.run("bench", "--model", TestData.fixture("qwen2"), "--n", "2", "--prompt-len", "4",
                "--new-tokens", "2", "--runs", "1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("machine") && r.out().contains("jvm") && r.out().contains("n=2"), r.out());
        assertTrue(r.out().contains("prepare      "), r.out());
    }

    @Test
    void badBatchSizeIsAUsageError() {
        Cli.Result r = Cli.run("bench", "--model", TestData.fixture("qwen2"), "--n", "0");
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.toString());
    }
}
