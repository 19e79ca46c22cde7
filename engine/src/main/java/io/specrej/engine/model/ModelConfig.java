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
        Family family,
        Head head,
        String architecture,
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
        boolean attentionBias,
        boolean mlpBias,
        String activation,
        Integer slidingWindow,
        int numLabels,
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
        Fields f = new Fields(file, root);
        String modelType = f.requiredString("model_type");
        Family family = Family.fromModelType(modelType);
        if (family == null) {
            throw new BadInputException(file + ": model_type \"" + modelType + "\" is not supported (supported: "
                    + Family.supportedList() + ")");
        }
        String architecture = architecture(f, family);
        Head head = architecture.endsWith("ForSequenceClassification") ? Head.SEQUENCE_CLASSIFICATION : Head.CAUSAL_LM;

        boolean gpt2 = family == Family.GPT2;
        int hidden = f.positiveInt(gpt2 ? "n_embd" : "hidden_size", null);
        int layers = f.positiveInt(gpt2 ? "n_layer" : "num_hidden_layers", null);
        int heads = f.positiveInt(gpt2 ? "n_head" : "num_attention_heads", null);
        int kvHeads = gpt2 ? heads : f.positiveInt("num_key_value_heads", heads);
        int headDim = gpt2 ? hidden / heads : f.positiveInt("head_dim", hidden / heads);
        if (gpt2 && hidden % heads != 0) {
            throw new BadInputException(file + ": n_embd " + hidden + " is not divisible by n_head " + heads);
        }
        if (heads % kvHeads != 0) {
            throw new BadInputException(file + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int intermediate = gpt2 ? f.positiveInt("n_inner", 4 * hidden) : f.positiveInt("intermediate_size", null);
        int vocab = f.positiveInt("vocab_size", null);
        int maxPositions = f.positiveInt(gpt2 ? "n_positions" : "max_position_embeddings", gpt2 ? 1024 : 2048);
        double eps = f.positiveDouble(gpt2 ? "layer_norm_epsilon" : "rms_norm_eps", 1e-6);
        double theta = gpt2 ? 0 : f.positiveDouble("rope_theta", 10000.0);
        RopeScaling scaling = gpt2 ? RopeScaling.NONE : ropeScaling(f, root.get("rope_scaling"));
        // transformers' PretrainedConfig defaults tie_word_embeddings to true; Llama/Mistral/Qwen configs override
        // the default to false. GPT-2 keeps true.
        boolean tie = f.bool("tie_word_embeddings", gpt2);
        boolean attentionBias = switch (family) {
            case QWEN2 -> true; // Qwen2Attention always has q/k/v bias (o_proj none); there is no config key.
            case GPT2 -> true;
            default -> f.bool("attention_bias", false);
        };
        boolean mlpBias = family == Family.LLAMA && f.bool("mlp_bias", false);
        String activation = gpt2 ? f.string("activation_function", "gelu_new") : f.string("hidden_act", "silu");
        checkActivation(file, family, activation);
        Integer slidingWindow = slidingWindow(f, family);
        int numLabels = numLabels(f, root);
        Integer pad = f.optionalInt("pad_token_id");
        Integer bos = f.optionalInt("bos_token_id");
        List<Integer> eos = tokenIdList(f, root.get("eos_token_id"), "eos_token_id");
        String dtype = f.string("torch_dtype", root.has("dtype") ? f.string("dtype", "float32") : "float32");
        if (gpt2 && f.bool("scale_attn_by_inverse_layer_idx", false)) {
            throw new BadInputException(file + ": scale_attn_by_inverse_layer_idx=true is not supported (expected false)");
        }
        if (gpt2 && f.bool("reorder_and_upcast_attn", false)) {
            throw new BadInputException(file + ": reorder_and_upcast_attn=true is not supported (expected false)");
        }
        ModelConfig config = new ModelConfig(file, family, head, architecture, hidden, layers, heads, kvHeads, headDim,
                intermediate, vocab, maxPositions, eps, theta, scaling, tie, attentionBias, mlpBias, activation,
                slidingWindow, numLabels, pad, eos, bos, dtype);
        ModelSizeLimits.check(config); // before anything is allocated from these sizes
        return config;
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

    private static String architecture(Fields f, Family family) {
        JsonNode archs = f.root.get("architectures");
        String arch;
        if (archs == null || archs.isNull() || (archs.isArray() && archs.isEmpty())) {
            arch = family == Family.GPT2 ? "GPT2LMHeadModel" : prefix(family) + "ForCausalLM";
        } else if (archs.isArray() && archs.get(0).isTextual()) {
            arch = archs.get(0).asText();
        } else {
            throw new BadInputException(f.file + ": architectures must be a list of class names, found " + archs);
        }
        List<String> known = new ArrayList<>();
        if (family == Family.GPT2) {
            known.add("GPT2LMHeadModel");
            known.add("GPT2ForSequenceClassification");
        } else {
            known.add(prefix(family) + "ForCausalLM");
            known.add(prefix(family) + "ForSequenceClassification");
            known.add(prefix(family) + "Model");
        }
        if (!known.contains(arch)) {
            throw new BadInputException(f.file + ": architectures[0] \"" + arch + "\" is not supported for model_type \""
                    + family.modelType() + "\" (supported: " + String.join(", ", known) + ")");
        }
        if (arch.endsWith("Model") && !arch.equals("GPT2LMHeadModel")) {
            // A bare backbone saved as *Model; treated as a causal LM whose head must be tied or present.
            arch = prefix(family) + "ForCausalLM";
        }
        return arch;
    }

    private static String prefix(Family family) {
        return switch (family) {
            case LLAMA -> "Llama";
            case MISTRAL -> "Mistral";
            case QWEN2 -> "Qwen2";
            case QWEN3 -> "Qwen3";
            case GPT2 -> "GPT2";
        };
    }

    private static RopeScaling ropeScaling(Fields f, JsonNode node) {
        if (node == null || node.isNull()) {
            return RopeScaling.NONE;
        }
        if (!node.isObject()) {
            throw new BadInputException(f.file + ": rope_scaling must be an object or null, found " + node);
        }
        JsonNode typeNode = node.has("rope_type") ? node.get("rope_type") : node.get("type");
        String type = typeNode == null ? "default" : typeNode.asText();
        Fields s = new Fields(f.file, node, "rope_scaling.");
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling("linear", s.positiveDouble("factor", null), 1, 1, 0);
            case "llama3" -> new RopeScaling("llama3", s.positiveDouble("factor", null),
                    s.positiveDouble("low_freq_factor", null), s.positiveDouble("high_freq_factor", null),
                    s.positiveInt("original_max_position_embeddings", null));
            default -> throw new BadInputException(f.file + ": rope_scaling type \"" + type
                    + "\" is not supported (supported: default, linear, llama3)");
        };
    }

    private static Integer slidingWindow(Fields f, Family family) {
        Integer window = f.optionalInt("sliding_window");
        return switch (family) {
            case MISTRAL -> window;
            // Qwen2/Qwen3 only slide when use_sliding_window is set, and then only on some layers; refuse that
            // rather than compute something transformers would not.
            case QWEN2, QWEN3 -> {
                if (f.bool("use_sliding_window", false)) {
                    throw new BadInputException(f.file + ": use_sliding_window=true is not supported (expected false)");
                }
                yield null;
            }
            default -> null;
        };
    }

    private static int numLabels(Fields f, JsonNode root) {
        JsonNode id2label = root.get("id2label");
        if (root.has("num_labels")) {
            return f.positiveInt("num_labels", null);
        }
        if (id2label != null && id2label.isObject() && !id2label.isEmpty()) {
            return id2label.size();
        }
        return 2; // transformers' PretrainedConfig default
    }

    private static List<Integer> tokenIdList(Fields f, JsonNode node, String field) {
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

    private static void checkActivation(Path file, Family family, String activation) {
        boolean ok = family == Family.GPT2
                ? activation.equals("gelu_new") || activation.equals("gelu_pytorch_tanh") || activation.equals("gelu")
                : activation.equals("silu") || activation.equals("swish");
        if (!ok) {
            throw new BadInputException(file + ": activation \"" + activation + "\" is not supported for "
                    + family.modelType() + " (supported: "
                    + (family == Family.GPT2 ? "gelu_new, gelu_pytorch_tanh, gelu" : "silu") + ")");
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** Typed access to config.json fields with messages that name the file and the field. */
    private static final class Fields {
        final Path file;
        final JsonNode root;
        final String prefix;

        Fields(Path file, JsonNode root) {
            this(file, root, "");
        }

        Fields(Path file, JsonNode root, String prefix) {
            this.file = file;
            this.root = root;
            this.prefix = prefix;
        }

        String requiredString(String key) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                throw new BadInputException(file + ": missing field " + prefix + key);
            }
            if (!n.isTextual()) {
                throw new BadInputException(file + ": " + prefix + key + " must be a string, found " + n);
            }
            return n.asText();
        }

        String string(String key, String fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isTextual()) {
                throw new BadInputException(file + ": " + prefix + key + " must be a string, found " + n);
            }
            return n.asText();
        }

        int positiveInt(String key, Integer fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                if (fallback == null) {
                    throw new BadInputException(file + ": missing field " + prefix + key + " (a positive integer)");
                }
                return fallback;
            }
            if (!n.isIntegralNumber() || n.asLong() <= 0 || n.asLong() > Integer.MAX_VALUE) {
                throw new BadInputException(file + ": " + prefix + key + " must be a positive integer, found " + n);
            }
            return n.asInt();
        }

        Integer optionalInt(String key) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return null;
            }
            if (n.isArray() && n.size() >= 1 && n.get(0).isInt()) {
                return n.get(0).asInt(); // some configs store pad/bos as a one-element list
            }
            if (!n.isIntegralNumber()) {
                throw new BadInputException(file + ": " + prefix + key + " must be an integer or null, found " + n);
            }
            return n.asInt();
        }

        double positiveDouble(String key, Double fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                if (fallback == null) {
                    throw new BadInputException(file + ": missing field " + prefix + key + " (a positive number)");
                }
                return fallback;
            }
            if (!n.isNumber() || !(n.asDouble() > 0)) {
                throw new BadInputException(file + ": " + prefix + key + " must be a positive number, found " + n);
            }
            return n.asDouble();
        }

        boolean bool(String key, boolean fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isBoolean()) {
                throw new BadInputException(file + ": " + prefix + key + " must be true or false, found " + n);
            }
            return n.asBoolean();
        }
    }
}
