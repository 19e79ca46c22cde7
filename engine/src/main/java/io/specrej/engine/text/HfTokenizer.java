package io.specrej.engine.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import io.specrej.engine.ModelDirectory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A Hugging Face fast tokenizer (tokenizer.json), run by the Rust tokenizers library through DJL, plus the model
 * directory's {@link TokenizerConfig}.
 *
 * <p>DJL's defaults are not transformers': it truncates to 512 tokens and pads to the longest input unless told
 * otherwise (and also adds special tokens by default). Here truncation and padding are always off, whatever the
 * tokenizer.json says, and special tokens are added only when a caller asks.
 *
 * <p>DJL has no token/id lookup, so the vocabulary is read from tokenizer.json directly (model vocab plus
 * added_tokens). Encoding and decoding are thread-safe; close releases the native tokenizer.
 */
public final class HfTokenizer implements AutoCloseable {
    public static final String FILE = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final TokenizerConfig config;
    private final Map<String, Integer> tokenToId;
    private final Map<Integer, String> idToToken;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, TokenizerConfig config, Map<String, Integer> vocab) {
        this.tokenizer = tokenizer;
        this.config = config;
        this.tokenToId = vocab;
        this.idToToken = new HashMap<>();
        vocab.forEach((token, id) -> idToToken.put(id, token));
    }

    /** Loads tokenizer.json and the tokenizer config files of a model directory. */
    public static HfTokenizer load(Path modelDir) {
        ModelDirectory.require(modelDir);
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(modelDir + ": no " + FILE + " in this directory"
                    + ", expected a Hugging Face fast tokenizer file");
        }
        byte[] bytes;
        try {
            bytes = BoundedFiles.readBytes(file, BoundedFiles.TOKENIZER_BYTES, "a tokenizer.json");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e + ")", e);
        }
        Map<String, Integer> vocab = readVocab(file, bytes);
        TokenizerConfig config = TokenizerConfig.load(modelDir);
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false");
        HuggingFaceTokenizer djl;
        try {
            djl = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), options);
        } catch (IOException | RuntimeException e) {
            throw new BadInputException(file + ": the tokenizers library cannot load it (" + e.getMessage() + ")", e);
        }
        if (!"DO_NOT_TRUNCATE".equals(djl.getTruncation()) || !"DO_NOT_PAD".equals(djl.getPadding())) {
            djl.close();
            throw new IllegalStateException("DJL ignored truncation/padding=false: truncation="
                    + djl.getTruncation() + " padding=" + djl.getPadding());
        }
        return new HfTokenizer(djl, config, vocab);
    }

    public TokenizerConfig config() {
        return config;
    }

    /** Token ids of text; addSpecialTokens applies the tokenizer.json post-processor (e.g. Llama's BOS). */
    public int[] encode(String text, boolean addSpecialTokens) {
        return toInts(tokenizer.encode(text, addSpecialTokens, false).getIds());
    }

    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, skipSpecialTokens);
    }

    /** The id of a vocabulary or added token, or null if there is none. */
    public Integer tokenToId(String token) {
        return token == null ? null : tokenToId.get(token);
    }

    /** The token string of an id (byte-level BPE spells a space as "Ġ"), or null if the id is unused. */
    public String idToToken(int id) {
        return idToToken.get(id);
    }

    /** Number of distinct tokens, added tokens included (transformers' len(tokenizer)). */
    public int vocabSize() {
        return tokenToId.size();
    }

    public Integer bosId() {
        return tokenToId(config.bosToken());
    }

    public Integer eosId() {
        return tokenToId(config.eosToken());
    }

    public Integer padId() {
        return tokenToId(config.padToken());
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** model.vocab ({token: id}, or [[token, score], ...] for Unigram) overlaid with added_tokens. */
    private static Map<String, Integer> readVocab(Path file, byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ")", e);
        }
        JsonNode vocab = root == null ? null : root.path("model").get("vocab");
        Map<String, Integer> out = new HashMap<>();
        if (vocab != null && vocab.isObject()) {
            vocab.properties().forEach(e -> out.put(e.getKey(), e.getValue().asInt()));
        } else if (vocab != null && vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                out.put(vocab.get(i).path(0).asText(), i);
            }
        } else {
            throw new BadInputException(file + ": no model.vocab, expected a tokenizer.json as saved by the"
                    + " Hugging Face tokenizers library");
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (added.path("content").isTextual() && added.path("id").canConvertToInt()) {
                out.put(added.get("content").asText(), added.get("id").asInt());
            }
        }
        return Map.copyOf(out);
    }
}
