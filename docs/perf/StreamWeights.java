// Matrix-vector products that stream their weights from memory, not cache: 40 distinct 4864 x 896 BF16 weights
// (350 MB) multiplied in turn, Vector API (1 row) vs oneDNN (1, 2 and 16 rows), GB/s of weights read. Shows that
// n = 1 decode is bandwidth-bound with either backend. Run from the repository root after a build:
//   CP=engine/target/classes:$(cd engine && mvn -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
//   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:-TieredCompilation -cp "$CP" docs/perf/StreamWeights.java
import io.specrej.engine.tensor.DType;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.VectorMatmul;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.tensor.onednn.OneDnnMatmul;
import java.lang.foreign.Arena;
import java.util.List;

public class StreamWeights {
    public static void main(String[] args) {
        int n = 4864;
        int k = 896;
        int count = 40;
        WeightMatrix[] weights = new WeightMatrix[count];
        for (int i = 0; i < count; i++) {
            weights[i] = new WeightMatrix("w" + i, DType.BF16, n, k,
                    Arena.ofAuto().allocate((long) n * k * 2, 64).fill((byte) 0x3c));
        }
        OneDnnMatmul onednn = OneDnnMatmul.instance().forEveryWeight();
        onednn.prepare(List.of(weights));
        MatmulBackend vector = new VectorMatmul();
        float[] x = new float[16 * k];
        java.util.Arrays.fill(x, 0.01f);
        float[] y = new float[16 * n];
        for (int pass = 0; pass < 4; pass++) {
            for (Object[] c : new Object[][] {{vector, 1}, {onednn, 1}, {onednn, 2}, {onednn, 16}}) {
                MatmulBackend backend = (MatmulBackend) c[0];
                int rows = (Integer) c[1];
                long t0 = System.nanoTime();
                for (int it = 0; it < 3; it++) {
                    for (WeightMatrix w : weights) {
                        backend.multiply(x, rows, w, y);
                    }
                }
                double us = (System.nanoTime() - t0) / 1e3 / (3 * count);
                if (pass >= 2) {
                    System.out.printf("%s, %d rows: %.1f us per weight, %.1f GB/s%n", backend.name(), rows, us,
                            (double) n * k * 2 / us / 1e3);
                }
            }
        }
    }
}
