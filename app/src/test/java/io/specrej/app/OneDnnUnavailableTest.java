package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * oneDNN failing to load, as on a machine where its libraries cannot be unpacked or are damaged: {@code auto} falls
 * back to the Vector API and says why, {@code --matmul onednn} is a one-line error. Each case runs the CLI in its own
 * JVM, because a process remembers oneDNN's first load attempt (and the other tests load it).
 */
class OneDnnUnavailableTest {
    @TempDir
    static Path dir;
    private static Path model;

    /** A bf16 model with 512 x 512 weights: large enough that auto sends them to oneDNN. */
    @BeforeAll
    static void makeModel() throws IOException {
        model = Cli.randomModel(dir, "model", """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 512,
                 "intermediate_size": 512, "num_hidden_layers": 1, "num_attention_heads": 8,
                 "num_key_value_heads": 2, "vocab_size": 512, "max_position_embeddings": 64,
                 "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true,
                 "torch_dtype": "bfloat16", "eos_token_id": 1}
                """, "bf16");
    }

    @Test
    void autoFallsBackToTheVectorApiWhenTheLibrariesCannotBeUnpacked() throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("native-is-a-file"), "x");
        Cli.Result r = Cli.runInOwnJvm(List.of("-Dspecrej.native.dir=" + notAFolder), "--matmul", "auto", "bench", "--model", model, "--n", "1",
                "--prompt-len", "8", "--new-tokens", "2", "--runs", "1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("auto: Vector API (oneDNN is not available: cannot extract the oneDNN libraries"),
                r.toString());
        assertTrue(r.out().contains("-Dspecrej.native.dir"), "the note says how to fix it\n" + r);
    }

    @Test
    void autoFallsBackWhenTheLibrariesAreDamaged() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("damaged"));
        for (String lib : new String[] {"libgomp.so.1", "libOpenCL.so.1", "libdnnl.so.3"}) {
            Files.writeString(folder.resolve(lib), "not a shared library");
        }
        Files.writeString(folder.resolve(".complete"), "3.6.1-1.5.11\n");
        Cli.Result bench = Cli.runInOwnJvm(List.of("-Dspecrej.native.dir=" + folder), "--matmul", "auto", "bench", "--model", model, "--n", "1",
                "--prompt-len", "8", "--new-tokens", "2", "--runs", "1");
        assertEquals(0, bench.code(), bench.toString());
        assertTrue(bench.out().contains("auto: Vector API (oneDNN is not available: loading oneDNN from " + folder),
                bench.toString());
        Cli.Result r = Cli.runInOwnJvm(List.of("-Dspecrej.native.dir=" + folder), "--matmul", "auto", "generate", "--model", model, "--ids", "3,4,5",
                "--max-new-tokens", "2", "--ignore-eos", "--json");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\"token_ids\":[") && r.out().contains("\"finish_reason\":\"length\""),
                r.toString());
    }

    @Test
    void forcingOneDnnIsAOneLineError() throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("native-file-2"), "x");
        Cli.Result r = Cli.runInOwnJvm(List.of("-Dspecrej.native.dir=" + notAFolder), "--matmul", "onednn", "generate", "--model", model, "--ids", "3,4",
                "--max-new-tokens", "1");
        assertEquals(2, r.code(), r.toString());
        List<String> lines = r.errLines();
        assertTrue(lines.getFirst().contains("--matmul onednn: oneDNN is not available"), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose\n" + r);
    }
}
