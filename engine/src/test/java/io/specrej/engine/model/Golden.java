package io.specrej.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Reads testdata/fixtures/golden/*.json. */
final class Golden {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Golden() {
    }

    static JsonNode load(String name) {
        Path file = TestData.fixtures().resolve("golden").resolve(name + ".json");
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.parseFloat(array.get(i).asText());
        }
        return out;
    }

    /** max |actual - expected| over a row, against the README's tolerance 1e-4 · max(1, max |expected|). */
    static void assertClose(float[] expected, float[] actual, int actualOffset, double relative, String what) {
        double maxAbs = 1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(actual[actualOffset + i] - expected[i]));
        }
        double tolerance = relative * maxAbs;
        if (!(worst <= tolerance)) {
            throw new AssertionError(what + ": max |diff| " + worst + " > tolerance " + tolerance);
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }

    /** Length of the common prefix of two token sequences. */
    static int agreeing(int[] a, int[] b) {
        int n = 0;
        while (n < Math.min(a.length, b.length) && a[n] == b[n]) {
            n++;
        }
        return n;
    }
}
