package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.model.TensorTable.Role;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.VectorOps;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.weights.CheckpointWeights;
import java.util.ArrayList;
import java.util.List;

/**
 * ArmoRM ({@code LlamaForRewardModelWithGating}, RLHFlow/ArmoRM-Llama3-8B-v0.1's modeling_custom.py): per-objective
 * rewards {@code regression_layer · h} at the reward token, mixed by a gating network read at the gate token:
 * {@code score = Σ_k gating[k] · (rewards · reward_transform_matrix)[k]}, where gating = softmax(MLP(h) /
 * gating_temperature) · logit_scale and the MLP is gating_n_hidden × (Linear + ReLU) then a Linear.
 *
 * <p>Reward token: the one before the first pad id, or the last when there is none (the pre-4.49 transformers rule the
 * model code keeps). Gate token: the start of the last occurrence of {@link #GATE_TEXT} encoded by the model's own
 * tokenizer (the user turn's closing {@code <|eot_id|>}), which lies in the prompt: {@link RewardModel} computes its
 * row once per prompt.
 *
 * <p>Output row: {@code [rewards (K), rewards · T (K), gating (K)]}, so the score needs no weights and
 * {@code score --explain} can show the parts.
 */
record GatingRewardHead(int objectives, double temperature, int hiddenDim, int hiddenLayers) implements RewardHead {
    /** The text whose tokens mark the gate position; the model code hard-codes its Llama-3 ids. */
    static final String GATE_TEXT = "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";

    /** config.json keys, with the model code's defaults. */
    static GatingRewardHead parse(ConfigFields f) {
        int layers = 3;
        Integer n = f.optionalInt("gating_n_hidden");
        if (n != null) {
            if (n < 0) {
                throw new BadInputException(f.file + ": gating_n_hidden must be >= 0, found " + n);
            }
            layers = n;
        }
        return new GatingRewardHead(f.positiveInt("num_objectives", 19), f.positiveDouble("gating_temperature", 10.0),
                f.positiveInt("gating_hidden_dim", 1024), layers);
    }

    @Override
    public String kind() {
        return "armorm_gating";
    }

    @Override
    public int labels() {
        return 1;
    }

    @Override
    public int outputWidth() {
        return 3 * objectives;
    }

    @Override
    public String gateText() {
        return GATE_TEXT;
    }

    @Override
    public void tensors(ModelConfig c, TensorTable t) {
        t.matrix("regression_layer.weight", -1, Role.HEAD, objectives, c.hiddenSize());
        t.matrix("reward_transform_matrix", -1, Role.HEAD, objectives, objectives);
        int in = c.hiddenSize();
        for (int l = 0; l <= hiddenLayers; l++) {
            int out = l == hiddenLayers ? objectives : hiddenDim;
            t.matrix("gating.layers." + l + ".weight", -1, Role.HEAD, out, in);
            t.zeros("gating.layers." + l + ".bias", -1, Role.HEAD, out);
            in = out;
        }
        t.ones("gating.logit_scale", -1, Role.HEAD, 1);
    }

    @Override
    public OutputHead bind(ModelConfig c, CheckpointWeights w) {
        WeightMatrix regression = w.matrix("regression_layer.weight", objectives, c.hiddenSize());
        float[] transform = w.floats("reward_transform_matrix", (long) objectives * objectives);
        List<WeightMatrix> layers = new ArrayList<>();
        List<float[]> biases = new ArrayList<>();
        int in = c.hiddenSize();
        for (int l = 0; l <= hiddenLayers; l++) {
            int out = l == hiddenLayers ? objectives : hiddenDim;
            layers.add(w.matrix("gating.layers." + l + ".weight", out, in));
            biases.add(w.vector("gating.layers." + l + ".bias", out));
            in = out;
        }
        float logitScale = w.vector("gating.logit_scale", 1)[0];
        return new Bound(regression, transform, layers, biases, logitScale);
    }

    @Override
    public int rewardIndex(int[] tokens, int length, Integer padId) {
        if (padId != null) {
            for (int i = 0; i < length; i++) {
                if (tokens[i] == padId) {
                    return i == 0 ? length - 1 : i - 1; // (argmax(ids == pad) - 1) mod L
                }
            }
        }
        return length - 1;
    }

