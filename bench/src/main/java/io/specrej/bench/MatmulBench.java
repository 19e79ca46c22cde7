package io.specrej.bench;

import io.specrej.engine.tensor.Bf16;
import io.specrej.engine.tensor.DType;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.MatmulBackends;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code output[M][N] = input[M][K] x weight[N][K]^T} with the Vector API backend (or its Q8_0 copy), on the Linear shapes of
 * Qwen2.5-0.5B (hidden 896, intermediate 4864, 2 KV heads of 64, vocabulary 151936).
 *
 * <p>GFLOP/s = 2*M*N*K / (score in microseconds) / 1000. Build and run:
 * <pre>
 * mvn -o -q -pl engine,bench -am package -DskipTests
 * java -jar bench/target/benchmarks.jar MatmulBench -p m=64 -p shape=gate_up -p dtype=F32,BF16 -p threads=1,2
 * java -jar bench/target/benchmarks.jar MatmulBench -p m=1 -p shape=lm_head -p dtype=BF16 -p backend=vector,q8_0
 * </pre>
 * Weights are read-only native segments at an odd address (a safetensors slice need not be aligned).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// -XX:-TieredCompilation: C1's profiled tier (3) bails out of the big register tiles ("out of virtual registers in
// LIR generator") and the tiered policy can then leave them in C1 tier 2 -- unintrinsified Vector API, ~100-1000x
// slower -- for many seconds. Interpreter-then-C2 reaches full speed within the first warm-up second.
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:-TieredCompilation"})
public class MatmulBench {
    /** Activation rows (tokens in the batch). */
    @Param({"1", "16", "64", "256"})
    public int m;

    /** Weight shape N x K: q (896x896), kv (128x896), gate_up (4864x896), down (896x4864), lm_head (151936x896). */
    @Param({"q", "kv", "gate_up", "down", "lm_head"})
    public String shape;

    @Param({"F32", "BF16"})
    public String dtype;

    @Param({"1", "2"})
    public int threads;

    /** vector (the weight's own dtype) or q8_0 (its Q8_0 copy, made in setup, as before a model's first pass). */
    @Param({"vector"})
    public String backend;

    private MatmulBackend matmul;
    private WeightMatrix weight;
    private float[] input;
    private float[] output;
    private Arena arena;

    @Setup(Level.Trial)
    public void setUp() {
        int n;
        int k;
        switch (shape) {
            case "q" -> { n = 896; k = 896; }
            case "kv" -> { n = 128; k = 896; }
            case "gate_up" -> { n = 4864; k = 896; }
            case "down" -> { n = 896; k = 4864; }
            case "lm_head" -> { n = 151936; k = 896; }
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        }
        DType dt = DType.valueOf(dtype);
        long count = (long) n * k;
        arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(count * dt.bytes() + 64, 64).asSlice(1, count * dt.bytes());
        SplittableRandom rnd = new SplittableRandom(42);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
            float v = (float) (rnd.nextDouble() * 0.2 - 0.1);
            if (dt == DType.F32) {
                seg.set(f32, i * 4, v);
            } else {
                seg.set(i16, i * 2, dt == DType.BF16 ? Bf16.fromFloat(v) : Float.floatToFloat16(v));
            }
        }
        weight = new WeightMatrix(shape, dt, n, k, seg.asReadOnly());
        input = new float[m * k];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        output = new float[m * n];
        Parallel.setThreads(threads);
        matmul = MatmulBackends.select(backend);
        matmul.prepare(java.util.List.of(weight));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        matmul.release(weight);
        arena.close();
    }

    @Benchmark
    public float[] multiply() {
        matmul.multiply(input, m, weight, output);
        return output;
    }
}
