package io.specrej.engine.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Every tensor a checkpoint of one config holds, under transformers' names, with the role the engine binds it to:
 * the single table that {@link WeightBinder} loads from and {@code random-model} writes from. An {@link Architecture}
 * fills in the body, the head ({@link RewardHead} or the causal-LM head) its own tensors.
 */
public final class TensorTable {
    /** How random-model initializes a tensor: matrices random, norm scales one, biases zero. */
    public enum Init { NORMAL, ONES, ZEROS }

    /**
     * One tensor.
     *
     * @param layer      the block it belongs to, or -1 for model-level tensors
     * @param role       what the binder does with it
     * @param shape      the stored shape
     * @param transposed stored [in, out] (GPT-2's Conv1D); bound as the [out, in] matrix the kernels read
     */
    public record Entry(String name, int layer, Role role, long[] shape, Init init, boolean transposed) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    TensorTable() {
    }

    /** A matrix [rows, cols] (nn.Linear's [out, in]). */
    void matrix(String name, int layer, Role role, long rows, long cols) {
        entries.add(new Entry(name, layer, role, new long[] {rows, cols}, Init.NORMAL, false));
    }

    /** A Conv1D weight stored [in, out]; bound transposed to [out, in]. */
    void conv1d(String name, int layer, Role role, long out, long in) {
        entries.add(new Entry(name, layer, role, new long[] {in, out}, Init.NORMAL, true));
    }

    void ones(String name, int layer, Role role, long length) {
        entries.add(new Entry(name, layer, role, new long[] {length}, Init.ONES, false));
    }

    void zeros(String name, int layer, Role role, long length) {
        entries.add(new Entry(name, layer, role, new long[] {length}, Init.ZEROS, false));
    }

    /** A norm's weight and, for LayerNorm, its bias. */
    void norm(BlockOptions.Norm kind, String prefix, int layer, Role weight, Role bias, long length) {
        ones(prefix + "weight", layer, weight, length);
        if (kind == BlockOptions.Norm.LAYER) {
            zeros(prefix + "bias", layer, bias, length);
        }
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** What a tensor is to the engine. Block roles fill {@link LayerWeights}; HEAD tensors belong to the head. */
    public enum Role {
        EMBED, POSITIONS, FINAL_NORM, FINAL_NORM_BIAS, LM_HEAD, LM_HEAD_BIAS, HEAD,
        ATTN_NORM, ATTN_NORM_BIAS, Q, K, V, QKV, Q_BIAS, K_BIAS, V_BIAS, QKV_BIAS, Q_NORM, K_NORM, O, O_BIAS,
        MLP_NORM, MLP_NORM_BIAS, GATE, GATE_BIAS, UP, UP_BIAS, DOWN, DOWN_BIAS
    }
}
