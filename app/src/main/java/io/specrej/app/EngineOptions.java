package io.specrej.app;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * The engine's process-wide choices, mixed only into the commands that load a model: on commands that read run files
 * (compare, analyze, merge, export-alpaca-eval) they would do nothing, so they are not offered there. {@link Main}
 * applies them before the command runs, since every model the command loads must see them.
 */
public final class EngineOptions {
    @Option(names = "--matmul", paramLabel = "BACKEND",
            description = "Matrix-multiply backend: auto (default: oneDNN for bf16 weights where it loads and the CPU "
                    + "has bf16 dot-product instructions, else the Vector API), vector (portable Java kernels, F32 "
                    + "activations), onednn, or q8_0 (the Vector API on weights quantized at load to 8-bit blocks: "
                    + "about half of bf16's bytes, faster for few sequences, changes the numbers slightly). Also "
                    + "-Dspecrej.matmul.")
    String matmul;

    @Option(names = "--kv-cache", paramLabel = "PRECISION",
            description = "How the KV cache stores keys and values: f32 (default: exact, as transformers' float32) or "
                    + "bf16 (rounded to bfloat16 as transformers does in bfloat16: half the bytes per token, so twice "
                    + "the sequences fit a memory budget and long contexts read half the bytes; changes the numbers "
                    + "slightly). Also -Dspecrej.kvCache.")
    String kvCache;

    /** These options as arguments for a nested command (experiment's runs), empty for those not given. */
    List<Object> asArguments() {
        List<Object> args = new java.util.ArrayList<>();
        if (matmul != null) {
            args.addAll(List.of("--matmul", matmul));
        }
        if (kvCache != null) {
            args.addAll(List.of("--kv-cache", kvCache));
        }
        return args;
    }
}
