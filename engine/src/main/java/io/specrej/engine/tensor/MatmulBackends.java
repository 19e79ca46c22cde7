package io.specrej.engine.tensor;

/** Chooses the matrix-multiply backend the engine uses. */
public final class MatmulBackends {
    private static final MatmulBackend VECTOR = new VectorMatmul();

    private MatmulBackends() {
    }

    /** The portable Vector API backend: always available, held to the goldens. */
    public static MatmulBackend defaultBackend() {
        return VECTOR;
    }
}
