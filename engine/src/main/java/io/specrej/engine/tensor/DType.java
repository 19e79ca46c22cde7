package io.specrej.engine.tensor;

import java.util.Locale;

/** Element types a weight can be stored (and computed) in. */
public enum DType {
    F32(4, "F32"),
    BF16(2, "BF16"),
    F16(2, "F16");

    private final int bytes;
    private final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The dtype string safetensors headers use ("F32", "BF16", "F16"). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Parses a safetensors dtype string; returns null for a dtype SpecRej cannot compute in. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** Parses a user-facing name such as "bf16", "f32", "float32", "bfloat16". Returns null when unknown. */
    public static DType fromUserName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32", "float" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "f16", "fp16", "float16", "half" -> F16;
            default -> null;
        };
    }
}
