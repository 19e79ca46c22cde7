package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptFileTest {
    @TempDir
    Path temp;

    @Test
    void theThreeFormatsGiveTheSamePrompts() throws IOException {
        Path list = RunFixtures.jsonListPrompts(temp);
        StringBuilder jsonl = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < RunFixtures.PROMPTS.size(); i++) {
            String p = RunFixtures.PROMPTS.get(i);
            // JSON Lines may say "prompt" or "instruction"; blank lines are not prompts
            jsonl.append(i % 2 == 0 ? "{\"prompt\": " : "{\"instruction\": ").append(RunFixtures.quote(p))
                    .append("}\n\n");
            text.append(p).append("\n\n");
        }
        Path lines = RunFixtures.write(temp.resolve("p.jsonl"), jsonl.toString());
        Path plain = RunFixtures.write(temp.resolve("p.txt"), text.toString());

        PromptFile.Prompts a = PromptFile.read(list);
        PromptFile.Prompts b = PromptFile.read(lines);
        PromptFile.Prompts c = PromptFile.read(plain);
        assertEquals(PromptFile.Format.JSON_LIST, a.format());
        assertEquals(PromptFile.Format.JSON_LINES, b.format());
        assertEquals(PromptFile.Format.TEXT, c.format());
        assertEquals(RunFixtures.PROMPTS, a.texts());
        assertEquals(RunFixtures.PROMPTS, b.texts());
        assertEquals(RunFixtures.PROMPTS, c.texts());
    }

    @Test
    void readsTheBundledAlpacaFarmSet() throws IOException {
        PromptFile.Prompts p = PromptFile.read(TestData.root().resolve("testdata/alpaca_farm_dev50.json"));
        assertEquals(PromptFile.Format.JSON_LIST, p.format());
        assertEquals(50, p.texts().size());
        assertTrue(p.texts().get(0).startsWith("Given the following implementation"));
    }

    @Test
    void instructionWithInputIsJoinedAsAlpacaDoes() throws IOException {
        Path f = RunFixtures.write(temp.resolve("a.jsonl"),
                "{\"instruction\": \"Translate.\", \"input\": \"Bonjour\"}\n{\"instruction\": \"Smile.\", \"input\": \"\"}\n");
        assertEquals(List.of("Translate.\n\nBonjour", "Smile."), PromptFile.read(f).texts());
    }

    @Test
    void errorsNameTheFileAndLine() throws IOException {
        Path list = RunFixtures.write(temp.resolve("l.json"), "[\n  {\"prompt\": \"a\"},\n  {\"prompt\": 3}\n]");
        assertMessage(list, list + " line 3: \"prompt\" must be a string, found number");
        Path broken = RunFixtures.write(temp.resolve("b.json"), "[\n  {\"prompt\": \"a\"},\n  {\"prompt\" \"b\"}\n]");
        assertTrue(message(broken).startsWith(broken + " line 3: not valid JSON"), message(broken));
        Path empty = RunFixtures.write(temp.resolve("e.txt"), "\n \n");
        assertMessage(empty, empty + ": holds no prompts");
        Path latin1 = temp.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertMessage(latin1, latin1 + " line 2: not valid UTF-8 text");
    }

    private static void assertMessage(Path file, String expected) {
        assertEquals(expected, message(file));
    }

    private static String message(Path file) {
        return assertThrows(BadInputException.class, () -> PromptFile.read(file)).getMessage();
    }
}
