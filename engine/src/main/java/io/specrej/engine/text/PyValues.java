package io.specrej.engine.text;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code str()}, {@code repr()} and {@code json.dumps} for the Java values Jinjava hands around.
 *
 * <p>jinja2 prints {@code True}/{@code False}, {@code ['a', 'b']} and {@code 2.5}, where Jinjava would print
 * {@code true}, {@code [a, b]}; and transformers' {@code tojson} is {@code json.dumps(ensure_ascii=False)} with
 * Python's {@code ", "}/{@code ": "} separators, not Jackson's compact form.
 */
final class PyValues {
    private PyValues() {}

    /**
     * {@code str(value)}. Null prints as the empty string: Jinjava cannot tell None from an undefined variable, and
     * an undefined one (the common case, e.g. a missing key) prints empty in jinja2 as well.
     */
    static String str(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof CharSequence cs) {
            return cs.toString();
        }
        return repr(value);
    }

    /** Python's type name of a template value, for error messages as jinja2 words them. */
    static String typeName(Object value) {
        if (value == null) {
            return "NoneType";
        }
        if (value instanceof CharSequence) {
            return "str";
        }
        if (value instanceof Boolean) {
            return "bool";
        }
        if (value instanceof Double || value instanceof Float || value instanceof java.math.BigDecimal) {
            return "float";
        }
        if (value instanceof Number) {
            return "int";
        }
        if (value instanceof Map<?, ?>) {
            return "dict";
        }
        return value instanceof Collection<?> ? "list" : value.getClass().getSimpleName();
    }

    static String repr(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof CharSequence cs) {
            return reprString(cs.toString());
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            return floatRepr(((Number) value).doubleValue());
        }
        if (value instanceof Number) {
            return value.toString();
        }
        if (value instanceof Map<?, ?> map) {
            List<String> items = new ArrayList<>();
            map.forEach((k, v) -> items.add(repr(k) + ": " + repr(v)));
            return "{" + String.join(", ", items) + "}";
        }
        if (value instanceof Collection<?> list) {
            return "[" + String.join(", ", list.stream().map(PyValues::repr).toList()) + "]";
        }
        if (value instanceof Object[] array) {
            return repr(List.of(array));
        }
        return value.toString();
    }

    private static String reprString(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == quote) {
                        sb.append('\\').append(c);
                    } else if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append(quote).toString();
    }

    /** {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        // Double.toString gives the shortest round-tripping digits (JDK 19+); only the layout differs.
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        if (exp < 0) {
            return sign + "0." + "0".repeat(-exp - 1) + digits;
        }
        if (digits.length() <= exp + 1) {
            return sign + digits + "0".repeat(exp + 1 - digits.length()) + ".0";
        }
        return sign + digits.substring(0, exp + 1) + "." + digits.substring(exp + 1);
    }

    /** {@code json.dumps(value, ensure_ascii, indent, separators, sort_keys)}; indent null means one line. */
    static String json(Object value, boolean ensureAscii, String indent, String itemSep, String keySep,
            boolean sortKeys) {
        String items = itemSep != null ? itemSep : indent == null ? ", " : ",";
        String keys = keySep != null ? keySep : ": ";
        StringBuilder sb = new StringBuilder();
        new JsonWriter(sb, ensureAscii, indent, items, keys, sortKeys).write(value, 0);
        return sb.toString();
    }

    private record JsonWriter(StringBuilder sb, boolean ascii, String indent, String itemSep, String keySep,
            boolean sortKeys) {
        void write(Object v, int level) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Boolean b) {
                sb.append(b);
            } else if (v instanceof CharSequence cs) {
                string(cs.toString());
            } else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
                double d = ((Number) v).doubleValue();
                sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                        : floatRepr(d));
            } else if (v instanceof Number n) {
                sb.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
            } else if (v instanceof Map<?, ?> map) {
                List<Map.Entry<String, Object>> entries = new ArrayList<>();
                map.forEach((k, val) -> entries.add(new AbstractMap.SimpleEntry<>(key(k), val)));
                if (sortKeys) {
                    entries.sort(Map.Entry.comparingByKey());
                }
                sb.append('{');
                for (int i = 0; i < entries.size(); i++) {
                    separate(i, level);
                    string(entries.get(i).getKey());
                    sb.append(keySep);
                    write(entries.get(i).getValue(), level + 1);
                }
                close('}', entries.isEmpty(), level);
            } else if (v instanceof Collection<?> || v instanceof Object[]) {
                List<?> list = v instanceof Object[] a ? Arrays.asList(a) : new ArrayList<>((Collection<?>) v);
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    separate(i, level);
                    write(list.get(i), level + 1);
                }
                close(']', list.isEmpty(), level);
            } else {
                string(v.toString());
            }
        }

        private static String key(Object k) {
            if (k == null) {
                return "null";
            }
            if (k instanceof Double || k instanceof Float) {
                return floatRepr(((Number) k).doubleValue());
            }
            return k.toString();
        }

        private void separate(int i, int level) {
            if (i > 0) {
                sb.append(itemSep);
            }
            if (indent != null) {
                sb.append('\n').append(indent.repeat(level + 1));
            }
        }

        private void close(char c, boolean empty, int level) {
            if (indent != null && !empty) {
                sb.append('\n').append(indent.repeat(level));
            }
            sb.append(c);
        }

        private void string(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20 || (ascii && c > 0x7e)) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
