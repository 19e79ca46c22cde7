package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --matmul q8_0} from the command line (own JVMs: the backend is chosen once per process). */
class Q8CommandTest {
    @Test
    void benchReportsTheQ8BackendAndScoresWithIt() throws Exception {
        Cli.Result r = Cli.runInOwnJvm(List.of(), "--matmul", "q8_0", "bench", "--model", TestData.fixture("qwen2"),
                "--reward-model", TestData.fixture("qwen2-rm"), "--n", "1,4", "--prompt-len", "5", "--new-tokens",
                "3", "--runs", "1", "--json");
        assertEquals(0, r.code(), r.toString());
        for (String line : r.outLines()) {
            JsonNode row = TestData.JSON.readTree(line);
            assertEquals("q8_0", row.get("matmul").asText(), line);
            assertTrue(row.get("decode_tokens_per_s").asDouble() > 0, line);
            assertTrue(row.get("score_tokens_per_s").asDouble() > 0, line);
        }
    }

    /** The same reward model scores the same tokens a little differently on 8-bit weights, and close. */
    @Test
    void scoreDiffersSlightlyFromTheStoredWeights() throws Exception {
        Object[] args = {"score", "--reward-model", TestData.fixture("llama-rm"), "--ids", "5,6,7,8,9,10", "--json"};
        Cli.Result stored = Cli.runInOwnJvm(List.of("-Dspecrej.matmul=vector"), args);
        Cli.Result q8 = Cli.runInOwnJvm(List.of("-Dspecrej.matmul=q8_0"), args);
        assertEquals(0, stored.code(), stored.toString());
        assertEquals(0, q8.code(), q8.toString());
        double a = TestData.JSON.readTree(stored.out()).get("score").asDouble();
        double b = TestData.JSON.readTree(q8.out()).get("score").asDouble();
        assertNotEquals(a, b, "the weights were quantized");
        assertTrue(Math.abs(a - b) <= 0.05 * Math.max(1, Math.abs(a)), a + " vs " + b);
    }
}
