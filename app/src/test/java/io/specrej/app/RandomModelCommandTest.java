package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.generate.Generator;
import io.specrej.engine.generate.SequenceState;
import io.specrej.engine.generate.StopTokens;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.weights.CheckpointWeights;
import io.specrej.engine.weights.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RandomModelCommandTest {
    @TempDir
    Path temp;

    /** A config from src/test/resources/configs, copied to a file the CLI can read. */
    Path config(String name) throws IOException {
        Path file = temp.resolve(name);
        try (InputStream in = RandomModelCommandTest.class.getResourceAsStream("/configs/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    static Cli.Result ok(Cli.Result r) {
        assertEquals(0, r.code(), r::toString);
        return r;
    }

    @Test
    void tinyQwenModelLoadsAndGenerates() throws IOException {
        Path out = temp.resolve("tiny");
        Cli.Result r = ok(Cli.run("random-model", "--config", config("tiny-qwen2.5.json"), "--out", out));
        assertTrue(r.out().contains("parameters"), r::toString);
        assertEquals("bfloat16", TestData.readJson(out.resolve("config.json")).get("torch_dtype").asText());
        assertEquals(2, TestData.readJson(out.resolve("generation_config.json")).get("eos_token_id").asInt());
        assertFalse(Files.exists(out.resolve("tokenizer.json")));
        try (TransformerModel model = TransformerModel.load(out)) {
            for (String name : model.checkpoint().names()) {
                assertEquals("BF16", model.checkpoint().tensor(name).dtypeName(), name);
            }
            List<SequenceState> seqs = new Generator(model)
                    .generate(new int[] {1, 5, 9}, 1, SamplingParams.GREEDY, StopTokens.NONE, 0, 3);
            assertEquals(3, seqs.get(0).tokens().length);
        }
        JsonNode line = TestData.JSON.readTree(ok(Cli.run("generate", "--model", out, "--ids", "1,5,9",
                "--max-new-tokens", 3, "--ignore-eos", "--json")).out());
        assertEquals(3, line.get("token_ids").size());
        assertEquals("", line.get("text").asText());
    }

    /** The layout must be exactly what transformers saves: same names and shapes as every fixture checkpoint. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "gpt2", "llama-rm", "qwen2-rm", "gpt2-rm"})
    void layoutMatchesTransformersCheckpoint(String fixture) {
        Path out = temp.resolve(fixture);
        ok(Cli.run("random-model", "--config", TestData.fixture(fixture).resolve("config.json"), "--out", out,
                "--dtype", "f32"));
        assertEquals(shapes(TestData.fixture(fixture)), shapes(out));
        try (TransformerModel model = TransformerModel.load(out)) {
            assertTrue(model.parameterCount() > 0);
        }
    }

    private static Map<String, String> shapes(Path dir) {
        Map<String, String> shapes = new TreeMap<>();
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            for (String name : w.names()) {
                shapes.put(name, w.tensor(name).shapeString());
            }
        }
        return shapes;
    }

    @Test
    void realConfigsGiveTheirPublishedParameterCounts() throws IOException {
        Map<String, Long> published = Map.of(
                "smollm2-135m-instruct.json", 134_515_008L,
                "qwen2.5-0.5b-instruct.json", 494_032_768L,
                "qwen3-0.6b.json", 596_049_920L,
                "skywork-reward-v2-qwen3-0.6b.json", 596_049_920L + 1024, // tied body plus a [1, 1024] score head
                "llama-3.2-1b-instruct.json", 1_235_814_400L,
                "meta-llama-3-8b.json", 8_030_261_248L,
                "mistral-7b-v0.3.json", 7_248_023_552L,
                // Llama-3-8B's body without lm_head, regression_layer [19, 4096], the 19x19 transform and the gating
                // MLP (4096->1024->1024->1024->19, biased) plus logit_scale: the model page's 7.51B.
                "armorm-llama3-8b-v0.1.json", 8_030_261_248L - 525_336_576L + 77_824 + 361 + 6_314_004,
                // Mistral-7B-v0.1's body without lm_head plus regression_head [1, 4096]: the model page's 7.11B.
                "eurus-rm-7b.json", 7_110_664_192L,
                // wte, 28 x (ln_1, q/k/v/out, fc_in, fc_out with biases), ln_f, lm_head with bias: the model page's 6B.
                "gpt-j-6b.json", 206_438_400L + 28 * 201_355_264L + 8_192 + 206_488_800);
        for (Map.Entry<String, Long> e : published.entrySet()) {
            Path dir = Files.createDirectories(temp.resolve(e.getKey() + ".d"));
            Files.copy(config(e.getKey()), dir.resolve("config.json"));
            long count = io.specrej.engine.model.ModelConfig.load(dir).tensors().stream()
                    .mapToLong(io.specrej.engine.model.TensorTable.Entry::elements).sum();
            assertEquals(e.getValue(), count, e.getKey());
        }
    }

    @Test
    void shardedCheckpointHasAnIndexAndTheSameValuesAsOneFile() throws IOException {
        Path tiny = config("tiny-qwen2.5.json");
        Path single = temp.resolve("single");
        Path sharded = temp.resolve("sharded");
        ok(Cli.run("random-model", "--config", tiny, "--out", single, "--dtype", "f32", "--seed", 5));
        ok(Cli.run("random-model", "--config", tiny, "--out", sharded, "--dtype", "f32", "--seed", 5,
                "--max-shard-size", 20_000));
        assertTrue(Files.exists(sharded.resolve("model.safetensors.index.json")));
        Path units = temp.resolve("units"); // the size takes units, as --memory-budget does
        ok(Cli.run("random-model", "--config", tiny, "--out", units, "--dtype", "f32", "--seed", 5,
                "--max-shard-size", "20kB"));
        assertEquals(Files.readString(sharded.resolve("model.safetensors.index.json")),
                Files.readString(units.resolve("model.safetensors.index.json")));
        assertFalse(Files.exists(sharded.resolve("model.safetensors")));
        JsonNode weightMap = TestData.readJson(sharded.resolve("model.safetensors.index.json")).get("weight_map");
        java.util.TreeSet<String> files = new java.util.TreeSet<>();
        weightMap.forEach(f -> files.add(f.asText()));
        assertTrue(files.size() > 1, files::toString);
        assertTrue(files.first().matches("model-00001-of-0000\\d\\.safetensors"), files::toString);
        try (CheckpointWeights a = CheckpointWeights.open(single);
             CheckpointWeights b = CheckpointWeights.open(sharded)) {
            assertEquals(a.names(), b.names());
            for (String name : a.names()) {
                assertEquals(-1, a.tensor(name).data().mismatch(b.tensor(name).data()), name);
            }
        }
        try (TransformerModel model = TransformerModel.load(sharded)) {
            assertTrue(model.parameterCount() > 0);
        }
    }

    @Test
    void seedDecidesTheWeights() throws IOException {
        Path tiny = config("tiny-qwen2.5.json");
        for (String run : new String[] {"a", "b", "c"}) {
            int seed = run.equals("c") ? 2 : 1;
            ok(Cli.run("random-model", "--config", tiny, "--out", temp.resolve(run), "--seed", seed));
        }
        byte[] a = Files.readAllBytes(temp.resolve("a/model.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(temp.resolve("b/model.safetensors")));
        assertFalse(java.util.Arrays.equals(a, Files.readAllBytes(temp.resolve("c/model.safetensors"))));
    }

    @Test
    void matrixValuesHaveMeanZeroAndStd002() {
        long key = RandomFill.streamKey(0, "model.layers.0.mlp.up_proj.weight");
        double sum = 0;
        double squares = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            double v = RandomFill.normalAt(key, i);
            sum += v;
            squares += v * v;
        }
        double mean = sum / n;
        double std = Math.sqrt(squares / n - mean * mean);
        assertEquals(0, mean, 2e-4);
        assertEquals(0.02, std, 2e-4);
        assertNotEquals(key, RandomFill.streamKey(1, "model.layers.0.mlp.up_proj.weight"));
    }

    @Test
    void normWeightsAreOneAndBiasesZero() throws IOException {
        Path out = temp.resolve("tiny");
        ok(Cli.run("random-model", "--config", config("tiny-qwen2.5.json"), "--out", out, "--dtype", "f32"));
        try (CheckpointWeights w = CheckpointWeights.open(out)) {
            TensorInfo norm = w.tensor("model.norm.weight");
            TensorInfo bias = w.tensor("model.layers.0.self_attn.q_proj.bias");
            for (int i = 0; i < 32; i++) {
                assertEquals(1f, norm.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
                assertEquals(0f, bias.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            }
        }
    }

    @Test
    void nonEmptyOutputNeedsForceAndForceReplacesTheCheckpoint() throws IOException {
        Path tiny = config("tiny-qwen2.5.json");
        Path out = temp.resolve("out");
        ok(Cli.run("random-model", "--config", tiny, "--out", out));
        ErrorHandlingTest.assertOneLineError(Cli.run("random-model", "--config", tiny, "--out", out), "--force");
        ok(Cli.run("random-model", "--config", tiny, "--out", out, "--force", "--max-shard-size", 20_000));
        // The old single file must be gone, or it would shadow the new shards.
        assertFalse(Files.exists(out.resolve("model.safetensors")));
        try (TransformerModel model = TransformerModel.load(out)) {
            assertTrue(model.parameterCount() > 0);
        }
    }

    @Test
    void badConfigsAndOptionsAreBadInput() throws IOException {
        Path out = temp.resolve("never");
        Path garbled = Files.writeString(temp.resolve("garbled.json"), "{\"model_type\": \"llama\",");
        ErrorHandlingTest.assertOneLineError(Cli.run("random-model", "--config", garbled, "--out", out),
                garbled.toString());
        Path bert = Files.writeString(temp.resolve("bert.json"), "{\"model_type\": \"bert\"}");
        Cli.Result r = Cli.run("random-model", "--config", bert, "--out", out);
        ErrorHandlingTest.assertOneLineError(r, "llama, mistral, qwen2, qwen3, gpt2");
        assertTrue(r.err().contains(bert.toString()), "the message names the user's file: " + r.err());
        ErrorHandlingTest.assertOneLineError(Cli.run("random-model", "--config", config("tiny-qwen2.5.json"),
                "--out", out, "--dtype", "q4"), "--dtype");
        ErrorHandlingTest.assertOneLineError(Cli.run("random-model", "--config", temp.resolve("missing.json"),
                "--out", out), "missing.json");
        assertFalse(Files.exists(out), "nothing is written for a bad config");
    }
}
