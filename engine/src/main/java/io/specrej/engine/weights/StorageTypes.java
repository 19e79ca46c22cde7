package io.specrej.engine.weights;

import java.util.Map;

/**
 * Element sizes of every dtype the safetensors format defines, including the ones SpecRej cannot compute in: the
 * reader still checks their byte lengths so a corrupt I64 or F8 tensor is caught at load time, not later.
 */
final class StorageTypes {
    private static final Map<String, Integer> SIZES = Map.ofEntries(
            Map.entry("F64", 8), Map.entry("F32", 4), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("I64", 8), Map.entry("I32", 4), Map.entry("I16", 2), Map.entry("I8", 1),
            Map.entry("U8", 1), Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));

    /** The names in a stable order, for "expected one of" messages. */
    static final String KNOWN = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, F8_E4M3, F8_E5M2";

    private StorageTypes() {
    }

    /** Bytes per element, or -1 for a dtype string the format does not define. */
    static int elementSize(String dtypeName) {
        Integer size = SIZES.get(dtypeName);
        return size == null ? -1 : size;
    }
}
