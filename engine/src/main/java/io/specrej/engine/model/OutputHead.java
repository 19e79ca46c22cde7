package io.specrej.engine.model;

import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.WeightMatrix;
import java.util.List;

/** The bound head on top of the final norm: what {@link ForwardPass} returns for each requested token. */
interface OutputHead {
    /** Floats per output row. */
    int width();

    /** Rows of final-norm hidden states {@code in} ([rows][hidden]) to output rows {@code out} ([rows][width]). */
    void apply(float[] in, int rows, float[] out, MatmulBackend matmul);

    /** The matrices it multiplies by (for the backend's prepare/release and the parameter counts). */
    List<WeightMatrix> matrices();
}
