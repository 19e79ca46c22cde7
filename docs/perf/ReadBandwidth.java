// Streaming read bandwidth of this machine: each thread sums its own 400 MB float array with 512-bit vectors
// (8 passes; the first ones run before C2 has compiled the loop). Run from the repository root:
//   java --add-modules jdk.incubator.vector -XX:-TieredCompilation -Xmx4g docs/perf/ReadBandwidth.java 1
//   java --add-modules jdk.incubator.vector -XX:-TieredCompilation -Xmx4g docs/perf/ReadBandwidth.java 2
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

public class ReadBandwidth {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

    static float sum(float[] x) {
        FloatVector a = FloatVector.zero(S), b = a, c = a, d = a;
        for (int i = 0; i < x.length; i += 64) {
            a = a.add(FloatVector.fromArray(S, x, i));
            b = b.add(FloatVector.fromArray(S, x, i + 16));
            c = c.add(FloatVector.fromArray(S, x, i + 32));
            d = d.add(FloatVector.fromArray(S, x, i + 48));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        float[][] arrays = new float[threads][];
        for (int t = 0; t < threads; t++) {
            arrays[t] = new float[100_000_000];
            java.util.Arrays.fill(arrays[t], 1f);
        }
        double[] sink = new double[threads];
        for (int pass = 0; pass < 8; pass++) {
            long t0 = System.nanoTime();
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers[t] = new Thread(() -> sink[id] = sum(arrays[id]));
                workers[t].start();
            }
            for (Thread w : workers) {
                w.join();
            }
            System.out.printf("%d threads: %.1f GB/s%n", threads, threads * 400e6 / (System.nanoTime() - t0));
        }
    }
}
