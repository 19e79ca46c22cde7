package io.specrej.app;

import io.specrej.engine.BadInputException;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses memory sizes typed on the command line: {@code 1000000}, {@code 512MiB}, {@code 2GiB}, {@code 1.5GB}.
 * KiB/MiB/GiB/TiB are binary, kB/KB/MB/GB/TB decimal (as disk vendors and model cards use them); a single letter
 * (k, m, g, t) is binary, as the JVM's -Xmx reads it. Case does not matter.
 */
public final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");
    private static final Map<String, Long> UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("k", 1L << 10), Map.entry("kib", 1L << 10), Map.entry("kb", 1_000L),
            Map.entry("m", 1L << 20), Map.entry("mib", 1L << 20), Map.entry("mb", 1_000_000L),
            Map.entry("g", 1L << 30), Map.entry("gib", 1L << 30), Map.entry("gb", 1_000_000_000L),
            Map.entry("t", 1L << 40), Map.entry("tib", 1L << 40), Map.entry("tb", 1_000_000_000_000L));

    private ByteSizes() {
    }

    /** The size in bytes (rounded down); {@code option} names the parameter in the error message. */
    public static long parse(String text, String option) {
        String trimmed = text == null ? "" : text.strip();
        Matcher m = SIZE.matcher(trimmed);
        Long unit = m.matches() ? UNITS.get(m.group(2).toLowerCase(Locale.ROOT)) : null;
        if (unit == null) {
            throw new BadInputException(option + ": \"" + trimmed + "\" is not a size (expected e.g. 1000000, "
                    + "512MiB, 2GiB or 1.5GB)");
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new BadInputException(option + ": " + trimmed + " is too large");
        }
        long value = bytes.longValue();
        if (value < 1) {
            throw new BadInputException(option + " must be at least 1 byte, got " + trimmed);
        }
        return value;
    }
}
