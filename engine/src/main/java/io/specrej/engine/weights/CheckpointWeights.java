package io.specrej.engine.weights;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.DType;
import io.specrej.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors} or the shards listed by
 * {@code model.safetensors.index.json}, all memory-mapped and validated up front.
 *
 * <p>Matrices are zero-copy views of the mapped files, except transposed ones, which live in an arena this object
 * owns. Everything handed out becomes unusable after {@link #close()}.
 */
public final class CheckpointWeights implements AutoCloseable {
    static final String SINGLE_FILE = "model.safetensors";

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors;
    private final Arena owned = Arena.ofShared();
    /** Names an architecture asked for, so that the tensors it did not can be reported ({@link #unusedNames}). */
    private final Set<String> used = ConcurrentHashMap.newKeySet();
    private boolean closed;

    private CheckpointWeights(Path directory, List<SafetensorsFile> files, Map<String, TensorInfo> tensors) {
        this.directory = directory;
        this.files = files;
        this.tensors = tensors;
    }

    /** Opens the checkpoint in {@code modelDir}; throws {@link BadInputException} if it is missing or corrupt. */
    public static CheckpointWeights open(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new BadInputException(modelDir + ": not a directory, expected a Hugging Face model directory");
        }
        Path single = modelDir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            return new CheckpointWeights(modelDir, List.of(file), file.tensors());
        }
        Path index = modelDir.resolve(ShardIndex.FILE_NAME);
        if (Files.isRegularFile(index)) {
            return openSharded(modelDir, ShardIndex.read(index));
        }
        String msg = modelDir + ": neither " + SINGLE_FILE + " nor " + ShardIndex.FILE_NAME + " found";
        if (Files.exists(modelDir.resolve("pytorch_model.bin"))
                || Files.exists(modelDir.resolve("pytorch_model.bin.index.json"))) {
            msg += "; found pytorch_model.bin, but PyTorch .bin checkpoints are not supported; convert to safetensors";
        } else {
            msg += ", expected a safetensors checkpoint";
        }
        throw new BadInputException(msg);
    }

    private static CheckpointWeights openSharded(Path dir, ShardIndex index) {
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, TensorInfo> all = new TreeMap<>();
            for (String shard : index.shards()) {
                Path path = dir.resolve(shard);
                if (!Files.isRegularFile(path)) {
                    throw new BadInputException(index.indexFile() + ": shard " + shard + " (holding "
                            + firstTensorOf(index, shard) + ") is missing, expected " + path);
                }
                SafetensorsFile file = SafetensorsFile.open(path);
                opened.add(file);
                for (TensorInfo t : file.tensors().values()) {
                    TensorInfo before = all.putIfAbsent(t.name(), t);
                    if (before != null) {
                        throw new BadInputException(dir + ": tensor " + t.name() + " occurs in both "
                                + before.file().getFileName() + " and " + shard + ", expected exactly one shard");
                    }
                }
            }
            for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
                TensorInfo t = all.get(e.getKey());
                if (t == null || !t.file().getFileName().toString().equals(e.getValue())) {
                    throw new BadInputException(index.indexFile() + ": tensor " + e.getKey() + " is mapped to "
                            + e.getValue() + ", but " + (t == null ? "no shard" : "only " + t.file().getFileName())
                            + " has it");
                }
            }
            return new CheckpointWeights(dir, List.copyOf(opened),
                    Collections.unmodifiableMap(new LinkedHashMap<>(all)));
        } catch (RuntimeException | Error e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static String firstTensorOf(ShardIndex index, String shard) {
        for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
            if (e.getValue().equals(shard)) {
                return e.getKey();
            }
        }
        return "no tensors";
    }

    /** The model directory this was opened from. */
    public Path directory() {
        return directory;
    }

    /** All tensor names, in name order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** Sum of the data bytes of every tensor (what the mapped weights occupy, headers excluded). */
    public long totalBytes() {
        long total = 0;
        for (TensorInfo t : tensors.values()) {
            total += t.byteSize();
        }
        return total;
    }

    /** Tensors no {@link #tensor} call asked for, in name order. */
    public List<String> unusedNames() {
        return tensors.keySet().stream().filter(n -> !used.contains(n)).sorted().toList();
    }

    /** The tensor called {@code name}; {@link BadInputException} if the checkpoint has none. */
    public TensorInfo tensor(String name) {
        checkOpen();
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new BadInputException(directory + ": tensor " + name + " not found in the checkpoint ("
                    + tensors.size() + " tensors), expected by the model architecture");
        }
        used.add(name);
        return t;
    }

    /** A zero-copy [rows, cols] matrix; the stored tensor must have exactly that shape and a compute dtype. */
    public WeightMatrix matrix(String name, int rows, int cols) {
        TensorInfo t = tensor(name);
        requireShape(t, new long[] {rows, cols}, "");
        DType dtype = requireComputeDType(t);
        return new WeightMatrix(name, dtype, rows, cols, t.data());
    }

    /**
     * A [rows, cols] matrix from a tensor stored transposed as [cols, rows] (GPT-2's Conv1D keeps [in, out]). The
     * result is a copy in the stored dtype, owned by this object and freed by {@link #close()}.
     */
    public WeightMatrix matrixTransposed(String name, int rows, int cols) {
        TensorInfo t = tensor(name);
        requireShape(t, new long[] {cols, rows}, " (stored transposed as [in, out])");
        DType dtype = requireComputeDType(t);
        MemorySegment copy;
        synchronized (this) {
            checkOpen();
            copy = owned.allocate((long) rows * cols * dtype.bytes(), 64);
        }
        Transpose.transpose(t.data(), copy, cols, rows, dtype.bytes());
        return new WeightMatrix(name, dtype, rows, cols, copy);
    }

    /** A 1-D tensor of exactly {@code length} elements as floats (norm weights, biases). */
    public float[] vector(String name, int length) {
        TensorInfo t = tensor(name);
        requireShape(t, new long[] {length}, "");
        return FloatDecoding.toFloats(t.data(), requireComputeDType(t), length);
    }

    /** A tensor of any shape holding {@code expectedElements} elements, as floats in storage order. */
    public float[] floats(String name, long expectedElements) {
        TensorInfo t = tensor(name);
        if (t.elementCount() != expectedElements) {
            throw new BadInputException(directory + ": tensor " + name + " has shape " + t.shapeString() + " ("
                    + t.elementCount() + " elements), expected " + expectedElements + " elements from config.json");
        }
        if (expectedElements > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": " + expectedElements + " elements do not fit a float[]");
        }
        return FloatDecoding.toFloats(t.data(), requireComputeDType(t), (int) expectedElements);
    }

    private void requireShape(TensorInfo t, long[] expected, String note) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new BadInputException(directory + ": tensor " + t.name() + " has shape " + t.shapeString()
                    + ", expected " + TensorInfo.shapeString(expected) + " from config.json" + note);
        }
    }

    private DType requireComputeDType(TensorInfo t) {
        if (t.dtype() == null) {
            throw new BadInputException(directory + ": tensor " + t.name() + " has dtype " + t.dtypeName()
                    + ", expected F32, BF16 or F16");
        }
        return t.dtype();
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException(directory + ": checkpoint weights already closed");
        }
    }

    /** Unmaps every shard and frees transposed copies. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            owned.close();
        } finally {
            for (SafetensorsFile f : files) {
                f.close();
            }
        }
    }
}
