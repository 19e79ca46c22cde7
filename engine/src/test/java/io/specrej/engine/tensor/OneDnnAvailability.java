package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.specrej.engine.tensor.onednn.OneDnnMatmul;

/**
 * oneDNN tests run where the packaged libraries load (linux-x86_64); elsewhere they are skipped, not passed. On the
 * CI machine they must run: set {@code -Dspecrej.require.onednn=true} there to turn a skip into a failure.
 * The backend returned sends every BF16 weight to oneDNN, however small (production skips small ones).
 */
public final class OneDnnAvailability {
    private OneDnnAvailability() {
    }

    public static OneDnnMatmul requireOneDnn() {
        try {
            return OneDnnMatmul.instance().forEveryWeight();
        } catch (IllegalStateException e) {
            if (Boolean.getBoolean("specrej.require.onednn")) {
                throw e;
            }
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }
}
