package io.specrej.app.serve;

import io.specrej.engine.generate.StopStrings;

import io.specrej.engine.text.HfTokenizer;
import java.util.Arrays;

/**
 * One choice's text as its tokens arrive: each call returns the new text that is safe to send (complete characters,
 * nothing that may turn into a stop string), and {@link #finish} the rest, cut at a stop string.
 */
final class TextStreamer {
    private final HfTokenizer tokenizer;
    private final StopStrings stop;
    private int[] tokens = new int[32];
    private int length;
    private int sent;

    TextStreamer(HfTokenizer tokenizer, StopStrings stop) {
        this.tokenizer = tokenizer;
        this.stop = stop;
    }

    /** Adds a token; returns text to send now (possibly empty). */
    String add(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, length * 2);
        }
        tokens[length++] = token;
        String text = text();
        int safe = Math.min(stop.safeLength(text), stop.cut(text).length());
        if (safe <= sent) {
            return "";
        }
        String delta = text.substring(sent, safe);
        sent = safe;
        return delta;
    }

    /** The text not sent yet, the response being complete. */
    String finish() {
        String text = stop.cut(text());
        String rest = text.length() > sent ? text.substring(sent) : "";
        sent = text.length();
        return rest;
    }

    int tokens() {
        return length;
    }

    private String text() {
        return tokenizer.decode(Arrays.copyOf(tokens, length), true);
    }
}
