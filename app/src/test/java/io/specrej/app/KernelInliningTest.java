package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards the vector kernels against a silent 10-20x slowdown: when a method's compiled graph grows past C2's live-node
 * budget, C2 stops inlining into it ({@code NodeCountInliningCutoff}), and a Vector API call that is not inlined is
 * not an intrinsic any more, so every vector it touches is boxed on the heap. Nothing fails and no warning is printed;
 * an early Q8_0 tile ran 20x slower this way. Here {@code bench} runs in its own JVM with C2's inlining
 * printed, on a model shaped like the real ones where it matters (head_dim 64, seven query heads per kv head, so the
 * four- and three-head attention kernels run; whole 32-column blocks for Q8_0) with every backend the Vector API
 * serves and both KV cache precisions, and no Vector API method may be refused for that reason. A run with the budget forced low shows that the
 * check sees the refusal when it happens.
 */
@SuppressWarnings("unchecked")
class KernelInliningTest {
    private static final String CUTOFF = "NodeCountInliningCutoff";

    @TempDir
    static Path dir;
    private static Path bf16Model;
    private static Path f32Model;

    @BeforeAll
    static void makeModels() throws IOException {
        String config = """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 448,
                 "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 7,
                 "num_key_value_heads": 1, "vocab_size": 512, "max_position_embeddings": 512,
                 "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": false,
                 "torch_dtype": "bfloat16", "eos_token_id": 1}
                """;
        bf16Model = Cli.randomModel(dir, "bf16", config, "bf16");
        f32Model = Cli.randomModel(dir, "f32", config, "f32");
    }

    @Test
    void noVectorApiCallLosesItsIntrinsicInTheKernels() throws Exception {
        List<String> attention = List.of("AttentionKernels::scorePage4", "AttentionKernels::scorePage3",
                "AttentionKernels::weightedValues4", "AttentionKernels::weightedValues3", "Exp::expShiftedInPlace");
        List<String> bf16Attention = List.of("Bf16AttentionKernels::scorePage4", "Bf16AttentionKernels::scorePage3",
                "Bf16AttentionKernels::weightedValues4", "Bf16AttentionKernels::weightedValues3");
        Object[][] runs = {
                {bf16Model, "vector", "f32", List.of("VectorKernels::bf16Tile4x4", "VectorKernels::bf16Tile1x4")},
                {bf16Model, "q8_0", "f32", List.of("Q8Kernels::tile4x3", "Q8Kernels::tile1x8")},
                {f32Model, "vector", "f32", List.of("VectorKernels::f32Tile4x4", "VectorKernels::f32Tile1x4")},
                {bf16Model, "vector", "bf16", bf16Attention}};
        for (Object[] run : runs) {
            String what = ((Path) run[0]).getFileName() + " / " + run[1] + " / kv " + run[2];
            String inlining = benchWithInliningPrinted((Path) run[0], (String) run[1],
                    List.of("--kv-cache", (String) run[2]), List.of());
            List<String> kernels = new java.util.ArrayList<>(run[2].equals("f32") ? attention : List.of());
            kernels.addAll((List<String>) run[3]);
            for (String kernel : kernels) {
                // Compiled on its own (a PrintCompilation line: time stamp, compile id, flags, then the method) or
                // inlined into a compiled caller (a PrintInlining line): either way C2 went through its calls.
                assertTrue(inlining.lines().anyMatch(l -> l.matches("\\s*\\d+\\s+\\d+\\s.*\\." + kernel + "\\b.*")
                                || l.contains("." + kernel + " ") && l.contains("inline (hot)")),
                        what + ": " + kernel + " was compiled, so its inlining was checked");
            }
            List<String> refused = refusedVectorCalls(inlining);
            assertTrue(refused.isEmpty(), what + ": Vector API calls not inlined for lack of node budget (their "
                    + "vectors are boxed: split the kernel):\n" + String.join("\n", refused));
        }
    }

    @Test
    void theCheckSeesARefusalWhenTheBudgetRunsOut() throws Exception {
        String inlining = benchWithInliningPrinted(bf16Model, "vector", List.of(),
                List.of("-XX:LiveNodeCountInliningCutoff=600"));
        assertFalse(refusedVectorCalls(inlining).isEmpty(), "with a budget of 600 nodes some kernel must be refused");
    }

    private static String benchWithInliningPrinted(Path model, String matmul, List<String> cliOptions,
                                                   List<String> extra) throws Exception {
        List<String> options = new java.util.ArrayList<>(
                List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+PrintCompilation", "-XX:+PrintInlining",
                        // Compile in the foreground: a method is compiled when its counters say so, not when a
                        // compiler thread of a busy machine gets to it, so what gets checked does not depend on load.
                        "-Xbatch"));
        options.addAll(extra);
        List<Object> args = new java.util.ArrayList<>(List.of("--matmul", matmul));
        args.addAll(cliOptions);
        args.addAll(List.of("bench", "--model", model, "--n", "1,16", "--prompt-len", "96", "--new-tokens", "48",
                "--runs", "1", "--threads", "2"));
        Cli.Result r = Cli.runInOwnJvm(options, args.toArray());
        assertEquals(0, r.code(), r.toString().lines().limit(40).reduce("", (a, b) -> a + b + "\n"));
        return r.out();
    }

    private static List<String> refusedVectorCalls(String inlining) {
        return inlining.lines().filter(l -> l.contains("jdk.incubator.vector") && l.contains(CUTOFF))
                .map(String::strip).distinct().toList();
    }
}
