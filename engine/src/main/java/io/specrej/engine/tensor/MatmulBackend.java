package io.specrej.engine.tensor;

/**
 * Multiplies a batch of activation rows by a weight matrix: {@code output[r][j] = sum_k input[r][k] * weight[j][k]}.
 *
 * <p>Contract every implementation keeps, because sampling reproducibility depends on it: the value of
 * {@code output[r][j]} depends only on row r of the input and row j of the weight — never on how many rows are in
 * the batch, which other rows are there, or how many threads run. (Same reduction order for every tile shape.)
 */
public interface MatmulBackend {
    /**
     * @param input  row-major [rows][weight.cols()], read from index 0
     * @param rows   number of activation rows (tokens in the batch)
     * @param weight the weight, [weight.rows()][weight.cols()]
     * @param output row-major [rows][weight.rows()], written from index 0 (overwritten, not accumulated)
     */
    void multiply(float[] input, int rows, WeightMatrix weight, float[] output);

    /**
     * Called once before a model's first forward pass with every weight it multiplies by. A backend that keeps its
     * own copy of a weight (oneDNN: a blocked layout) makes the copies now, largest first: while a weight is being
     * copied it is resident twice (mapped pages and copy), and copied first that happens while little else is.
     */
    default void prepare(java.util.List<WeightMatrix> weights) {
    }

    /** The weights {@code takes} accepts, largest first: the order {@link #prepare} makes its copies in. */
    static java.util.List<WeightMatrix> largestFirst(java.util.List<WeightMatrix> weights,
                                                     java.util.function.Predicate<WeightMatrix> takes) {
        return weights.stream().filter(takes)
                .sorted(java.util.Comparator.comparingLong(WeightMatrix::byteSize).reversed()).toList();
    }

    /**
     * Bytes of its own copy of {@code weight} that {@link #prepare} would make (oneDNN's blocked bf16 layout, Q8_0
     * blocks): anonymous memory, unlike the checkpoint's memory-mapped pages, which the kernel can evict. 0 for a
     * weight read from the mapped file.
     */
    default long copyBytes(WeightMatrix weight) {
        return 0;
    }

    /**
     * Drops whatever the backend keeps for this weight (oneDNN: its blocked copy). Called for every weight of a model
     * when the model closes, before the checkpoint is unmapped.
     */
    default void release(WeightMatrix weight) {
    }

    /**
     * Whether this backend rounds the activations it multiplies {@code weight} by to bfloat16 (oneDNN's bf16 dot
     * products). A model whose projections are multiplied so also runs attention over a long prompt prefix in
     * bfloat16 ({@code TransformerModel.attachPrefix}).
     */
    default boolean roundsToBf16(WeightMatrix weight) {
        return false;
    }

    /** A short name for logs and benchmarks ("vector-api", "onednn"). */
    String name();

    /**
     * The {@code --matmul} choice this backend is, without loading anything ({@code auto} does not say what it chose:
     * {@link #name} would load oneDNN to find out); run files record it.
     */
    default String choice() {
        return name();
    }

    /** The argument checks every implementation makes before touching memory. */
    static void checkArguments(float[] input, int rows, WeightMatrix weight, float[] output) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        if (input.length < (long) rows * weight.cols()) {
            throw new IllegalArgumentException(weight.name() + ": input holds " + input.length + " floats, need "
                    + rows + " x " + weight.cols());
        }
        if (output.length < (long) rows * weight.rows()) {
            throw new IllegalArgumentException(weight.name() + ": output holds " + output.length + " floats, need "
                    + rows + " x " + weight.rows());
        }
    }
}
