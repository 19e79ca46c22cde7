package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.tensor.MatmulBackends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Refuses, before any weight is copied, to load models whose backend copies cannot fit in memory: two 8B models in
 * bf16 through oneDNN need about 31 GB of anonymous memory, and on a 24 GiB machine the kernel's OOM killer would
 * end the process halfway through. The message names the choices instead: Q8_0 weights, or memory-mapped weights
 * with the page cache as the limit.
 */
public final class WeightMemory {
    private static final double GB = 1e9;

    private WeightMemory() {
    }

    /**
     * @param models     the models about to run together, each with the backend it was loaded with
     * @param roles      what each is called in the message ("generator", "reward model")
     * @param otherBytes memory the run needs besides the weights (the KV budget)
     * @throws BadInputException when their copies and {@code otherBytes} exceed the memory available now
     */
    public static void requireFits(List<TransformerModel> models, List<String> roles, long otherBytes) {
        long available = availableBytes();
        if (available <= 0) {
            return; // not Linux: nothing to measure against
        }
        long copies = 0;
        long q8 = 0;
        StringBuilder parts = new StringBuilder();
        for (int i = 0; i < models.size(); i++) {
            TransformerModel m = models.get(i);
            long bytes = m.weightCopyBytes(m.matmulBackend());
            copies += bytes;
            q8 += m.weightCopyBytes(MatmulBackends.select("q8_0"));
            parts.append(i == 0 ? "" : " + ").append(roles.get(i)).append(' ').append(gb(bytes));
        }
        if (copies + otherBytes <= available) {
            return;
        }
        String choice = models.get(0).matmulBackend().choice();
        throw new BadInputException("the weights need " + gb(copies) + " GB of memory with --matmul " + choice + " ("
                + parts + " GB, plus " + gb(otherBytes) + " GB of KV budget) but " + gb(available) + " GB are "
                + "available: pass --matmul q8_0 (Q8_0 weights, " + gb(q8) + " GB) or --matmul vector (weights read "
                + "from the memory-mapped files, the page cache as the limit: slow when they exceed RAM)");
    }

    /** MemAvailable from /proc/meminfo, or 0 where there is none. */
    static long availableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / GB);
    }
}
