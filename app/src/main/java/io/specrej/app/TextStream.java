package io.specrej.app;

import io.specrej.engine.generate.SequenceState;
import io.specrej.engine.generate.StopCondition;
import io.specrej.engine.generate.StopStrings;
import io.specrej.engine.text.HfTokenizer;
import java.io.PrintWriter;

/**
 * Prints one sequence's text as it grows: after each step the part that is settled (no incomplete UTF-8 character at
 * the end, nothing that may still turn into a stop string), and at the end the rest, cut before a stop string.
 */
final class TextStream {
    private final HfTokenizer tokenizer;
    private final StopStrings stop;
    private final PrintWriter out;
    private int printed;

    TextStream(HfTokenizer tokenizer, StopCondition stop, PrintWriter out) {
        this.tokenizer = tokenizer;
        this.stop = stop instanceof StopStrings s ? s : null;
        this.out = out;
    }

    void update(SequenceState s) {
        String text = tokenizer.decode(s.tokens(), true);
        int safe = settled(text);
        if (safe > printed) {
            out.print(text.substring(printed, safe));
            out.flush();
            printed = safe;
        }
    }

    void finish(SequenceState s) {
        String text = tokenizer.decode(s.tokens(), true);
        if (stop != null) {
            text = stop.cut(text);
        }
        if (text.length() > printed) {
            out.print(text.substring(printed));
        }
        out.println();
        out.flush();
    }

    private int settled(String text) {
        if (stop != null) {
            return Math.min(stop.safeLength(text), stop.cut(text).length());
        }
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        return end;
    }
}
