package io.specrej.engine.text;

import com.hubspot.jinjava.util.ForLoop;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Answers the Python method calls templates make on strings, dicts and lists, which Jinjava would otherwise look up
 * as Java methods ({@code content.strip()} exists in Java with other semantics, {@code .startswith} does not exist),
 * plus {@code 'abc'[-1]} and the {@code pyslice__} call {@link PyExpressions} writes for {@code x[a:b:c]}.
 * Anything else falls through to Jinjava's own resolvers.
 */
final class PyMethodResolver extends ELResolver {

    /**
     * Python methods of dicts, lists and jinja2's loop that templates call and that Jinjava's PyMap, PyList and
     * ForLoop implement as Java methods of the same name. Every other method is refused: Jinjava would otherwise call
     * any public Java method ({@code 'x'.repeat(2000000000)}, {@code getBytes}, {@code replaceAll}).
     */
    private static final Set<String> DICT_METHODS = Set.of("get", "items", "keys", "values", "update", "pop",
            "setdefault", "copy");
    private static final Set<String> LIST_METHODS = Set.of("append", "extend", "insert", "pop", "index", "count",
            "copy", "reverse");
    private static final Set<String> LOOP_METHODS = Set.of("cycle", "changed");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        RenderBudget.step();
        if (!(method instanceof String name) || base == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = NOT_HANDLED;
        if (base instanceof String s) {
            result = stringMethod(s, name, args);
        } else if (base instanceof List<?> list && name.equals(PyExpressions.SLICE_METHOD) && args.length == 3) {
            int[] idx = PyStrings.sliceIndices(list.size(), index(args[0]), index(args[1]), index(args[2]));
            List<Object> out = new ArrayList<>(idx.length);
            for (int i : idx) {
                out.add(list.get(i));
            }
            result = out;
        } else if (base instanceof Map<?, ?> map && name.equals("get") && (args.length == 1 || args.length == 2)) {
            result = map.containsKey(args[0]) ? map.get(args[0]) : args.length == 2 ? args[1] : null;
        }
        if (result == NOT_HANDLED) {
            if (!allowedJavaMethod(base, name)) {
                throw new IllegalArgumentException("'" + PyValues.typeName(base) + "' object has no method '" + name
                        + "' (chat templates may call the Python string, dict and list methods transformers' "
                        + "templates use)");
            }
            return null;
        }
        if (result instanceof CharSequence cs) {
            RenderBudget.checkLength(cs.length());
        }
        context.setPropertyResolved(true);
        return result;
    }

    /**
     * Whether Jinjava may call the Java method {@code name} on {@code base}. Template data (strings, numbers, dicts,
     * lists, the loop) gets only its Python methods; Jinjava's own objects (filters, tests, macros) are called by
     * Jinjava itself through this same path and pass.
     */
    private static boolean allowedJavaMethod(Object base, String name) {
        if (base instanceof Map<?, ?>) {
            return DICT_METHODS.contains(name);
        }
        if (base instanceof List<?>) {
            return LIST_METHODS.contains(name);
        }
        if (base instanceof ForLoop) {
            return LOOP_METHODS.contains(name);
        }
        return !(base instanceof CharSequence || base instanceof Number || base instanceof Boolean);
    }

