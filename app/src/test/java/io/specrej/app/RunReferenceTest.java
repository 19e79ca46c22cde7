package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code run} drives the step-driven core that the server uses; its records must equal the ones the per-prompt
 * strategies wrote before that core existed (testdata/runs-reference, README there), except wall-clock seconds and
 * the absolute model paths.
 */
class RunReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bon        | --limit 3 --strategy bon --n 6 --max-new-tokens 40 --seed 3",
        "bon-greedy | --limit 2 --strategy bon --n 5 --memory-budget 4MiB --max-new-tokens 32 --seed 11 --greedy",
        "spr        | --limit 3 --strategy specrej --alpha 0.5 --memory-budget 3MiB --max-new-tokens 48 --seed 3",
        "spr-every  | --limit 2 --strategy specrej --alpha 0.6 --memory-budget 4MiB --decision-every 12"
                + " --max-new-tokens 40 --seed 5",
        "spr-alpha0 | --limit 2 --strategy specrej --alpha 0 --memory-budget 3MiB --max-new-tokens 64 --seed 9",
        "spr-self   | --limit 2 --strategy specrej --reward-model self --memory-budget 2MiB --max-new-tokens 32"
                + " --seed 2"})
    void runRecordsEqualTheReferenceFiles(String name, String options) throws Exception {
        Path root = TestData.root();
        Path out = dir.resolve(name + ".jsonl");
        List<Object> args = new ArrayList<>(List.of("run", "--prompts", root.resolve("testdata/alpaca_farm_dev50.json"),
                "--progress", "none", "--out", out, "--matmul", "auto", "--kv-cache", "f32"));
        args.addAll(List.of(options.trim().split("\\s+")));
        Cli.Result r = Cli.run(args.toArray());
        assertEquals(0, r.code(), r.toString());
        List<String> expected = Files.readAllLines(root.resolve("testdata/runs-reference/" + name + ".jsonl"));
        List<String> actual = Files.readAllLines(out);
        assertEquals(expected.size(), actual.size(), "records");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(comparable(expected.get(i)), comparable(actual.get(i)), name + " record " + i);
            assertTrue(JSON.readTree(actual.get(i)).path("provenance").path("specrej_version").isTextual(),
                    "provenance written");
        }
    }

    /**
     * The record without what legitimately differs between two runs of the same command (provenance: build and
     * machine), in the format the reference files were written in: the fields added since (rejected_at_decision and
     * rejected_at_tokens, checked here against rejected_at and the decisions) are dropped, and Best-of-N's unused
     * alpha, which the reference files still carry as 0.5, reads as the null written now.
     */
    private static JsonNode comparable(String line) throws Exception {
        ObjectNode record = (ObjectNode) JSON.readTree(line);
        record.remove("provenance");
        for (JsonNode t : record.get("trajectories")) {
            ObjectNode trajectory = (ObjectNode) t;
            if (trajectory.has("rejected_at_decision")) {
                JsonNode at = trajectory.get("rejected_at");
                assertEquals(at, trajectory.remove("rejected_at_decision"));
                JsonNode tokens = trajectory.remove("rejected_at_tokens");
                assertEquals(at.isNull() ? at : record.at("/stats/decisions/" + at.asInt() + "/tokens_so_far"),
                        tokens);
            }
        }
        ObjectNode params = (ObjectNode) record.get("params");
        if (params.path("strategy").asText().equals("bon")) {
            params.putNull("alpha");
        }
        params.remove("generator");
        params.remove("reward_model");
        ObjectNode stats = (ObjectNode) record.get("stats");
        for (Iterator<String> it = stats.fieldNames(); it.hasNext(); ) {
            if (it.next().endsWith("_seconds")) {
                it.remove();
            }
        }
        return record;
    }
}
