package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzing config.json and generation_config.json (issue 19, scope 5): a real config with fields replaced by hostile
 * values parses into a config within {@link ModelSizeLimits}, or fails with a {@link BadInputException}.
 */
class ConfigFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("model_type", "architectures", "hidden_size",
            "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
            "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling",
            "tie_word_embeddings", "hidden_act", "sliding_window", "num_labels", "id2label", "pad_token_id",
            "bos_token_id", "eos_token_id", "torch_dtype", "attention_bias", "n_embd", "n_layer");
    private static final List<String> GENERATION_FIELDS = List.of("eos_token_id", "pad_token_id", "bos_token_id",
            "do_sample", "temperature", "top_k", "top_p", "max_new_tokens");
    private static ObjectNode llama;
    private static Path dir;

    @BeforeContainer
    static void load() throws IOException {
        llama = (ObjectNode) JSON.readTree(TestData.fixtureModel("llama").resolve("config.json").toFile());
        dir = Files.createTempDirectory("specrej-config-fuzz");
    }

    @AfterContainer
    static void remove() throws IOException {
        Files.deleteIfExists(dir.resolve("generation_config.json"));
        Files.delete(dir);
    }

    static Arbitrary<String> value() {
        return Arbitraries.oneOf(Arbitraries.of("0", "-1", "1", "2", "3", "7", "64", "448", "1000000000",
                "2147483647", "2147483648", "-2147483649", "1e308", "1e-320", "0.5", "-0.0", "\"llama\"", "\"gpt2\"",
                "\"qwen3\"", "\"silu\"", "\"\"", "null", "true", "[]", "[1, 2]", "[447, -5]", "{}",
                "{\"rope_type\": \"llama3\", \"factor\": -1}", "{\"type\": \"linear\", \"factor\": 2}",
                "[\"LlamaForSequenceClassification\"]", "[\"GPT2LMHeadModel\"]", "{\"0\": \"a\", \"1\": \"b\"}"),
                Arbitraries.integers().between(-3, 300).map(String::valueOf));
    }

    @Provide
    Arbitrary<Map<String, String>> configEdits() {
        return Arbitraries.maps(Arbitraries.of(FIELDS), value()).ofMaxSize(4);
    }

    @Property
    void anyConfigParsesWithinLimitsOrFailsWithAMessage(@ForAll("configEdits") Map<String, String> edits)
            throws IOException {
        ObjectNode root = llama.deepCopy();
        for (var e : edits.entrySet()) {
            root.set(e.getKey(), JSON.readTree(e.getValue()));
        }
        try {
            ModelConfig c = ModelConfig.parse(dir.resolve("config.json"), root);
            assertTrue(c.layers() >= 1 && c.layers() <= ModelSizeLimits.MAX_LAYERS, c.toString());
            assertTrue(c.vocabSize() >= 1 && c.vocabSize() <= ModelSizeLimits.MAX_VOCAB, c.toString());
            assertTrue(c.kvBytesPerToken(io.specrej.engine.cache.KvPrecision.F32) > 0, c.toString());
        } catch (BadInputException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains("config.json"), e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> generationConfigs() {
        Arbitrary<String> structured = Arbitraries.maps(Arbitraries.of(GENERATION_FIELDS), value()).ofMaxSize(5)
                .map(m -> {
                    StringBuilder sb = new StringBuilder("{");
                    m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":")
                            .append(v));
                    return sb.append('}').toString();
                });
        return Arbitraries.oneOf(structured, Combinators.combine(structured, Arbitraries.integers().between(0, 30))
                .as((s, cut) -> s.substring(0, Math.min(cut, s.length()))), Arbitraries.of("[]", "null", ""));
    }

    @Property
    void anyGenerationConfigLoadsCheckedOrFailsWithAMessage(@ForAll("generationConfigs") String text)
            throws IOException {
        ModelConfig model = ModelConfig.parse(dir.resolve("config.json"), llama);
        Files.writeString(dir.resolve("generation_config.json"), text);
        try {
            GenerationConfig g = GenerationConfig.load(dir, model);
            for (int id : g.eosTokenIds()) {
                assertTrue(id >= 0 && id < model.vocabSize() || g.eosTokenIds().equals(model.eosTokenIds()),
                        "eos " + id);
            }
            assertTrue(g.maxNewTokens() == null || g.maxNewTokens() >= 1, text);
        } catch (BadInputException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains("generation_config.json"), e.getMessage());
        }
    }

}
