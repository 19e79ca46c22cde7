package io.specrej.engine.text;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * {@code datetime.now().strftime(format)} as transformers' {@code strftime_now} global computes it: a naive local
 * time (so {@code %z} and {@code %Z} are empty) in the C locale, with glibc's {@code %-d}-style unpadded forms.
 * Llama 3.x templates call {@code strftime_now("%d %b %Y")}.
 */
final class PyStrftime {
    private PyStrftime() {}

    static String format(String format, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean unpadded = d == '-' && i + 1 < format.length();
            if (unpadded) {
                d = format.charAt(++i);
            }
            String field = field(d, t);
            if (field == null) {
                sb.append('%').append(unpadded ? "-" : "").append(d);
            } else {
                sb.append(unpadded ? stripZeros(field) : field);
            }
        }
        return sb.toString();
    }

    private static String stripZeros(String field) {
        String s = field.replaceFirst("^[0 ]+", "");
        return s.isEmpty() ? "0" : s;
    }

    private static String field(char d, LocalDateTime t) {
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'd' -> two(t.getDayOfMonth());
            case 'e' -> String.format("%2d", t.getDayOfMonth());
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
            case 'm' -> two(t.getMonthValue());
            case 'y' -> two(t.getYear() % 100);
            case 'Y' -> Integer.toString(t.getYear());
            case 'H' -> two(t.getHour());
            case 'I' -> two(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'M' -> two(t.getMinute());
            case 'S' -> two(t.getSecond());
            case 'f' -> String.format("%06d", t.getNano() / 1000);
            case 'j' -> String.format("%03d", t.getDayOfYear());
            case 'z', 'Z' -> "";
            case 'c' -> format("%a %b %e %H:%M:%S %Y", t);
            case 'x' -> format("%m/%d/%y", t);
            case 'X', 'T' -> format("%H:%M:%S", t);
            case 'D' -> format("%m/%d/%y", t);
            case 'F' -> format("%Y-%m-%d", t);
            case 'R' -> format("%H:%M", t);
            case '%' -> "%";
            default -> null;
        };
    }

    private static String two(int v) {
        return String.format("%02d", v);
    }
}
