package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad checkpoints give one actionable message naming the file, what was found and what was expected. */
class ModelConfigErrorsTest {
    @TempDir
    Path tmp;

    private Path copyOf(String fixture) throws IOException {
        return copyOf(fixture, tmp);
    }

    /** A writable copy of a fixture model in {@code tmp} (also used by ModelInputLimitsTest). */
    static Path copyOf(String fixture, Path tmp) throws IOException {
        Path dir = tmp.resolve(fixture);
        Files.createDirectories(dir);
        try (var files = Files.list(TestData.fixtureModel(fixture))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                dir.resolve(f.getFileName()).toFile().setWritable(true);
            }
        }
        return dir;
    }

    static String failure(Path dir) {
        return assertThrows(BadInputException.class, () -> TransformerModel.load(dir).close()).getMessage();
    }

    private static void editConfig(Path dir, String from, String to) throws IOException {
        Path config = dir.resolve("config.json");
        String text = Files.readString(config);
        assertTrue(text.contains(from), "fixture config has " + from);
        Files.writeString(config, text.replace(from, to));
    }

    @Test
    void missingDirectory() {
        String m = failure(tmp.resolve("nope"));
        assertTrue(m.contains("nope") && m.contains("not a directory"), m);
    }

    @Test
    void missingConfig() throws IOException {
        Path dir = copyOf("llama");
        Files.delete(dir.resolve("config.json"));
        String m = failure(dir);
        assertTrue(m.contains("config.json") && m.contains("not found"), m);
    }

    @Test
    void garbledConfig() throws IOException {
        Path dir = copyOf("llama");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", ");
        String m = failure(dir);
        assertTrue(m.contains("config.json") && m.contains("not valid JSON"), m);
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes() throws IOException {
        Path dir = copyOf("llama");
        editConfig(dir, "\"model_type\": \"llama\"", "\"model_type\": \"falcon\"");
        String m = failure(dir);
        assertTrue(m.contains("falcon") && m.contains("llama, mistral, qwen2, qwen3, gpt2"), m);
    }

    @Test
    void unsupportedRopeScaling() throws IOException {
        Path dir = copyOf("llama");
        editConfig(dir, "\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\"");
        String m = failure(dir);
        assertTrue(m.contains("yarn") && m.contains("default, linear, llama3"), m);
    }

    @Test
    void shapeMismatchBetweenConfigAndWeights() throws IOException {
        Path dir = copyOf("llama");
        editConfig(dir, "\"intermediate_size\": 128", "\"intermediate_size\": 96");
        String m = failure(dir);
        assertTrue(m.contains("mlp") && m.contains("[128, 64]") && m.contains("[96, 64]"), m);
    }

    @Test
    void negativeSizeIsRejected() throws IOException {
        Path dir = copyOf("llama");
        editConfig(dir, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": -2");
        String m = failure(dir);
        assertTrue(m.contains("num_hidden_layers") && m.contains("positive integer"), m);
    }

    @Test
    void untiedHeadMissing() throws IOException {
        Path dir = copyOf("qwen2");
        editConfig(dir, "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
        String m = failure(dir);
        assertTrue(m.contains("lm_head.weight") && m.contains("tie_word_embeddings"), m);
    }

    @Test
    void tokenIdOutsideVocabularyAndContextOverflow() {
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama"))) {
            var cache = model.newCache();
            int id = cache.newSequence();
            String m = assertThrows(BadInputException.class,
                    () -> model.forwardLast(cache, new int[] {id}, new int[] {0, 1}, 1, new int[] {448})).getMessage();
            assertTrue(m.contains("448") && m.contains("[0, 448)"), m);
            int[] tooLong = new int[257];
            m = assertThrows(BadInputException.class,
                    () -> model.forwardLast(cache, new int[] {id}, new int[] {0, 257}, 1, tooLong)).getMessage();
            assertTrue(m.contains("257") && m.contains("256"), m);
            assertEquals(0, cache.length(id), "a rejected call leaves the cache untouched");
        }
    }

    @Test
    void kvBytesPerTokenFollowsTheFormula() {
        ModelConfig c = ModelConfig.load(TestData.fixtureModel("qwen3"));
        assertEquals(2L * c.layers() * c.kvHeads() * c.headDim() * 4, c.kvBytesPerToken(KvPrecision.F32));
        assertEquals(2L * c.layers() * c.kvHeads() * c.headDim() * 2, c.kvBytesPerToken(KvPrecision.BF16));
        assertEquals(32, c.headDim(), "qwen3 fixture has an explicit head_dim");
    }
}
