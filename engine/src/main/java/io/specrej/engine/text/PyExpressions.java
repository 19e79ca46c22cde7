package io.specrej.engine.text;

import io.specrej.engine.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the body of one jinja2 tag into an expression Jinjava parses with the same meaning.
 *
 * <p>Things in real chat templates that Jinjava parses differently or not at all:
 * <ul>
 *   <li>string escapes: jinja2 decodes literals with Python's unicode-escape (backslash-u2581, backslash-x0a,
 *       octal, unknown escapes kept verbatim); Jinjava's lexer rejects most of them. Literals are decoded here and
 *       re-quoted so that only the backslash and the quote are escaped;</li>
 *   <li>slices with a step ({@code messages[::-1]}, used by Qwen3) do not parse; they become a call to the
 *       {@code pyslice__} method that {@link PyMethodResolver} implements;</li>
 *   <li>keyword arguments bind looser in Jinjava than an arithmetic operator, so
 *       {@code namespace(i=messages|length - 1)} computes {@code (i=messages|length) - 1}; values of keyword
 *       arguments are parenthesised;</li>
 *   <li>Python's {@code not} binds looser than comparisons, Jinjava's tighter; its operand is parenthesised;</li>
 *   <li>Jinjava ends an expression at the first two closing braces, even inside a nested dict literal; they are
 *       separated by a space.</li>
 * </ul>
 */
final class PyExpressions {
    static final String SLICE_METHOD = "pyslice__";
    private static final Pattern KEYWORD_ARG = Pattern.compile("^(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*)=(?!=)(.*)$",
            Pattern.DOTALL);

    private PyExpressions() {}