    private static final Object NOT_HANDLED = new Object();
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,9}");

    private static Object stringMethod(String s, String name, Object[] a) {
        int n = a.length;
        return switch (name) {
            case "strip" -> n <= 1 ? PyStrings.strip(s, chars(a)) : NOT_HANDLED;
            case "lstrip" -> n <= 1 ? PyStrings.lstrip(s, chars(a)) : NOT_HANDLED;
            case "rstrip" -> n <= 1 ? PyStrings.rstrip(s, chars(a)) : NOT_HANDLED;
            case "upper" -> PyStrings.upper(s);
            case "lower" -> PyStrings.lower(s);
            case "title" -> PyStrings.title(s);
            case "capitalize" -> PyStrings.capitalize(s);
            case "startswith" -> n >= 1 ? affix(s, a[0], true) : NOT_HANDLED;
            case "endswith" -> n >= 1 ? affix(s, a[0], false) : NOT_HANDLED;
            case "split" -> PyStrings.split(s, n > 0 ? (String) a[0] : null, n > 1 ? index(a[1]) : -1);
            case "rsplit" -> PyStrings.rsplit(s, n > 0 ? (String) a[0] : null, n > 1 ? index(a[1]) : -1);
            case "splitlines" -> List.of(s.split("\r\n|\r|\n", -1)).subList(0, lineCount(s));
            case "replace" -> n >= 2 ? PyStrings.replace(s, str(a[0]), str(a[1]), n > 2 ? index(a[2]) : -1)
                    : NOT_HANDLED;
            case "find" -> n == 1 ? s.indexOf(str(a[0])) : NOT_HANDLED;
            case "rfind" -> n == 1 ? s.lastIndexOf(str(a[0])) : NOT_HANDLED;
            case "index" -> n == 1 ? found(s.indexOf(str(a[0]))) : NOT_HANDLED;
            case "count" -> n == 1 ? PyStrings.count(s, str(a[0])) : NOT_HANDLED;
            case "join" -> n == 1 ? join(s, a[0]) : NOT_HANDLED;
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> PyStrings.isAllSpace(s, 0);
            case "islower" -> hasCased(s) && s.equals(PyStrings.lower(s));
            case "isupper" -> hasCased(s) && s.equals(PyStrings.upper(s));
            case PyExpressions.SLICE_METHOD -> slice(s, a);
            default -> NOT_HANDLED;
        };
    }

    private static String chars(Object[] a) {
        return a.length == 0 || a[0] == null ? null : str(a[0]);
    }

    private static String str(Object o) {
        if (o instanceof CharSequence cs) {
            return cs.toString();
        }
        throw new IllegalArgumentException("expected a string argument, got " + PyValues.repr(o));
    }

    private static Integer index(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Number num) {
            return num.intValue();
        }
        throw new IllegalArgumentException("expected an integer, got " + PyValues.repr(o));
    }

    private static boolean affix(String s, Object arg, boolean prefix) {
        if (arg instanceof Collection<?> options) { // Python accepts a tuple of alternatives
            return options.stream().anyMatch(o -> affix(s, o, prefix));
        }
        return prefix ? s.startsWith(str(arg)) : s.endsWith(str(arg));
    }

    private static int found(int i) {
        if (i < 0) {
            throw new IllegalArgumentException("substring not found");
        }
        return i;
    }

    private static String join(String sep, Object items) {
        if (!(items instanceof Collection<?> c)) {
            throw new IllegalArgumentException("join expects a list, got " + PyValues.repr(items));
        }
        return String.join(sep, c.stream().map(PyMethodResolver::str).toList());
    }

    private static int lineCount(String s) {
        int n = s.split("\r\n|\r|\n", -1).length;
        return s.isEmpty() || s.endsWith("\n") || s.endsWith("\r") ? n - 1 : n;
    }

    private static boolean hasCased(String s) {
        return s.chars().anyMatch(c -> Character.isUpperCase(c) || Character.isLowerCase(c));
    }

    private static String slice(String s, Object[] a) {
        int[] idx = PyStrings.sliceIndices(s.length(), index(a[0]), index(a[1]), index(a[2]));
        StringBuilder sb = new StringBuilder(idx.length);
        for (int i : idx) {
            sb.append(s.charAt(i));
        }
        return sb.toString();
    }

    /** {@code 'abc'[i]}, negative indices counted from the end. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        RenderBudget.step();
        // Jinjava turns integer subscripts into strings ("-1") before asking the resolvers.
        if (base instanceof String s && property != null && INTEGER.matcher(property.toString()).matches()) {
            int n = Integer.parseInt(property.toString());
            int i = n < 0 ? n + s.length() : n;
            if (i < 0 || i >= s.length()) {
                throw new IndexOutOfBoundsException("string index out of range: " + n);
            }
            context.setPropertyResolved(true);
            return String.valueOf(s.charAt(i));
        }
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
