package io.specrej.engine.weights;

import java.util.List;

/**
 * The checkpoint's tensors an architecture did not use. transformers warns about them ("Some weights of the model
 * checkpoint were not used"): they usually mean the config does not describe the checkpoint (a wrong
 * num_hidden_layers, a reward model saved with an lm_head), so silently ignoring them hides a wrong model.
 */
public final class UnusedTensors {
    /** Buffers that old checkpoints saved and transformers ignores without a warning. */
    private static final List<String> IGNORED_SUFFIXES = List.of("rotary_emb.inv_freq", ".attn.bias",
            ".attn.masked_bias");
    private static final int NAMED = 5;

    private UnusedTensors() {
    }

    /** The warning line for {@code weights} once an architecture has bound it, or null when every tensor was used. */
    public static String warning(CheckpointWeights weights, String architecture) {
        List<String> unused = weights.unusedNames().stream()
                .filter(n -> IGNORED_SUFFIXES.stream().noneMatch(n::endsWith)).toList();
        if (unused.isEmpty()) {
            return null;
        }
        return "warning: " + weights.directory() + ": " + unused.size() + " tensor(s) not used by " + architecture
                + ": " + String.join(", ", unused.subList(0, Math.min(NAMED, unused.size())))
                + (unused.size() > NAMED ? ", ..." : "") + " (does config.json describe this checkpoint?)";
    }
}
