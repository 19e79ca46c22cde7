package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code score --input}: many pairs in one process, batched, each score equal to scoring the pair alone. */
class ScoreInputTest {
    private static final String[][] PAIRS = {{"What is 2+2?", "4."}, {"Name a color.", "Blue, like the sea."},
        {"Say hi.", ""}, {"Why is the sky blue?", "Rayleigh scattering of sunlight by the air."},
        {"Count to three.", "One, two, three."}};

    @TempDir
    Path temp;

    @Test
    void scoresEveryPairInOrderAsScoringItAloneDoes() throws Exception {
        StringBuilder file = new StringBuilder();
        for (String[] p : PAIRS) {
            file.append(TestData.JSON.writeValueAsString(java.util.Map.of("prompt", p[0], "response", p[1])))
                    .append("\n\n"); // blank lines are skipped
        }
        Path input = RunFixtures.write(temp.resolve("pairs.jsonl"), file.toString());
        Path rm = TestData.fixture("llama-rm");
        Cli.Result r = Cli.run("score", "--reward-model", rm, "--input", input, "--batch-size", 2);
        assertEquals(0, r.code(), r::toString);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : r.out().strip().split("\n")) {
            lines.add(TestData.JSON.readTree(line));
        }
        assertEquals(PAIRS.length, lines.size());
        for (int i = 0; i < PAIRS.length; i++) {
            assertEquals(i, lines.get(i).get("index").asInt());
            Cli.Result alone = Cli.run("score", "--reward-model", rm, "--prompt", PAIRS[i][0], "--response",
                    PAIRS[i][1], "--json");
            assertEquals(0, alone.code(), alone::toString);
            // batch invariance: the same float whatever else shares its forward pass
            assertEquals(TestData.JSON.readTree(alone.out()).get("score").floatValue(),
                    lines.get(i).get("score").floatValue(), "pair " + i);
        }
    }

    @Test
    void aBadLineIsNamedBeforeAnythingIsScored() {
        Path input = RunFixtures.write(temp.resolve("bad.jsonl"), "{\"prompt\": \"a\", \"response\": \"b\"}\n"
                + "{\"prompt\": \"a\"}\n");
        Cli.Result r = Cli.run("score", "--reward-model", TestData.fixture("llama-rm"), "--input", input);
        assertEquals(2, r.code(), r::toString);
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("error: " + input + " line 2: expected an object with string fields "
                + "\"prompt\" and \"response\""), r::toString);
    }
}
