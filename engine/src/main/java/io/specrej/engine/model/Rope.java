package io.specrej.engine.model;

import java.util.Arrays;

/**
 * Rotary position embeddings on the first {@code rotaryDim} dimensions of each head: as transformers' Llama family
 * applies them ("rotate_half": element i pairs with i + rotaryDim/2) or as GPT-J does ("rotate_every_two": elements
 * 2i and 2i+1 pair, with frequency i), with the default, linear and llama3 frequency rules. Frequencies are computed in float32 the way
 * torch computes them, so angles match transformers' to the last bit or two.
 */
final class Rope {
    private final int half;
    private final boolean interleaved;
    private final float[] invFreq;
    private float[] cos = new float[0];
    private float[] sin = new float[0];
    private int positions;

    /** @param rotaryDim the rotated dimensions per head (the head size for the Llama family; GPT-J's rotary_dim) */
    Rope(int rotaryDim, double theta, RopeScaling scaling, boolean interleaved) {
        this.half = rotaryDim / 2;
        this.interleaved = interleaved;
        this.invFreq = inverseFrequencies(rotaryDim, theta, scaling);
    }

    static float[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = 1.0f / (float) Math.pow(theta, exponent);
        }
        switch (scaling.type()) {
            case "linear" -> {
                for (int i = 0; i < half; i++) {
                    inv[i] = inv[i] / (float) scaling.factor();
                }
            }
            case "llama3" -> applyLlama3(inv, scaling);
            default -> {
            }
        }
        return inv;
    }

    private static void applyLlama3(float[] inv, RopeScaling s) {
        float factor = (float) s.factor();
        float low = (float) s.lowFreqFactor();
        float high = (float) s.highFreqFactor();
        float oldContext = s.originalMaxPositionEmbeddings();
        float lowFreqWavelen = oldContext / low;
        float highFreqWavelen = oldContext / high;
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (oldContext / wavelen - low) / (high - low);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }

    /** Makes positions [0, count) available; call before a parallel region that reads them. */
    void ensure(int count) {
        if (count <= positions) {
            return;
        }
        int target = Math.max(count, positions * 2);
        cos = Arrays.copyOf(cos, target * half);
        sin = Arrays.copyOf(sin, target * half);
        for (int p = positions; p < target; p++) {
            for (int i = 0; i < half; i++) {
                float angle = invFreq[i] * (float) p;
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        positions = target;
    }

    /** Rotates {@code heads} consecutive head vectors starting at x[off] for the given position, in place. */
    void apply(float[] x, int off, int heads, int headDim, int position) {
        int base = position * half;
        // Pair (a, b) of frequency i: a' = a cos - b sin, b' = b cos + a sin, in both layouts.
        int pairStride = interleaved ? 2 : 1;
        int partner = interleaved ? 1 : half;
        for (int h = 0; h < heads; h++) {
            int o = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = cos[base + i];
                float s = sin[base + i];
                int a = o + i * pairStride;
                float x1 = x[a];
                float x2 = x[a + partner];
                x[a] = x1 * c - x2 * s;
                x[a + partner] = x2 * c + x1 * s;
            }
        }
    }
}
