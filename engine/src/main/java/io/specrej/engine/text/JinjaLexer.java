package io.specrej.engine.text;

import io.specrej.engine.BadInputException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.TreeSet;

/**
 * Re-lexes a jinja2 template the way jinja2's own lexer does and writes it back out as a Jinjava template.
 *
 * <p>Jinjava's whitespace handling differs from jinja2's: its lstrip_blocks also strips spaces in the middle of a
 * line (the space in <code>"a {% if x %}"</code> is lost), it ignores the minus in <code>{{- x -}}</code> unless
 * told otherwise, and it neither normalises CRLF nor drops the template's trailing newline. So whitespace control (trim_blocks,
 * lstrip_blocks, {@code -} and {@code +} markers), comments and newline normalisation are all applied here, exactly
 * as in jinja2 3.1's {@code Lexer.tokeniter}, and Jinjava gets plain tags with no whitespace markers and runs with
 * trim/lstrip off. Expressions inside tags are handed to {@link PyExpressions} for the Python-isms Jinjava lacks.
 */
final class JinjaLexer {
    private final String src;
    private final StringBuilder out = new StringBuilder();
    /** Open block tags, innermost first, to spot {% else %} inside {% for %}. */
    private final Deque<String> blocks = new ArrayDeque<>();
    private final Set<String> filters = new TreeSet<>();
    private final Set<String> tests = new TreeSet<>();
    private int pos;
    /** jinja2's {@code line_starting}: whether the previous lexer match ended with a newline. */
    private boolean lineStarting = true;

    private JinjaLexer(String src) {
        this.src = src;
    }

    /** The Jinjava source of a template, and the filters and tests it names. */
    record Translation(String source, Set<String> filters, Set<String> tests) {}

    /** Translates a jinja2 template with trim_blocks=True and lstrip_blocks=True. */
    static Translation translate(String template) {
        JinjaLexer lexer = new JinjaLexer(normalizeNewlines(template));
        lexer.run();
        return new Translation(lexer.out.toString(), lexer.filters, lexer.tests);
    }

    /** jinja2 turns \r\n and \r into \n and drops one trailing newline (keep_trailing_newline=False). */
    static String normalizeNewlines(String s) {
        String n = s.replace("\r\n", "\n").replace('\r', '\n');
        return n.endsWith("\n") ? n.substring(0, n.length() - 1) : n;
    }

    private void run() {
        while (pos < src.length()) {
            int start = nextTagStart(pos);
            if (start < 0) {
                emitText(src.substring(pos));
                return;
            }
            char kind = src.charAt(start + 1);
            char sign = start + 2 < src.length() ? src.charAt(start + 2) : 0;
            if (sign != '-' && sign != '+') {
                sign = 0;
            }
            String text = src.substring(pos, start);
            int bodyStart = start + 2 + (sign != 0 ? 1 : 0);
            emitText(stripBefore(text, sign, kind != '{'));
            int rawEnd = kind == '%' ? rawBeginEnd(bodyStart) : -1;
            if (rawEnd >= 0) {
                pos = rawEnd;
                lexRaw();
            } else if (kind == '#') {
                lexComment(bodyStart);
            } else {
                lexTag(kind, bodyStart);
            }
        }
    }

    private int nextTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** Applies the begin marker: {@code -} strips all whitespace, else lstrip_blocks for block and comment tags. */
    private String stripBefore(String text, char sign, boolean lstripApplies) {
        if (sign == '-') {
            return PyStrings.rstrip(text, null);
        }
        if (sign == '+' || !lstripApplies) {
            return text;
        }
        int lineStart = text.lastIndexOf('\n') + 1;
        if ((lineStart > 0 || lineStarting) && lineStart < text.length() && PyStrings.isAllSpace(text, lineStart)) {
            return text.substring(0, lineStart);
        }
        return text;
    }

    /** If the block tag whose body starts at bodyStart is <code>{% raw %}</code>, the index after it, else -1. */
    private int rawBeginEnd(int bodyStart) {
        int i = skipWhitespaceAfter(bodyStart);
        if (!src.startsWith("raw", i)) {
            return -1;
        }
        i = skipWhitespaceAfter(i + 3);
        int end = -1;
        if (src.startsWith("-%}", i)) {
            end = skipWhitespaceAfter(i + 3);
        } else if (src.startsWith("%}", i)) {
            end = i + 2; // jinja2 applies no trim_blocks newline after {% raw %}
        }
        if (end >= 0) {
            lineStarting = src.charAt(end - 1) == '\n';
        }
        return end;
    }

    private void lexRaw() {
        int i = pos;
        while (true) {
            int open = src.indexOf("{%", i);
            if (open < 0) {
                throw error("missing {% endraw %}");
            }
            int j = open + 2;
            char sign = j < src.length() && (src.charAt(j) == '-' || src.charAt(j) == '+') ? src.charAt(j) : 0;
            int k = skipWhitespaceAfter(j + (sign != 0 ? 1 : 0));
            if (src.startsWith("endraw", k)) {
                k = skipWhitespaceAfter(k + 6);
                int end = tagEnd(k, '%');
                if (end >= 0) {
                    String body = stripBefore(src.substring(pos, open), sign, true);
                    out.append("{% raw %}").append(body).append("{% endraw %}");
                    pos = end;
                    return;
                }
            }
            i = open + 2;
        }
    }

