package io.specrej.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import io.specrej.engine.ModelDirectory;
import io.specrej.engine.cache.KvPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a Hugging Face config.json that decide how the model computes, with the defaults transformers' config
 * classes use when a key is absent. Every problem is a {@link BadInputException} naming the file and the field.
 */
public record ModelConfig(
        Path file,
        Architecture family,
        Head head,
        String architecture,
        RewardHead rewardHead,
        BlockOptions block,
        int hiddenSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int maxPositions,
        double normEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean oBias,
        boolean mlpBias,
        String activation,
        Integer slidingWindow,
        Integer padTokenId,
        List<Integer> eosTokenIds,
        Integer bosTokenId,
        String torchDtype) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads {@code dir/config.json}. */
    public static ModelConfig load(Path dir) {
        ModelDirectory.require(dir);
        Path file = dir.resolve("config.json");
        JsonNode root;
        try {
            root = JSON.readTree(BoundedFiles.readUtf8(file, BoundedFiles.CONFIG_BYTES, "a JSON config"));
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": not found; a Hugging Face model directory needs config.json");
        } catch (IOException e) {
            throw new BadInputException(file + ": not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": expected a JSON object");
        }
        return parse(file, root);
    }

    static ModelConfig parse(Path file, JsonNode root) {
        ConfigFields f = new ConfigFields(file, root);
        String modelType = f.requiredString("model_type");
        Architecture family = Architectures.forModelType(modelType);
        if (family == null) {
            throw new BadInputException(file + ": model_type \"" + modelType + "\" is not supported (supported: "
                    + Architectures.supportedList() + ")");
        }
        String architecture = className(f, family);
        RewardHead rewardHead = RewardHeads.forClass(architecture, f);
        Architecture.Body b = family.body(f);
        Integer pad = f.optionalInt("pad_token_id");
        Integer bos = f.optionalInt("bos_token_id");
        List<Integer> eos = tokenIdList(f, root.get("eos_token_id"), "eos_token_id");
        String dtype = f.string("torch_dtype", root.has("dtype") ? f.string("dtype", "float32") : "float32");
        ModelConfig config = new ModelConfig(file, family, rewardHead == null ? Head.CAUSAL_LM : Head.REWARD,
                architecture, rewardHead, b.block(), b.hiddenSize(), b.layers(), b.heads(), b.kvHeads(), b.headDim(),
                b.intermediateSize(), f.positiveInt("vocab_size", null), b.maxPositions(), b.normEps(), b.ropeTheta(),
                b.ropeScaling(), b.tieWordEmbeddings(), b.qkvBias(), b.oBias(), b.mlpBias(), b.activation(),
                b.slidingWindow(), pad, eos, bos, dtype);
        ModelSizeLimits.check(config); // before anything is allocated from these sizes
        return config;
    }

    /**
     * Every tensor a checkpoint of this config holds, under transformers' names: the table the loader binds and
     * random-model writes.
     */
    public List<TensorTable.Entry> tensors() {
        TensorTable table = new TensorTable();
        family.bodyTensors(this, table);
        if (rewardHead == null) {
            LmHead.tensors(this, table);
        } else {
            rewardHead.tensors(this, table);
        }
        return table.entries();
    }

    /** Labels a reward model's score may be read from (num_labels of a classifier; 1 for the other heads). */
    public int numLabels() {
        return rewardHead == null ? 0 : rewardHead.labels();
    }

    /**
     * Bytes the KV cache needs per token per sequence: 2 · layers · kv_heads · head_dim · bytes (4 for f32 entries,
     * 2 for bf16).
     */
    public long kvBytesPerToken(KvPrecision precision) {
        return 2L * layers * kvHeads * headDim * precision.bytes();
    }

    /** Width of one token's K (or V) row: kv_heads · head_dim. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Width of one token's Q row: heads · head_dim (differs from hidden_size when head_dim is explicit). */
    public int qDim() {
        return heads * headDim;
    }

    /** architectures[0], checked against the family's classes; a bare backbone loads as the causal LM. */
    private static String className(ConfigFields f, Architecture family) {
        JsonNode archs = f.root.get("architectures");
        List<String> known = family.classNames();
        String arch;
        if (archs == null || archs.isNull() || (archs.isArray() && archs.isEmpty())) {
            arch = known.get(0);
        } else if (archs.isArray() && archs.get(0).isTextual()) {
            arch = archs.get(0).asText();
        } else {
            throw new BadInputException(f.file + ": architectures must be a list of class names, found " + archs);
        }
        if (!known.contains(arch)) {
            throw new BadInputException(f.file + ": architectures[0] \"" + arch + "\" is not supported for model_type \""
                    + family.modelType() + "\" (supported: " + String.join(", ", known) + ")");
        }
        // A bare backbone saved as *Model; treated as a causal LM whose head must be tied or present.
        return arch.endsWith("Model") && RewardHeads.forClass(arch, f) == null ? known.get(0) : arch;
    }

    private static List<Integer> tokenIdList(ConfigFields f, JsonNode node, String field) {
        List<Integer> ids = new ArrayList<>();
        if (node == null || node.isNull()) {
            return ids;
        }
        if (node.isInt()) {
            ids.add(node.asInt());
        } else if (node.isArray()) {
            for (JsonNode id : node) {
                if (!id.isInt()) {
                    throw new BadInputException(f.file + ": " + field + " must hold integers, found " + node);
                }
                ids.add(id.asInt());
            }
        } else {
            throw new BadInputException(f.file + ": " + field + " must be an integer or a list of integers, found "
                    + node);
        }
        return List.copyOf(ids);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
