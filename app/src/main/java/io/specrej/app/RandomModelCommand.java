package io.specrej.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import io.specrej.engine.model.ModelConfig;
import io.specrej.engine.tensor.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code specrej random-model}: a checkpoint with random weights for any supported config.json, for speed
 * benchmarks of real model shapes (speed does not depend on weight values). It has no tokenizer: drive it with --ids.
 */
@Command(name = "random-model", mixinStandardHelpOptions = true,
        description = {"Write a model directory with random weights for CONFIG: config.json (torch_dtype set to "
                + "--dtype), generation_config.json (eos/bos/pad from the config) and safetensors (matrices ~N(0, "
                + "0.02), norm weights 1, biases 0; sharded with an index above the shard size).",
                "No tokenizer is written: drive the model with --ids (e.g. specrej generate --model DIR --ids 1,2,3)."})
final class RandomModelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "CONFIG.json",
            description = "A Hugging Face config.json of a supported family (llama, mistral, qwen2, qwen3, gpt2, "
                    + "gptj; causal LM or reward model, ArmoRM and Eurus-RM included).")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default 0).")
    long seed;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "bf16|f32|f16",
            description = "Weight dtype (default bf16, what real checkpoints ship).")
    String dtype;

    @Option(names = "--max-shard-size", defaultValue = "" + RandomCheckpointWriter.DEFAULT_SHARD_BYTES,
            paramLabel = "SIZE", description = "Largest safetensors file, in bytes or with a unit like --memory-budget "
                    + "(5GB, 2GiB; default 5000000000, as save_pretrained).")
    String maxShardSize;

    @Option(names = "--force", description = "Write into a non-empty --out, replacing its config and weights.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        DType type = DType.fromUserName(dtype);
        if (type == null) {
            throw new BadInputException("--dtype: unknown dtype \"" + dtype + "\" (expected bf16, f32 or f16)");
        }
        long maxShardBytes = ByteSizes.parse(maxShardSize, "--max-shard-size");
        if (maxShardBytes < 1) {
            throw new BadInputException("--max-shard-size must be a positive size, got " + maxShardSize);
        }
        ObjectNode root = readConfig();
        String torchName = switch (type) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
        };
        root.put("torch_dtype", torchName);
        if (root.has("dtype")) {
            root.put("dtype", torchName); // transformers 4.56+ writes "dtype" instead; keep both in step
        }
        ModelConfig parsed = validate(root);
        checkFreeSpace(RandomCheckpointWriter.weightBytes(parsed, type));
        boolean created = !Files.exists(out);
        prepareOutput();
        RandomCheckpointWriter.Summary summary;
        try {
            Files.writeString(out.resolve("config.json"), pretty(root));
            Files.writeString(out.resolve("generation_config.json"), pretty(generationConfig(root)));
            summary = RandomCheckpointWriter.write(out, parsed, type, seed, maxShardBytes,
                    spec.commandLine().getErr());
        } catch (IOException | RuntimeException e) {
            removePartialCheckpoint(out, created); // half a checkpoint would load as a corrupt one later
            if (e instanceof IOException io && !(io instanceof FileSystemException)) {
                // "No space left on device" alone names no file; the shards' own errors already name theirs
                throw new FileSystemException(out.toString(), null, io.getMessage() + "; nothing was kept");
            }
            throw e;
        }
        PrintWriter o = spec.commandLine().getOut();
        o.println("wrote " + out);
        o.printf(Locale.ROOT, "parameters  %,d (%s)%n", summary.parameters(), Units.count(summary.parameters()));
        o.printf(Locale.ROOT, "bytes       %,d (%s, %s)%n", summary.bytes(), Units.bytes(summary.bytes()),
                type.safetensorsName());
        o.println("files       config.json, generation_config.json, " + String.join(", ", summary.files()));
        o.println("no tokenizer: drive it with --ids, e.g. specrej generate --model " + out + " --ids 1,2,3");
        o.flush();
        return Main.EXIT_OK;
    }

    private ObjectNode readConfig() throws IOException {
        if (!Files.isRegularFile(config)) {
            throw new BadInputException("--config " + config + ": no such file");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(BoundedFiles.readUtf8(config, BoundedFiles.CONFIG_BYTES, "a config.json"));
        } catch (JsonProcessingException e) {
            throw new BadInputException(config + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (!(node instanceof ObjectNode object)) {
            throw new BadInputException(config + ": expected a JSON object");
        }
        return object;
    }

    /**
     * Parses the config with the engine's own rules before anything is written. ModelConfig only reads a directory's
     * config.json, so it goes through a scratch directory whose path is swapped back for the user's file in messages.
     */
    private ModelConfig validate(ObjectNode root) throws IOException {
        Path scratch = Files.createTempDirectory("specrej-config");
        Path file = scratch.resolve("config.json");
        try {
            Files.writeString(file, pretty(root));
            return ModelConfig.load(scratch);
        } catch (BadInputException e) {
            throw new BadInputException(e.getMessage().replace(file.toString(), config.toString()), e);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(scratch);
        }
    }

    /**
     * Refuses a checkpoint the file system cannot hold before writing a byte of it (the weights plus 1 MiB for the
     * configs and headers), rather than failing hours into a large one.
     */
    private void checkFreeSpace(long weightBytes) throws IOException {
        Path existing = out.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        long usable = Files.getFileStore(existing).getUsableSpace();
        long needed = weightBytes + (1L << 20);
        if (needed > usable) {
            throw new BadInputException("--out " + out + ": the checkpoint needs " + Units.bytes(needed) + " but the "
                    + "file system of " + existing + " has " + Units.bytes(usable) + " free; free some space, "
                    + "choose another --out, or use a smaller --dtype");
        }
    }

    /** After a failed write: removes what this command wrote, and the directory when it created it. */
    static void removePartialCheckpoint(Path dir, boolean createdDir) {
        try {
            deleteCheckpointFiles(dir);
            if (createdDir) {
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            // the write's own error is the one to report
        }
    }

    /** The files a checkpoint this command writes consists of, and nothing else in the directory. */
    private static void deleteCheckpointFiles(Path dir) throws IOException {
        try (DirectoryStream<Path> old = Files.newDirectoryStream(dir,
                "{config.json,generation_config.json,model*.safetensors,model.safetensors.index.json}")) {
            for (Path p : old) {
                Files.delete(p);
            }
        }
    }

    /** Refuses to mix a new checkpoint into an old one; with --force removes only files a checkpoint consists of. */
    private void prepareOutput() throws IOException {
        if (out.toString().isBlank()) { // Path.of("") is the current directory
            throw new BadInputException("--out is empty: give the directory to write the checkpoint to");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new BadInputException("--out " + out + ": exists and is not a directory");
        }
        if (Files.isDirectory(out)) {
            boolean empty;
            try (Stream<Path> entries = Files.list(out)) {
                empty = entries.findAny().isEmpty();
            }
            if (!empty && !force) {
                throw new BadInputException("--out " + out + ": directory is not empty (pass --force to replace "
                        + "its config and weights)");
            }
            // A stale model.safetensors next to new shards would win over the index when loading.
            deleteCheckpointFiles(out);
        }
        Files.createDirectories(out);
    }

    private static ObjectNode generationConfig(ObjectNode model) {
        ObjectNode g = Json.object();
        for (String key : new String[] {"bos_token_id", "eos_token_id", "pad_token_id"}) {
            if (model.hasNonNull(key)) {
                g.set(key, model.get(key));
            }
        }
        g.put("_from_model_config", true);
        return g;
    }

    private static String pretty(JsonNode node) throws JsonProcessingException {
        return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
