package io.specrej.app;

import static io.specrej.app.ErrorHandlingTest.assertOneLineError;
import static io.specrej.app.ErrorHandlingTest.generate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.model.ModelConfig;
import io.specrej.engine.tensor.DType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19 items 1, 3 (generate), 6, 8, 9, 10, 13 and the minor CLI items, as a user meets them. */
class CliReliabilityTest {
    @TempDir
    Path temp;

    @Test
    void aHugeNIsCheckedAgainstTheBudgetBeforeAnythingIsAllocated() {
        long start = System.nanoTime();
        Cli.Result r = generate("--prompt", "hi", "--n", 1000000000, "--max-new-tokens", 8);
        assertOneLineError(r, "--n 1000000000 needs about");
        assertTrue(r.err().contains("more than --memory-budget 2.0 GiB") && r.err().contains("sequence(s) fit"),
                r::toString);
        // and what fits still runs
        assertEquals(0, generate("--ids", "1,2", "--n", 4, "--max-new-tokens", 2, "--memory-budget", "1MiB").code());
        assertTrue(System.nanoTime() - start < 60e9); // no 16 GB climb first (a generous bound, not a timing test)
    }

    @Test
    void aTemperatureBelowFloatsRangeIsGreedy() {
        Cli.Result tiny = generate("--ids", "1,2,3", "--n", 2, "--max-new-tokens", 6, "--temperature", "1e-40",
                "--ignore-eos", "--json");
        Cli.Result greedy = generate("--ids", "1,2,3", "--n", 2, "--max-new-tokens", 6, "--greedy", "--ignore-eos",
                "--json");
        assertEquals(0, tiny.code(), tiny::toString);
        assertEquals(greedy.out(), tiny.out());
    }

    @Test
    void emptyIdItemsAreRefused() {
        assertOneLineError(generate("--ids", "1,,2"), "an empty item at position 2");
        assertOneLineError(generate("--ids", "1,2,"), "an empty item at position 3");
    }

    @Test
    void aFileGivenAsModelIsNamedAsAFile() throws IOException {
        Path file = Files.writeString(temp.resolve("passwd"), "root:x:0:0\n");
        assertOneLineError(Cli.run("generate", "--model", file, "--prompt", "hi"),
                "is a file, expected a Hugging Face");
    }

    @Test
    void aBadThreadsPropertyIsOneLine() {
        System.setProperty("specrej.threads", "abc");
        try {
            assertOneLineError(generate("--ids", "1", "--max-new-tokens", 1), "-Dspecrej.threads");
        } finally {
            System.clearProperty("specrej.threads");
        }
    }

