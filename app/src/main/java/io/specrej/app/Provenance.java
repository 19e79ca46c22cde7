package io.specrej.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.tensor.Parallel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Where a run's results came from: which SpecRej (version, commit), which models (hashes of the files that define
 * them), which machine settings (threads, matmul backend, CPU). Written beside {@code params} and never compared by
 * {@code --resume}, since a resumed run on another machine or build must still continue the file.
 *
 * <p>A model's hash covers config.json, tokenizer.json and the safetensors headers (tensor names, dtypes, shapes and
 * offsets), not the gigabytes of weights: it tells checkpoints apart in milliseconds, though not two with equal
 * headers and different values.
 */
final class Provenance {
    /** A safetensors header is at most this big (SafetensorsHeader's own limit is far below). */
    private static final long MAX_HEADER = 100L << 20;

    private Provenance() {
    }

    static ObjectNode of(DecodingModels models) {
        ObjectNode p = Json.object();
        p.put("specrej_version", VersionProvider.version());
        p.put("specrej_commit", GitCommit.ofThisBuild());
        p.set("generator", model(models.generatorDir));
        if (models.rewardDir == null) {
            p.putNull("reward_model");
        } else {
            p.set("reward_model", model(models.rewardDir));
        }
        p.put("threads", Parallel.threads());
        p.put("backend", models.generation.model().matmulBackend().name());
        p.put("cpu", cpuModel());
        p.put("java", Runtime.version().toString());
        return p;
    }

    /** The sha256 of each file that defines a checkpoint (null where the file is absent). */
    static ObjectNode model(Path dir) {
        ObjectNode m = Json.object();
        m.put("config_sha256", fileHash(dir.resolve("config.json")));
        m.put("tokenizer_sha256", fileHash(dir.resolve("tokenizer.json")));
        m.put("weights_header_sha256", weightsHeaderHash(dir));
        return m;
    }

    private static String fileHash(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        MessageDigest d = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** model.safetensors' header, or the index file followed by each shard's header in the index's order. */
    private static String weightsHeaderHash(Path dir) {
        MessageDigest d = sha256();
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        try {
            if (Files.isRegularFile(single)) {
                header(single, d);
            } else if (Files.isRegularFile(index)) {
                d.update(Files.readAllBytes(index));
                Set<String> shards = new LinkedHashSet<>();
                Json.MAPPER.readTree(index.toFile()).path("weight_map").forEach(n -> shards.add(n.asText()));
                for (String shard : shards) {
                    Path file = dir.resolve(shard).normalize();
                    if (file.startsWith(dir.normalize()) && Files.isRegularFile(file)) {
                        header(file, d);
                    }
                }
            } else {
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** The 8-byte length and the JSON header it announces: what the file holds, without the tensor data. */
    private static void header(Path file, MessageDigest d) throws IOException {
        try (var channel = Files.newByteChannel(file)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (length.hasRemaining() && channel.read(length) > 0) {
                // a short read on a tiny file is hashed as it is
            }
            length.flip();
            d.update(length.duplicate());
            if (length.remaining() < 8) {
                return;
            }
            long n = Math.min(length.getLong(), Math.min(MAX_HEADER, channel.size() - 8));
            ByteBuffer header = ByteBuffer.allocate((int) Math.max(0, n));
            while (header.hasRemaining() && channel.read(header) > 0) {
                // read the whole header
            }
            d.update(header.flip());
        }
    }

    /** /proc/cpuinfo's "model name" on Linux; elsewhere the architecture, which is all Java knows. */
    static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try {
            if (Files.isReadable(cpuinfo)) {
                for (String line : Files.readAllLines(cpuinfo, StandardCharsets.UTF_8)) {
                    if (line.startsWith("model name")) {
                        int colon = line.indexOf(':');
                        return line.substring(colon + 1).strip() + " (" + Runtime.getRuntime().availableProcessors()
                                + " cores)";
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // fall through to the architecture
        }
        return System.getProperty("os.arch") + " (" + Runtime.getRuntime().availableProcessors() + " cores)";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