    /** Start of the last occurrence of {@code pattern} in {@code tokens[0, length)}, or -1. */
    static int lastOccurrence(int[] tokens, int length, int[] pattern) {
        for (int start = length - pattern.length; start >= 0; start--) {
            int k = 0;
            while (k < pattern.length && tokens[start + k] == pattern[k]) {
                k++;
            }
            if (k == pattern.length) {
                return start;
            }
        }
        return -1;
    }

    @Override
    public float score(float[] out, int rewardOffset, float[] gate, int gateOffset, int label) {
        float sum = 0;
        for (int k = 0; k < objectives; k++) {
            sum += gate[gateOffset + 2 * objectives + k] * out[rewardOffset + objectives + k];
        }
        return sum;
    }

    @Override
    public java.util.Map<String, float[]> explain(float[] rewardRow, float[] gateRow) {
        java.util.Map<String, float[]> parts = new java.util.LinkedHashMap<>();
        parts.put("rewards", java.util.Arrays.copyOfRange(rewardRow, 0, objectives));
        parts.put("gating", java.util.Arrays.copyOfRange(gateRow, 2 * objectives, 3 * objectives));
        return parts;
    }

    /** The bound head; its scratch rows grow with the largest call and are then reused. */
    private final class Bound implements OutputHead {
        private final WeightMatrix regression;
        private final float[] transform;
        private final List<WeightMatrix> layers;
        private final List<float[]> biases;
        private final float logitScale;
        private float[] rewards = new float[0];
        private float[] a = new float[0];
        private float[] b = new float[0];

        Bound(WeightMatrix regression, float[] transform, List<WeightMatrix> layers, List<float[]> biases,
              float logitScale) {
            this.regression = regression;
            this.transform = transform;
            this.layers = layers;
            this.biases = biases;
            this.logitScale = logitScale;
        }

        @Override
        public int width() {
            return outputWidth();
        }

        @Override
        public void apply(float[] in, int rows, float[] out, MatmulBackend matmul) {
            int k = objectives;
            int widest = Math.max(hiddenDim, k);
            if (a.length < rows * widest) {
                a = new float[rows * widest];
                b = new float[rows * widest];
                rewards = new float[rows * k];
            }
            matmul.multiply(in, rows, regression, rewards);
            float[] x = in;
            float[] y = a;
            for (int l = 0; l < layers.size(); l++) {
                matmul.multiply(x, rows, layers.get(l), y);
                VectorOps.addBiasRows(y, rows, biases.get(l));
                if (l < layers.size() - 1) {
                    int n = rows * hiddenDim;
                    for (int i = 0; i < n; i++) {
                        y[i] = Math.max(y[i], 0f);
                    }
                }
                x = y;
                y = y == a ? b : a;
            }
            for (int r = 0; r < rows; r++) {
                int o = r * 3 * k;
                for (int j = 0; j < k; j++) {
                    out[o + j] = rewards[r * k + j];
                    float adjusted = 0;
                    for (int i = 0; i < k; i++) {
                        adjusted += rewards[r * k + i] * transform[i * k + j];
                    }
                    out[o + k + j] = adjusted;
                }
                softmaxScaled(x, r * k, out, o + 2 * k);
            }
        }

        /** softmax(logits / temperature) · logit_scale, as the gating network's forward computes it. */
        private void softmaxScaled(float[] logits, int from, float[] out, int to) {
            int k = objectives;
            float t = (float) temperature;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, logits[from + j] / t);
            }
            float sum = 0;
            for (int j = 0; j < k; j++) {
                float e = (float) Math.exp(logits[from + j] / t - max);
                out[to + j] = e;
                sum += e;
            }
            for (int j = 0; j < k; j++) {
                out[to + j] = out[to + j] / sum * logitScale;
            }
        }

        @Override
        public List<WeightMatrix> matrices() {
            List<WeightMatrix> all = new ArrayList<>(layers);
            all.add(0, regression);
            return all;
        }
    }
}
