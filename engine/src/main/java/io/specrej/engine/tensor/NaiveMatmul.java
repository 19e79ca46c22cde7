package io.specrej.engine.tensor;

/**
 * The reference backend: scalar loops, every product and sum in double, rounded to float once at the end. Slow;
 * for tests. (Deterministic per (r, j) like every backend: row j of the weight is summed in increasing k.)
 */
public final class NaiveMatmul implements MatmulBackend {
    @Override
    public void multiply(float[] input, int rows, WeightMatrix weight, float[] output) {
        int n = weight.rows();
        int k = weight.cols();
        MatmulBackend.checkArguments(input, rows, weight, output);
        for (int j = 0; j < n; j++) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                int base = r * k;
                for (int c = 0; c < k; c++) {
                    sum += (double) input[base + c] * WeightRows.get(weight, j, c);
                }
                output[r * n + j] = (float) sum;
            }
        }
    }

    @Override
    public String name() {
        return "naive";
    }
}