    /** Index just past the string literal whose opening quote is at {@code start} (or the end of {@code s}). */
    static int stringEnd(String s, int start) {
        char q = s.charAt(start);
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == q) {
                return i + 1;
            }
        }
        return s.length();
    }

    static String rewrite(String expr, boolean parenthesizeKeywordArgs) {
        String text = new Rewriter(expr, parenthesizeKeywordArgs).sequence(0, (char) 0).text;
        return separateClosingBraces(parenthesizeNot(text));
    }

    /**
     * Adds the filter names ({@code x | name}) and test names ({@code x is [not] name}) an expression uses; Jinjava
     * silently ignores unknown ones where jinja2 refuses to compile the template.
     */
    static void collectFiltersAndTests(String text, Set<String> filters, Set<String> tests) {
        String prev = null;
        String prevPrev = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(text, i) - 1;
                prevPrev = prev;
                prev = "'";
            } else if (isIdentStart(c)) {
                int j = identEnd(text, i);
                String word = text.substring(i, j);
                if ("|".equals(prev)) {
                    filters.add(word);
                } else if ("is".equals(prev) && !word.equals("not")
                        || "not".equals(prev) && "is".equals(prevPrev)) {
                    tests.add(word);
                }
                prevPrev = prev;
                prev = word;
                i = j - 1;
            } else if (!Character.isWhitespace(c)) {
                prevPrev = prev;
                prev = String.valueOf(c);
            }
        }
    }

    /** Whether {@code word} occurs as a token outside strings and brackets. */
    static boolean hasTopLevelWord(String text, String word) {
        int depth = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(text, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (isIdentStart(c)) {
                int j = identEnd(text, i);
                if (depth == 0 && text.substring(i, j).equals(word)) {
                    return true;
                }
                i = j - 1;
            }
        }
        return false;
    }

    /**
     * Python's {@code not} binds looser than comparisons ({@code not a == b} is {@code not (a == b)}), Jinjava's
     * tighter; so the operand of a unary {@code not}, up to the next {@code and}/{@code or}/{@code if}/{@code else}
     * or separator, is put in parentheses.
     */
    static String parenthesizeNot(String s) {
        StringBuilder out = new StringBuilder();
        String prev = null; // previous significant token
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                int j = stringEnd(s, i);
                out.append(s, i, j);
                prev = "'";
                i = j;
            } else if (isIdentStart(c)) {
                int j = identEnd(s, i);
                String word = s.substring(i, j);
                if (word.equals("not") && unaryContext(prev)) {
                    int end = operandEnd(s, j);
                    String operand = s.substring(j, end);
                    String trimmed = operand.stripTrailing();
                    if (!trimmed.isBlank()) {
                        out.append("not (").append(parenthesizeNot(trimmed.strip())).append(')')
                                .append(operand.substring(trimmed.length()));
                        prev = ")";
                        i = end;
                        continue;
                    }
                }
                out.append(word);
                prev = word;
                i = j;
            } else {
                out.append(c);
                if (!Character.isWhitespace(c)) {
                    prev = String.valueOf(c);
                }
                i++;
            }
        }
        return out.toString();
    }

    private static boolean unaryContext(String prev) {
        if (prev == null) {
            return true;
        }
        if (isIdentStart(prev.charAt(0))) {
            return switch (prev) {
                case "and", "or", "not", "if", "elif", "else", "in", "return" -> true;
                default -> false; // an operand ("x not in y") or "is" ("x is not none")
            };
        }
        return !(prev.equals(")") || prev.equals("]") || prev.equals("}") || prev.equals("'")
                || Character.isDigit(prev.charAt(0)));
    }

    private static int operandEnd(String s, int from) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth-- == 0) {
                    return i;
                }
            } else if (depth == 0 && (c == ',' || c == ':')) {
                return i;
            } else if (isIdentStart(c)) {
                int j = identEnd(s, i);
                String word = s.substring(i, j);
                if (depth == 0 && (word.equals("and") || word.equals("or") || word.equals("if")
                        || word.equals("else"))) {
                    return i;
                }
                i = j - 1;
            }
        }
        return s.length();
    }

    /** Jinjava ends an expression at the first "}}" even inside a dict literal, so nested braces get a space. */
    static String separateClosingBraces(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                int j = stringEnd(s, i);
                out.append(s, i, j);
                i = j - 1;
            } else {
                if (c == '}' && out.length() > 0 && out.charAt(out.length() - 1) == '}') {
                    out.append(' ');
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isIdentStart(char c) {
        return Character.isLetter(c) || c == '_';
    }

    private static int identEnd(String s, int i) {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
            j++;
        }
        return j;
    }

    private record Piece(String text, int end) {}

    private static final class Rewriter {
        private final String s;
        private final boolean keywordArgs;

        Rewriter(String s, boolean keywordArgs) {
            this.s = s;
            this.keywordArgs = keywordArgs;
        }

        /** Rewrites from {@code i} up to the unmatched {@code closer} (or the end), returning text and its end. */
        Piece sequence(int i, char closer) {
            StringBuilder out = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == closer) {
                    return new Piece(out.toString(), i);
                }
                if (c == '\'' || c == '"') {
                    int end = stringEnd(s, i);
                    if (end > s.length() || s.charAt(end - 1) != c || end - i < 2) {
                        throw new BadInputException("chat template: unterminated string literal in '" + s + "'");
                    }
                    out.append(requote(decode(s.substring(i + 1, end - 1))));
                    i = end;
                } else if (c == '[' || c == '(' || c == '{') {
                    char close = c == '[' ? ']' : c == '(' ? ')' : '}';
                    Piece inner = sequence(i + 1, close);
                    if (inner.end >= s.length()) {
                        throw new BadInputException("chat template: unbalanced '" + c + "' in '" + s + "'");
                    }
                    out.append(bracket(c, inner.text, close));
                    i = inner.end + 1;
                } else {
                    out.append(c);
                    i++;
                }
            }
            return new Piece(out.toString(), i);
        }

        private String bracket(char open, String inner, char close) {
            if (open == '[') {
                List<String> parts = splitTopLevel(inner, ':');
                if (parts.size() == 3) {
                    return "." + SLICE_METHOD + "(" + orNone(parts.get(0)) + ", " + orNone(parts.get(1)) + ", "
                            + orNone(parts.get(2)) + ")";
                }
            } else if (open == '(' && keywordArgs) {
                List<String> args = splitTopLevel(inner, ',');
                for (int k = 0; k < args.size(); k++) {
                    Matcher m = KEYWORD_ARG.matcher(args.get(k));
                    if (m.matches()) {
                        args.set(k, m.group(1) + "=(" + m.group(2).strip() + ")");
                    }
                }
                return "(" + String.join(",", args) + ")";
            }
            return open + inner + close;
        }

        private static String orNone(String part) {
            return part.isBlank() ? "none" : part.strip();
        }
    }

    /** Splits already-rewritten text at separators that are outside strings and brackets. */
    static List<String> splitTopLevel(String text, char sep) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int from = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(text, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == sep && depth == 0) {
                parts.add(text.substring(from, i));
                from = i + 1;
            }
        }
        parts.add(text.substring(from));
        return parts;
    }

    /** Decodes a Python string literal body the way jinja2 does (unicode-escape). */
    static String decode(String body) {
        StringBuilder sb = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\' || i + 1 >= body.length()) {
                sb.append(c);
                continue;
            }
            char e = body.charAt(++i);
            switch (e) {
                case '\n' -> { } // line continuation
                case '\\', '\'', '"' -> sb.append(e);
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x' -> i = appendHex(sb, body, i, 2);
                case 'u' -> i = appendHex(sb, body, i, 4);
                case 'U' -> i = appendHex(sb, body, i, 8);
                default -> {
                    if (e >= '0' && e <= '7') {
                        int j = i;
                        while (j < body.length() && j < i + 3 && body.charAt(j) >= '0' && body.charAt(j) <= '7') {
                            j++;
                        }
                        sb.append((char) Integer.parseInt(body.substring(i, j), 8));
                        i = j - 1;
                    } else {
                        sb.append('\\').append(e); // Python keeps unknown escapes such as \d verbatim
                    }
                }
            }
        }
        return sb.toString();
    }

    private static int appendHex(StringBuilder sb, String body, int at, int digits) {
        int end = at + 1 + digits;
        if (end > body.length() || !body.substring(at + 1, end).matches("[0-9a-fA-F]+")) {
            throw new BadInputException("chat template: truncated \\" + body.charAt(at) + " escape in string literal '"
                    + body + "'");
        }
        sb.appendCodePoint(Integer.parseInt(body.substring(at + 1, end), 16));
        return end - 1;
    }

    /** Quotes a decoded string for Jinjava, whose lexer only needs the backslash and the quote escaped. */
    static String requote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