    @Test
    void aNulByteInAMessageIsEscapedSoTheLineStaysText() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"model_type\": \"llama\"",
                "\"model_type\": \"lla\\u0000ma\""));
        Cli.Result r = Cli.run("generate", "--model", model, "--ids", "1");
        assertOneLineError(r, "lla\\u0000ma");
        assertFalse(r.err().contains("\0"), r::toString);
        // a NUL in a shard name is a bad index, not an InvalidPathException crash
        Files.copy(TestData.fixture("llama").resolve("config.json"), config,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(model.resolve("model.safetensors"), model.resolve("shard.safetensors"));
        Files.writeString(model.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"lm_head.weight\": \"sh\\u0000ard.safetensors\"}}");
        assertOneLineError(Cli.run("generate", "--model", model, "--ids", "1"), "invalid file name");
    }

    @Test
    void anInvalidPathIsTheUsersProblemNotACrash() {
        String m = ErrorReporter.userMessage(new java.nio.file.InvalidPathException("a\0b", "Nul character not allowed"));
        assertEquals("not a valid path: \"a\\u0000b\" (Nul character not allowed)", m);
    }

    @Test
    void aTemplateThatWouldExhaustTheMachineFailsWithOneLine() throws IOException {
        Path model = TestData.copyFixture("llama", temp);
        Path config = model.resolve("tokenizer_config.json");
        JsonNode node = TestData.JSON.readTree(Files.readString(config));
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("chat_template",
                "{{ 'x'.repeat(2000000000) }}");
        Files.writeString(config, node.toString());
        assertOneLineError(Cli.run("generate", "--model", model, "--prompt", "hi", "--chat"), "chat template");
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("chat_template",
                "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}"
                        + "{% endfor %}{% endfor %}");
        Files.writeString(config, node.toString());
        assertOneLineError(Cli.run("generate", "--model", model, "--prompt", "hi", "--chat"), "steps");
    }

    /** Overwrites the first element of an F32 tensor with NaN, through the header's data_offsets. */
    private static void nanAtStart(Path safetensors, String tensor) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(safetensors.toFile(), "rw")) {
            byte[] length = new byte[8];
            f.readFully(length);
            int headerBytes = java.nio.ByteBuffer.wrap(length).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
            byte[] header = new byte[headerBytes];
            f.readFully(header);
            long begin = TestData.JSON.readTree(new String(header, StandardCharsets.UTF_8)).path(tensor)
                    .path("data_offsets").path(0).asLong();
            f.seek(8 + headerBytes + begin);
            f.write(new byte[] {0, 0, (byte) 0xC0, 0x7F}); // NaN, little-endian
        }
    }

    @Test
    void scoreNeverPrintsNaN() throws IOException {
        Path rm = TestData.copyFixture("llama-rm", temp);
        nanAtStart(rm.resolve("model.safetensors"), "model.layers.0.mlp.down_proj.weight"); // a layer: not a head
        Cli.Result r = Cli.run("score", "--reward-model", rm, "--ids", "1,2,3", "--json");
        assertOneLineError(r, "scored this input NaN");
        nanAtStart(rm.resolve("model.safetensors"), "score.weight");
        assertOneLineError(Cli.run("score", "--reward-model", rm, "--ids", "1,2,3", "--json"),
                "score.weight holds NaN");
    }

    @Test
    void randomModelRefusesACheckpointTheDiskCannotHold() throws IOException {
        Path config = Files.writeString(temp.resolve("huge.json"), "{\"model_type\": \"llama\", \"hidden_size\": "
                + "65536, \"num_hidden_layers\": 1024, \"num_attention_heads\": 512, \"intermediate_size\": 262144, "
                + "\"vocab_size\": 256000}");
        Path out = temp.resolve("huge");
        assertOneLineError(Cli.run("random-model", "--config", config, "--out", out), "free");
        assertFalse(Files.exists(out));
    }

    @Test
    void aFailedRandomModelLeavesNoPartialCheckpoint() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("partial"));
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("model-00001-of-00002.safetensors"), "half");
        Files.writeString(dir.resolve("notes.txt"), "the user's own file");
        RandomModelCommand.removePartialCheckpoint(dir, false);
        assertEquals(java.util.List.of(dir.resolve("notes.txt")), Files.list(dir).toList());
        Path created = Files.createDirectories(temp.resolve("created"));
        Files.writeString(created.resolve("model.safetensors"), "half");
        RandomModelCommand.removePartialCheckpoint(created, true);
        assertFalse(Files.exists(created));
    }

    @Test
    void aFullDiskDuringRandomModelNamesTheFile() throws IOException {
        ModelConfig config = ModelConfig.load(TestData.fixture("llama"));
        Path dir = Files.createDirectories(temp.resolve("full"));
        Files.createSymbolicLink(dir.resolve("model.safetensors"), Path.of("/dev/full")); // ENOSPC, as a full disk
        IOException e = assertThrows(IOException.class,
                () -> RandomCheckpointWriter.write(dir, config, DType.F32, 0, Long.MAX_VALUE, null));
        String m = ErrorReporter.userMessage(e);
        assertTrue(m.startsWith(dir.resolve("model.safetensors") + ": ") && m.contains("No space left"), m);
    }
}
