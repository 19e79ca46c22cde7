package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void barRedrawsOneLineAndEndsIt() {
        StringWriter text = new StringWriter();
        Progress p = new Progress(new PrintWriter(text), Progress.Mode.BAR, 4);
        p.start();
        p.promptDone(0, 1.5, 8, 100, 0.5);
        p.promptDone(1, 1.5, 8, 100, 0.5);
        p.finish();
        String out = text.toString();
        assertEquals(3, out.chars().filter(c -> c == '\r').count(), out);
        assertEquals(1, out.chars().filter(c -> c == '\n').count(), "one line, ended once: " + out);
        assertTrue(out.contains("[###############...............] 2/4 prompts"), out);
        assertTrue(out.contains("tokens/s  ETA "), out);
    }

    @Test
    void linesModePrintsOneLinePerPrompt() {
        StringWriter text = new StringWriter();
        Progress p = new Progress(new PrintWriter(text), Progress.Mode.LINES, 2);
        p.start();
        p.promptDone(7, 1.25, 8, 100, 0.5);
        p.finish();
        assertEquals("prompt 7 (1/2): best 1.2500 of 8, 100 tokens, 0.50 s\n", text.toString().replace("\r\n", "\n"));
        assertEquals("1:01:01", Progress.clock(3661));
        assertEquals("2:05", Progress.clock(125));
    }
}
