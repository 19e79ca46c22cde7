package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import io.specrej.engine.weights.CheckpointWeights;
import io.specrej.engine.weights.UnusedTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19 items 7 and 8 and the minor config items: sizes and values from files are checked before use. */
class ModelInputLimitsTest {
    @TempDir
    Path tmp;

    private Path copyOf(String fixture) throws IOException {
        return ModelConfigErrorsTest.copyOf(fixture, tmp);
    }

    private static String failure(Path dir) {
        return ModelConfigErrorsTest.failure(dir);
    }

    private static void edit(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.contains(from), file + " has " + from);
        Files.writeString(file, text.replace(from, to));
    }

    @Test
    void configThatIsASymlinkToDevZeroFailsAtOnce() throws IOException {
        Path dir = copyOf("llama");
        Files.delete(dir.resolve("config.json"));
        Files.createSymbolicLink(dir.resolve("config.json"), Path.of("/dev/zero"));
        String m = failure(dir);
        assertTrue(m.contains("config.json") && m.contains("not a regular file"), m);
    }

    @Test
    void oversizedConfigIsRefusedByItsSize() throws IOException {
        Path dir = copyOf("llama");
        try (FileChannel c = FileChannel.open(dir.resolve("config.json"), StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[] {' '}), (64L << 20) + 10); // sparse: no 64 MiB written
        }
        String m = failure(dir);
        assertTrue(m.contains("config.json") && m.contains("larger than"), m);
    }

    @Test
    void hugeLayerCountsFailBeforeAnyAllocation() throws IOException {
        for (String layers : new String[] {"1000000000", "2147483647"}) {
            Path dir = copyOf("llama");
            edit(dir.resolve("config.json"), "\"num_hidden_layers\": 2", "\"num_hidden_layers\": " + layers);
            String m = failure(dir);
            assertTrue(m.contains("num_hidden_layers is " + layers) && m.contains("more than 1024"), m);
            Files.walk(dir).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void generationConfigValuesAreChecked() throws IOException {
        Path dir = copyOf("llama");
        ModelConfig config = ModelConfig.load(dir);
        Path gen = dir.resolve("generation_config.json");
        String original = Files.readString(gen);
        Files.writeString(gen, original.replace("\"_from_model_config\": true,", "\"max_new_tokens\": -3,"));
        String m = assertThrows(BadInputException.class, () -> GenerationConfig.load(dir, config)).getMessage();
        assertTrue(m.contains("max_new_tokens is -3"), m);
        Files.writeString(gen, original.replace("\"eos_token_id\": 447", "\"eos_token_id\": 99999"));
        m = assertThrows(BadInputException.class, () -> GenerationConfig.load(dir, config)).getMessage();
        assertTrue(m.contains("eos_token_id 99999 is outside the vocabulary of 448"), m);
        Files.writeString(gen, original.replace("\"pad_token_id\": 445", "\"pad_token_id\": -1"));
        m = assertThrows(BadInputException.class, () -> GenerationConfig.load(dir, config)).getMessage();
        assertTrue(m.contains("pad_token_id -1"), m);
        Files.writeString(gen, original.replace("\"_from_model_config\": true,", "\"temperature\": \"hot\","));
        m = assertThrows(BadInputException.class, () -> GenerationConfig.load(dir, config)).getMessage();
        assertTrue(m.contains("temperature must be a number"), m);
    }

    @Test
    void aFileGivenAsModelDirectoryIsNamedAsAFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("passwd"), "root:x:0:0\n");
        String m = assertThrows(BadInputException.class, () -> ModelConfig.load(file)).getMessage();
        assertTrue(m.contains("is a file, expected a Hugging Face model directory"), m);
    }

    /** Overwrites element 0 of tensor {@code name} (F32) with a NaN, in place. */
    static void poison(Path safetensors, String name) throws IOException {
        try (FileChannel c = FileChannel.open(safetensors, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            c.read(len, 0);
            long headerLength = len.flip().getLong();
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            c.read(header, 8);
            JsonNode entry = new ObjectMapper().readTree(new String(header.array(), StandardCharsets.UTF_8)).get(name);
            assertEquals("F32", entry.get("dtype").asText());
            long begin = entry.get("data_offsets").get(0).asLong();
            c.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN).flip(),
                    8 + headerLength + begin);
        }
    }

    @Test
    void nanInAnOutputHeadIsRefusedAtLoad() throws IOException {
        for (String[] head : new String[][] {{"llama-rm", "score.weight"}, {"llama", "lm_head.weight"}}) {
            Path dir = copyOf(head[0]);
            poison(dir.resolve("model.safetensors"), head[1]);
            String m = failure(dir);
            assertTrue(m.contains(head[1] + " holds NaN or infinite values (first at row 0, column 0)"), m);
        }
    }

    @Test
    void tensorsTheArchitectureDoesNotUseAreNamed() throws IOException {
        Path dir = copyOf("llama");
        ModelConfig config = ModelConfig.load(dir);
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            assertEquals(w.names().size(), w.unusedNames().size()); // nothing asked for yet
            WeightBinder.bind(config, w);
            assertNull(UnusedTensors.warning(w, config.architecture()));
        }
        // the same checkpoint read as one layer: layer 1's tensors are left over
        edit(dir.resolve("config.json"), "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
        ModelConfig oneLayer = ModelConfig.load(dir);
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            WeightBinder.bind(oneLayer, w);
            String warning = UnusedTensors.warning(w, oneLayer.architecture());
            assertTrue(warning != null && warning.contains("tensor(s) not used by LlamaForCausalLM")
                    && warning.contains("model.layers.1."), String.valueOf(warning));
        }
    }
}
