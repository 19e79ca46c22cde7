package io.specrej.engine.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Python {@code str} methods with CPython's semantics, for templates that call them on Java strings.
 *
 * <p>Java's nearest equivalents differ in small ways that change rendered prompts: {@code String.trim()} stops at
 * U+0020 and {@code strip()} misses NBSP, while Python's whitespace includes both; Java has no
 * {@code title()}; {@code split} takes a regex. Indices are in UTF-16 units, as for Jinjava's own slicing.
 */
final class PyStrings {
    private PyStrings() {}

    /** {@code str.isspace()} for one character: Unicode White_Space plus the ASCII separators 0x1C-0x1F. */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    static boolean isAllSpace(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!isSpace(s.charAt(i))) {
                return false;
            }
        }
        return from < s.length();
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String strip(String s, String chars) {
        return lstrip(rstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && stripped(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && stripped(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    /** {@code str.title()}: a cased character after an uncased one is titlecased, the others lowercased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isCased(cp)) {
                sb.append(previousCased ? lowerCodePoint(cp) : new String(Character.toChars(Character.toTitleCase(cp))));
                previousCased = true;
            } else {
                sb.appendCodePoint(cp);
                previousCased = false;
            }
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    /** {@code str.capitalize()} (Python 3.8+): first character titlecased, the rest lowercased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new String(Character.toChars(Character.toTitleCase(first))) + lower(s.substring(n));
    }

    static String lower(String s) {
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    static String upper(String s) {
        return s.toUpperCase(java.util.Locale.ROOT);
    }

    private static String lowerCodePoint(int cp) {
        return lower(new String(Character.toChars(cp)));
    }

    /** {@code str.split(sep, maxsplit)}; a null sep splits on whitespace runs and drops empty pieces. */
    static List<String> split(String s, String sep, int maxsplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    return parts;
                }
                if (maxsplit >= 0 && parts.size() == maxsplit) {
                    parts.add(rstrip(s.substring(i), null));
                    return parts;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) {
                    j++;
                }
                parts.add(s.substring(i, j));
                i = j;
            }
        }
        requireSeparator(sep);
        int i = 0;
        for (int j = s.indexOf(sep); j >= 0 && (maxsplit < 0 || parts.size() < maxsplit); j = s.indexOf(sep, i)) {
            parts.add(s.substring(i, j));
            i = j + sep.length();
        }
        parts.add(s.substring(i));
        return parts;
    }

    /** {@code str.rsplit(sep, maxsplit)}. */
    static List<String> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0) {
            return split(s, sep, -1);
        }
        List<String> reversed = new ArrayList<>();
        if (sep == null) {
            String rev = new StringBuilder(s).reverse().toString();
            for (String p : split(rev, null, maxsplit)) {
                reversed.addFirst(new StringBuilder(p).reverse().toString());
            }
            return reversed;
        }
        requireSeparator(sep);
        int j = s.length();
        for (int i = s.lastIndexOf(sep, j - sep.length()); i >= 0 && reversed.size() < maxsplit;
                i = s.lastIndexOf(sep, j - sep.length())) {
            reversed.addFirst(s.substring(i + sep.length(), j));
            j = i;
        }
        reversed.addFirst(s.substring(0, j));
        return reversed;
    }

    private static void requireSeparator(String sep) {
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
    }

    /** {@code str.replace(old, new, count)}, count < 0 meaning all. */
    static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (int n = 0; n < count; n++) {
            int j = s.indexOf(old, i);
            if (j < 0) {
                break;
            }
            sb.append(s, i, j).append(replacement);
            i = j + old.length();
            if (old.isEmpty()) { // Python inserts between characters
                if (i >= s.length()) {
                    return sb.append(s.substring(i)).toString();
                }
                sb.append(s.charAt(i++));
            }
        }
        return sb.append(s.substring(i)).toString();
    }

    /** {@code str.count(sub)}: non-overlapping occurrences. */
    static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    /** Python slice semantics ({@code start:stop:step}, any part null) over a sequence of length n. */
    static int[] sliceIndices(int n, Integer start, Integer stop, Integer step) {
        int st = step == null ? 1 : step;
        if (st == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        int lo = st > 0 ? 0 : -1;
        int hi = st > 0 ? n : n - 1;
        int a = start == null ? (st > 0 ? lo : hi) : clampIndex(start, n, lo, hi);
        int b = stop == null ? (st > 0 ? hi : lo) : clampIndex(stop, n, lo, hi);
        List<Integer> idx = new ArrayList<>();
        for (int i = a; st > 0 ? i < b : i > b; i += st) {
            idx.add(i);
        }
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int clampIndex(int i, int n, int lo, int hi) {
        if (i < 0) {
            i += n;
            return Math.max(i, lo);
        }
        return Math.min(i, hi);
    }
}
