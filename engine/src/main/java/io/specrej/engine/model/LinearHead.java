package io.specrej.engine.model;

import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.VectorOps;
import io.specrej.engine.tensor.WeightMatrix;
import java.util.List;

/** A linear head: lm_head (with GPT-J's bias), a classifier's score, Eurus-RM's regression_head. */
record LinearHead(WeightMatrix weight, float[] bias) implements OutputHead {
    @Override
    public int width() {
        return weight.rows();
    }

    @Override
    public void apply(float[] in, int rows, float[] out, MatmulBackend matmul) {
        matmul.multiply(in, rows, weight, out);
        if (bias != null) {
            VectorOps.addBiasRows(out, rows, bias);
        }
    }

    @Override
    public List<WeightMatrix> matrices() {
        return List.of(weight);
    }
}
