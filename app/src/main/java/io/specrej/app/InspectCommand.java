package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.model.Head;
import io.specrej.engine.model.ModelConfig;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.text.HfTokenizer;
import io.specrej.engine.text.TokenizerConfig;
import io.specrej.engine.weights.CheckpointWeights;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code specrej inspect}: what a model directory holds and what running it costs. The model is fully loaded (weights
 * bound to the config), so a directory that inspects cleanly also runs.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's architecture, sizes, parameter count, weight dtypes and bytes, KV-cache bytes "
                + "per token, stop tokens and whether it has a chat template.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", description = "Hugging Face model directory (or --model).")
    Path dir;

    // The name every other command uses for a checkpoint; the positional DIR stays for old command lines.
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory (or DIR).")
    Path model;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        if ((dir == null) == (model == null)) {
            throw new io.specrej.engine.BadInputException(dir == null ? "inspect needs the model directory: --model DIR"
                    : "inspect takes one model directory: give --model DIR or DIR, not both");
        }
        if (dir == null) {
            dir = model; // the rest of the report reads the field
        }
        ObjectNode report;
        try (TransformerModel model = TransformerModel.load(dir)) {
            report = report(model);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.line(report));
        } else {
            printText(out, report);
        }
        out.flush();
        return Main.EXIT_OK;
    }

    private ObjectNode report(TransformerModel model) {
        ModelConfig c = model.config();
        CheckpointWeights weights = model.checkpoint();
        ObjectNode r = Json.object();
        r.put("directory", dir.toString());
        r.put("architecture", c.architecture());
        r.put("model_type", c.family().modelType());
        r.put("head", c.head() == Head.CAUSAL_LM ? "causal_lm" : c.rewardHead().kind());
        if (c.head() == Head.REWARD) {
            r.put("num_labels", c.numLabels());
        }
        r.put("layers", c.layers());
        r.put("hidden_size", c.hiddenSize());
        r.put("attention_heads", c.heads());
        r.put("kv_heads", c.kvHeads());
        r.put("head_dim", c.headDim());
        r.put("intermediate_size", c.intermediateSize());
        r.put("vocab_size", c.vocabSize());
        r.put("context", c.maxPositions());
        r.put("tie_word_embeddings", c.tieWordEmbeddings());
        r.put("torch_dtype", c.torchDtype());
        r.put("parameters", model.parameterCount());
        Map<String, Integer> dtypes = new TreeMap<>();
        for (String name : weights.names()) {
            dtypes.merge(weights.tensor(name).dtypeName(), 1, Integer::sum);
        }
        ObjectNode dtypeNode = r.putObject("tensors_per_dtype");
        dtypes.forEach(dtypeNode::put);
        r.put("weight_bytes", weights.totalBytes());
        r.put("kv_cache", model.kvPrecision().label());
        r.put("kv_bytes_per_token", model.kvBytesPerToken());
        GenerationConfig generation = GenerationConfig.load(dir, c);
        var stops = r.putArray("stop_tokens");
        generation.eosTokenIds().forEach(stops::add);
        r.put("tokenizer", Files.isRegularFile(dir.resolve(HfTokenizer.FILE)));
        r.put("chat_template", TokenizerConfig.load(dir).chatTemplate() != null);
        return r;
    }

    /** Aligned "name  value" lines, with byte and parameter counts also in human units. */
    private static void printText(PrintWriter out, ObjectNode r) {
        for (Map.Entry<String, JsonNode> e : r.properties()) {
            String key = e.getKey();
            JsonNode v = e.getValue();
            String value = switch (key) {
                case "head" -> v.asText().equals("causal_lm") ? "causal LM"
                        : v.asText().replace('_', ' ') + " (num_labels " + r.path("num_labels").asInt() + ")";
                case "parameters" -> String.format(Locale.ROOT, "%,d (%s)", v.asLong(), Units.count(v.asLong()));
                case "weight_bytes", "kv_bytes_per_token" ->
                        String.format(Locale.ROOT, "%,d (%s)", v.asLong(), Units.bytes(v.asLong()));
                case "tensors_per_dtype" -> dtypeList(v);
                case "tokenizer", "chat_template", "tie_word_embeddings" -> v.asBoolean() ? "yes" : "no";
                case "stop_tokens" -> v.isEmpty() ? "none" : v.toString();
                default -> v.asText();
            };
            if (!key.equals("num_labels")) {
                out.printf("%-20s %s%n", key.replace('_', ' '), value);
            }
        }
    }

    private static String dtypeList(JsonNode v) {
        StringBuilder sb = new StringBuilder();
        v.properties().forEach(e -> sb.append(sb.isEmpty() ? "" : ", ")
                .append(e.getKey()).append(" x").append(e.getValue().asInt()));
        return sb.toString();
    }
}
