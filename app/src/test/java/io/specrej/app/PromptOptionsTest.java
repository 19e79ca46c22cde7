package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** System messages, template arguments, stop strings and stop token ids on generate and run; streaming output. */
class PromptOptionsTest {
    private static final Path GEN = TestData.root().resolve("models/mini-alpaca-gen");

    @TempDir
    Path dir;

    private static JsonNode json(Cli.Result r) throws Exception {
        assertEquals(0, r.code(), r.toString());
        return TestData.JSON.readTree(r.out().lines().findFirst().orElseThrow());
    }

    @Test
    void stopStringsCutTheTextAsVllmDoes() throws Exception {
        Object[] base = {"generate", "--model", GEN, "--prompt", "Give three tips for staying healthy.", "--chat",
            "--max-new-tokens", 40, "--seed", 3, "--json"};
        JsonNode whole = json(Cli.run(base));
        String text = whole.get("text").asText();
        String stop = text.substring(10, 13);
        Object[] stopped = java.util.stream.Stream.concat(java.util.Arrays.stream(base),
                java.util.stream.Stream.of("--stop", stop)).toArray();
        JsonNode cut = json(Cli.run(stopped));
        assertEquals("stop", cut.get("finish_reason").asText());
        assertEquals(text.substring(0, text.indexOf(stop)), cut.get("text").asText());
    }

    @Test
    void aSystemMessageAndTemplateArgumentsReachTheTemplateAndPrintPromptShowsThem() throws Exception {
        Cli.Result r = Cli.run("generate", "--model", GEN, "--prompt", "Hi", "--chat", "--system",
                "You are terse.", "--chat-template-kwargs", "{\"unused_flag\": true}", "--print-prompt",
                "--max-new-tokens", 2, "--json");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("You are terse.") && r.err().contains("Hi"), r.err());
        Cli.Result noChat = Cli.run("generate", "--model", GEN, "--prompt", "Hi", "--system", "x");
        assertEquals(2, noChat.code());
        assertTrue(noChat.err().contains("--chat"), noChat.err());
        Cli.Result badJson = Cli.run("generate", "--model", GEN, "--prompt", "Hi", "--chat",
                "--chat-template-kwargs", "[1]");
        assertEquals(2, badJson.code());
        assertTrue(badJson.err().contains("JSON object"), badJson.err());
    }

    @Test
    void extraStopTokenIdsEndTheResponse() throws Exception {
        JsonNode whole = json(Cli.run("generate", "--model", GEN, "--prompt", "Hello", "--max-new-tokens", 12,
                "--seed", 1, "--json"));
        JsonNode ids = whole.get("token_ids");
        int third = ids.get(2).asInt();
        JsonNode stopped = json(Cli.run("generate", "--model", GEN, "--prompt", "Hello", "--max-new-tokens", 12,
                "--seed", 1, "--json", "--stop-token-ids", third));
        int first = 0;
        while (ids.get(first).asInt() != third) {
            first++;
        }
        assertEquals(first + 1, stopped.get("token_ids").size(), "ends at the first occurrence");
        assertEquals("stop", stopped.get("finish_reason").asText());
    }

    @Test
    void oneSequenceStreamsTheTextItWouldPrintWhole() throws Exception {
        JsonNode whole = json(Cli.run("generate", "--model", GEN, "--prompt", "Tell me a story.", "--chat",
                "--max-new-tokens", 30, "--seed", 5, "--json"));
        Cli.Result streamed = Cli.run("generate", "--model", GEN, "--prompt", "Tell me a story.", "--chat",
                "--max-new-tokens", 30, "--seed", 5);
        assertEquals(0, streamed.code());
        assertEquals(whole.get("text").asText() + "\n", streamed.out());
    }

    @Test
    void runRecordsItsPromptOptionsAndCutsAtStopStrings() throws Exception {
        Path prompts = Files.writeString(dir.resolve("p.txt"), "Give three tips for staying healthy.\nHi\n");
        Path out = dir.resolve("out.jsonl");
        Cli.Result r = Cli.run("run", "--prompts", prompts, "--strategy", "bon", "--n", 3, "--max-new-tokens", 24,
                "--out", out, "--progress", "none", "--system", "Be brief.", "--stop", ".", "--stop-token-ids", "5");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        for (String line : lines) {
            JsonNode rec = TestData.JSON.readTree(line);
            JsonNode params = rec.get("params");
            assertEquals("Be brief.", params.get("system").asText());
            assertEquals(".", params.get("stop").get(0).asText());
            assertEquals(5, params.get("stop_token_ids").get(0).asInt());
            for (JsonNode t : rec.get("trajectories")) {
                assertFalse(t.get("text").asText().contains("."), t.get("text").asText());
            }
        }
        Cli.Result resumed = Cli.run("run", "--prompts", prompts, "--strategy", "bon", "--n", 3,
                "--max-new-tokens", 24, "--out", out, "--progress", "none", "--resume");
        assertEquals(2, resumed.code(), "other options: --resume refuses");
    }
}
