package io.specrej.engine.cache;

import io.specrej.engine.BadInputException;
import java.util.Locale;

/**
 * How a {@link KvCache} stores keys and values. {@code f32} (the default) keeps the forward pass's floats exactly, as
 * transformers' float32 reference does. {@code bf16} rounds each key and value to bfloat16 when it is stored (what
 * transformers does when a model runs in bfloat16): half the bytes per token, so twice the sequences fit one memory
 * budget and attention over long private contexts, which is bound by memory bandwidth, reads half as much. Attention
 * arithmetic stays float32 either way. The process-wide choice comes from {@link #setDefault} (the CLI's
 * {@code --kv-cache}) or the system property {@code specrej.kvCache}; a model takes it when it is loaded.
 */
public enum KvPrecision {
    F32(Float.BYTES),
    BF16(Short.BYTES);

    /** System property holding the default ({@code f32} or {@code bf16}). */
    public static final String PROPERTY = "specrej.kvCache";
    private static volatile KvPrecision configured;

    private final int bytes;

    KvPrecision(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes of one stored key or value element. */
    public int bytes() {
        return bytes;
    }

    /** The name the CLI takes: {@code f32} or {@code bf16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The precision set by {@link #setDefault}, else {@code -Dspecrej.kvCache}, else {@link #F32}. */
    public static KvPrecision defaultPrecision() {
        KvPrecision p = configured;
        if (p != null) {
            return p;
        }
        try {
            return parse(System.getProperty(PROPERTY, "f32"));
        } catch (BadInputException e) {
            throw new BadInputException("-D" + PROPERTY + ": " + e.getMessage());
        }
    }

    /** Sets the precision later model loads use; null goes back to {@code -Dspecrej.kvCache} (or f32). */
    public static void setDefault(String choice) {
        configured = choice == null ? null : parse(choice);
    }

    /**
     * {@code f32} / {@code float32} or {@code bf16} / {@code bfloat16}, any case.
     *
     * @throws BadInputException for anything else
     */
    public static KvPrecision parse(String choice) {
        String name = choice == null ? "" : choice.trim().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "f32", "float32", "fp32" -> F32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new BadInputException("unknown KV cache precision '" + choice
                    + "' (expected f32 or bf16)");
        };
    }
}