    private void lexComment(int bodyStart) {
        int i = src.indexOf("#}", bodyStart);
        if (i < 0) {
            throw error("missing end of comment tag");
        }
        char before = i > bodyStart ? src.charAt(i - 1) : 0;
        pos = finishEnd(i + 2, before == '-' || before == '+' ? before : 0, true);
    }

    /** Lexes an expression or statement tag, whose end only counts outside strings and brackets (as in jinja2). */
    private void lexTag(char kind, int bodyStart) {
        char close = kind == '{' ? '}' : '%';
        int depth = 0;
        for (int i = bodyStart; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') {
                i = PyExpressions.stringEnd(src, i) - 1;
            } else if (c == '(' || c == '[' || (c == '{')) {
                depth++;
            } else if (depth > 0 && (c == ')' || c == ']' || c == '}')) {
                depth--;
            } else if (depth == 0) {
                int end = tagEnd(i, close);
                if (end >= 0) {
                    emitTag(kind, src.substring(bodyStart, i).strip());
                    pos = end;
                    return;
                }
            }
        }
        throw error("missing end of " + (kind == '{' ? "expression {{ ... }}" : "statement {% ... %}"));
    }

    /** If a tag end (with optional -/+ marker) starts at i, consumes it and what it strips; returns new pos. */
    private int tagEnd(int i, char close) {
        char sign = 0;
        if (src.charAt(i) == '-' || src.charAt(i) == '+') {
            sign = src.charAt(i);
            i++;
        }
        if (!src.startsWith(close + "}", i) || (close == '}' && sign == '+')) {
            return -1; // jinja2 has no "+}}"
        }
        return finishEnd(i + 2, sign, close == '%');
    }

    /** Consumes what follows a tag end: all whitespace after "-", one newline after a plain block end. */
    private int finishEnd(int after, char sign, boolean trimBlocks) {
        int p = after;
        if (sign == '-') {
            p = skipWhitespaceAfter(after);
        } else if (sign == 0 && trimBlocks && p < src.length() && src.charAt(p) == '\n') {
            p++;
        }
        lineStarting = p > after && src.charAt(p - 1) == '\n';
        return p;
    }

    private int skipWhitespaceAfter(int i) {
        while (i < src.length() && PyStrings.isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private void emitTag(char kind, String body) {
        if (kind == '{') {
            if (body.isEmpty()) {
                throw error("empty expression {{ }}");
            }
            out.append("{{ ").append(expression(body, true)).append(" }}");
            return;
        }
        String keyword = body.split("[\\s(]", 2)[0];
        if (keyword.equals("generation") || keyword.equals("endgeneration")) {
            return; // transformers' AssistantTracker tag; it only marks assistant text for masks
        }
        checkSupported(keyword, body);
        boolean signature = keyword.equals("macro") || keyword.equals("call");
        out.append("{% ").append(expression(body, !signature)).append(" %}");
    }

    private String expression(String body, boolean parenthesizeKeywordArgs) {
        String rewritten = PyExpressions.rewrite(body, parenthesizeKeywordArgs);
        PyExpressions.collectFiltersAndTests(rewritten, filters, tests);
        return rewritten;
    }

    /** Rejects the jinja2 constructs Jinjava would silently render differently. */
    private void checkSupported(String keyword, String body) {
        switch (keyword) {
            case "for" -> {
                if (PyExpressions.hasTopLevelWord(body, "if")) {
                    throw error("loop filters ({% for x in xs if ... %}) are not supported; use {% if %} in the body");
                }
                blocks.push(keyword);
            }
            case "if", "macro", "call", "filter", "with" -> blocks.push(keyword);
            case "set" -> {
                if (!body.contains("=")) {
                    blocks.push(keyword); // {% set x %}...{% endset %}
                }
            }
            case "else" -> {
                if ("for".equals(blocks.peek())) {
                    throw error("{% for %}...{% else %} is not supported");
                }
            }
            default -> {
                if (keyword.startsWith("end") && !blocks.isEmpty()) {
                    blocks.pop();
                }
            }
        }
    }

    private void emitText(String text) {
        if (text.isEmpty()) {
            return;
        }
        // A text ending in '{' would glue onto the next tag's "{{"/"{%" and change how Jinjava reads it.
        if (text.endsWith("{")) {
            out.append(text, 0, text.length() - 1).append("{{ '{' }}");
        } else {
            out.append(text);
        }
    }

    private BadInputException error(String what) {
        int line = 1;
        for (int i = 0; i < Math.min(pos, src.length()); i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
        return new BadInputException("chat template: line " + line + ": " + what);
    }
}
