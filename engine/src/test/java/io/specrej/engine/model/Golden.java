package io.specrej.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.generate.Generator;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.sample.SamplingParams;
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

    /**
     * The llama-bf16 fixture's yardstick for a backend that rounds: sequence by sequence, {@code model}'s last logits
     * are at most {@code factor} times as far from {@code f32_upcast} as transformers' own all-bf16 inference
     * ({@code bf16}) is, and its greedy continuation agrees with {@code f32_upcast}'s at least as long as that one.
     */
    static void assertWithinTransformersBf16Error(TransformerModel model, double factor, String backend) {
        JsonNode upcast = load("llama-bf16").get("f32_upcast").get("sequences");
        JsonNode bf16 = load("llama-bf16").get("bf16").get("sequences");
        for (int s = 0; s < upcast.size(); s++) {
            String name = upcast.get(s).get("name").asText();
            int[] ids = ints(upcast.get(s).get("input_ids"));
            KvCache cache = model.newCache();
            int id = cache.newSequence();
            float[] logits = model.forwardLast(cache, new int[] {id}, new int[] {0, ids.length}, 1, ids);
            float[] reference = floats(upcast.get(s).get("last_logits"));
            double ours = maxAbsDiff(logits, reference);
            double theirs = maxAbsDiff(floats(bf16.get(s).get("last_logits")), reference);
            if (!(ours <= factor * theirs)) {
                throw new AssertionError(name + ": " + backend + " is " + ours + " from f32_upcast, transformers bf16 "
                        + theirs + " (allowed: " + factor + "x)");
            }
            int[] expected = ints(upcast.get(s).get("greedy").get("new_tokens"));
            int[] got = new Generator(model).generate(ids, 1, SamplingParams.GREEDY, StopTokens.NONE, 0,
                    expected.length).get(0).tokens();
            int oursAgree = agreeing(got, expected);
            int theirsAgree = agreeing(ints(bf16.get(s).get("greedy").get("new_tokens")), expected);
            if (oursAgree < theirsAgree) {
                throw new AssertionError(name + ": " + backend + " greedy agrees with f32_upcast for " + oursAgree
                        + " tokens, transformers bf16 for " + theirsAgree);
            }
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
