package io.specrej.engine.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.ContextConfigurationIF.ErrorHandlingStrategyIF.TemplateErrorTypeHandlingStrategy;
import com.hubspot.jinjava.interpret.ErrorHandlingStrategy;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * The Jinjava side of transformers' chat-template environment: its globals ({@code raise_exception},
 * {@code strftime_now}), its {@code tojson}, jinja2's {@code trim}/{@code title} filters and Python-style printing.
 * One shared instance; each render gets its own interpreter and context.
 */
final class JinjavaEnv {
    /** Set by {@code raise_exception} so that render can tell a template's own error from Jinjava's. */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();
    private static final ThreadLocal<Clock> CLOCK = new ThreadLocal<>();
    private static final Pattern WORD_BEGINNING = Pattern.compile("(?U)(?<=[-\\s({\\[<])(?=[^-\\s({\\[<])");
    private static final Jinjava JINJAVA = create();

    private JinjavaEnv() {}

    /** Thrown by {@code raise_exception}; Jinjava turns it into a fatal error and aborts. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message, null, false, false);
        }
    }

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        LegacyOverrides python = LegacyOverrides.newBuilder()
                .withIterateOverMapKeys(true) // for k in dict: yields keys in Python
                .withEvaluateMapKeys(true) // {name: 1} uses the variable's value as key
                .withKeepNullableLoopValues(true) // for x in [None]: keeps the None
                .build();
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false) // JinjaLexer already applied jinja2's trim/lstrip rules
                .withLstripBlocks(false)
                .withLegacyOverrides(python)
                .withElResolver(resolver)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(100)
                .withNestedInterpretationEnabled(false) // never render "{{" that arrives inside message text
                // transformers' templates never include or import; Jinjava would read them from the classpath
                .withDisabled(Map.of(Context.Library.TAG, Set.of("include", "import", "from", "extends")))
                // Jinjava's own caps on output and on strings built with ~ and +, as a second line behind ours
                .withMaxOutputSize(TemplateLimits.DEFAULT_MAX_CHARS)
                .withMaxStringLength(TemplateLimits.DEFAULT_MAX_CHARS)
                .withInterperterFactory(new PythonPrintingInterpreters())
                .build();
        Jinjava jinjava = new Jinjava(config);
        StrictAttributes.install(jinjava);
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjavaEnv.class, "raiseException",
                Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjavaEnv.class, "strftimeNow",
                Object.class));
        jinjava.registerFilter(filter("tojson", JinjavaEnv::toJson));
        jinjava.registerFilter(filter("trim", (v, a) ->
                PyStrings.strip(PyValues.str(v), a.length > 0 && a[0] != null ? PyValues.str(a[0]) : null)));
        jinjava.registerFilter(filter("title", (v, a) -> jinjaTitle(PyValues.str(v))));
        jinjava.registerFilter(filter("sum", JinjavaEnv::sum));
        jinjava.registerFilter(filter("items", (v, a) -> items(v))); // jinja2 3.1; Jinjava lacks it
        for (Filter f : List.copyOf(jinjava.getGlobalContext().getAllFilters())) {
            jinjava.registerFilter(new LimitedFilter(f));
        }
        return jinjava;
    }

    /** The first filter or test the template names that this environment lacks (jinja2 rejects those), or null. */
    static String unknownFilterOrTest(Set<String> filters, Set<String> tests) {
        Context global = JINJAVA.getGlobalContext();
        for (String f : filters) {
            if (global.getFilter(f) == null) {
                return "no filter named '" + f + "'";
            }
        }
        for (String t : tests) {
            if (global.getExpTest(t) == null) {
                return "no test named '" + t + "'";
            }
        }
        return null;
    }

    public static String raiseException(Object message) {
        String text = PyValues.str(message);
        RAISED.set(text);
        throw new TemplateRaised(text);
    }

    public static String strftimeNow(Object format) {
        Clock clock = CLOCK.get() != null ? CLOCK.get() : Clock.systemDefaultZone();
        return PyStrftime.format(PyValues.str(format), LocalDateTime.now(clock));
    }

    /** Renders translated source; fatal Jinjava errors abort (as exceptions do in jinja2). */
    static String render(String source, Map<String, Object> bindings, Clock clock, TemplateLimits limits)
            throws RenderFailure {
        JinjavaConfig config = JINJAVA.getGlobalConfig();
        Context context = new Context(JINJAVA.getGlobalContextCopy(), bindings, config.getDisabled());
        context.setErrorHandlingStrategy(ErrorHandlingStrategy.builder()
                .setFatalErrorStrategy(TemplateErrorTypeHandlingStrategy.THROW_EXCEPTION)
                .setNonFatalErrorStrategy(TemplateErrorTypeHandlingStrategy.IGNORE)
                .build());
        JinjavaInterpreter interpreter = config.getInterpreterFactory().newInstance(JINJAVA, context, config);
        RAISED.remove();
        CLOCK.set(clock);
        RenderBudget.begin(limits);
        StrictAttributes.setVariables(Set.copyOf(bindings.keySet()));
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String out = interpreter.render(source);
            for (TemplateError e : interpreter.getErrorsCopy()) {
                if (e.getSeverity() == TemplateError.ErrorType.FATAL
                        || e.getReason() == TemplateError.ErrorReason.DISABLED) {
                    throw failure(e.getMessage());
                }
            }
            if (RenderBudget.exceeded() != null) { // hit inside something Jinjava renders past, such as a macro
                throw failure(RenderBudget.exceeded());
            }
            RenderBudget.checkLength(out.length());
            return out;
        } catch (RuntimeException e) {
            throw failure(e.getMessage() != null ? e.getMessage() : e.toString());
        } finally {
            JinjavaInterpreter.popCurrent();
            CLOCK.remove();
            RenderBudget.end();
            StrictAttributes.clearVariables();
        }
    }



    /** A failed render: either the template's raise_exception message or Jinjava's error text. */
    static final class RenderFailure extends Exception {
        final boolean raisedByTemplate;

        RenderFailure(String message, boolean raisedByTemplate) {
            super(message, null, false, false);
            this.raisedByTemplate = raisedByTemplate;
        }
    }

    private static RenderFailure failure(String jinjavaMessage) {
        String raised = RAISED.get();
        RAISED.remove();
        String exceeded = RenderBudget.exceeded();
        if (exceeded != null) {
            return new RenderFailure(exceeded, false);
        }
        if (jinjavaMessage.contains("OutputTooBigException")) { // Jinjava's own cap on ~ and + (the same limit)
            return new RenderFailure("the template builds a text of more than " + TemplateLimits.DEFAULT_MAX_CHARS
                    + " characters (a string doubled in a loop?)", false);
        }
        return raised != null ? new RenderFailure(raised, true) : new RenderFailure(jinjavaMessage, false);
    }

    /**
     * Interpreters that print values as Python's str() does (True, None-as-empty, ['a', 'b'], 2.5) and charge the
     * {@link RenderBudget}: a step per expression and per loop iteration (Jinjava's for tag wraps every item).
     */
    private static final class PythonPrintingInterpreters implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new LimitedInterpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava jinjava, Context context, JinjavaConfig config) {
            return new LimitedInterpreter(jinjava, context, config);
        }
    }

    private static final class LimitedInterpreter extends JinjavaInterpreter {
        LimitedInterpreter(JinjavaInterpreter orig) {
            super(orig);
        }

        LimitedInterpreter(Jinjava jinjava, Context context, JinjavaConfig config) {
            super(jinjava, context, config);
        }

        @Override
        public String getAsString(Object value) {
            RenderBudget.step();
            if (value instanceof Double d && !Double.isFinite(d) || value instanceof Float f && !Float.isFinite(f)) {
                // Jinjava divides in Java doubles; jinja2 raises ZeroDivisionError where this gives inf or nan
                throw new IllegalArgumentException("division by zero (the template computed " + value + ")");
            }
            String s = PyValues.str(value);
            RenderBudget.checkLength(s.length());
            return s;
        }

        /**
         * Jinjava records a macro that recurses past its depth limit as a warning in a child interpreter and renders
         * it empty; jinja2 raises (Python's RecursionError), so the render is failed.
         */
        @Override
        public void addError(TemplateError error) {
            super.addError(error);
            String m = String.valueOf(error.getMessage());
            if (m.startsWith("Max recursion limit") || m.startsWith("Cycle detected for macro")) {
                RenderBudget.fail("maximum recursion depth exceeded: " + m);
            }
        }

        @Override
        public Object wrap(Object value) {
            RenderBudget.step();
            return super.wrap(value);
        }

        @Override
        public Object resolveELExpression(String expression, int lineNumber, int position) {
            RenderBudget.step();
            return super.resolveELExpression(expression, lineNumber, position);
        }
    }

    /**
     * A filter under the size limit: a number argument above it ({@code center(2000000000)}, {@code indent(...)})
     * could only build a string too large, so it is refused before the filter allocates; a string result is checked.
     */
    private static final class LimitedFilter implements Filter {
        private final Filter inner;

        LimitedFilter(Filter inner) {
            this.inner = inner;
        }

        @Override
        public String getName() {
            return inner.getName();
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            check(args);
            return checked(inner.filter(var, interpreter, args));
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            check(args);
            if (kwargs != null) {
                check(kwargs.values().toArray());
            }
            return checked(inner.filter(var, interpreter, args, kwargs));
        }

        private void check(Object[] args) {
            RenderBudget.step();
            for (Object a : args == null ? new Object[0] : args) {
                long n = a instanceof Number num ? num.longValue() : a instanceof String s ? parseLong(s) : 0;
                if (n > RenderBudget.maxChars()) {
                    RenderBudget.checkLength(n);
                }
            }
        }

        private static long parseLong(String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        private static Object checked(Object result) {
            if (result instanceof CharSequence cs) {
                RenderBudget.checkLength(cs.length());
            }
            return result;
        }
    }

    private static Object items(Object value) {
        if (value == null) {
            return List.of(); // undefined
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("items: expected a mapping, got " + PyValues.repr(value));
        }
        return new ArrayList<>(map.entrySet());
    }

    /** jinja2's sum(iterable, attribute=None, start=0): integer when every term is, where Jinjava gives 3.0. */
    private static Object sum(Object value, Object[] args, Map<String, Object> kwargs) {
        Object attribute = arg(args, kwargs, 0, "attribute");
        Object start = arg(args, kwargs, 1, "start");
        long whole = start instanceof Number n && !(start instanceof Double) ? n.longValue() : 0;
        double fraction = start instanceof Double d ? d : 0;
        boolean integral = !(start instanceof Double);
        if (value instanceof Collection<?> items) {
            for (Object item : items) {
                Object term = attribute != null && item instanceof Map<?, ?> m ? m.get(PyValues.str(attribute)) : item;
                if (term instanceof Double || term instanceof Float || term instanceof java.math.BigDecimal) {
                    integral = false;
                    fraction += ((Number) term).doubleValue();
                } else if (term instanceof Number n) {
                    whole += n.longValue();
                } else {
                    throw new IllegalArgumentException("sum: cannot add " + PyValues.repr(term));
                }
            }
        }
        return integral ? (Object) whole : (Object) (whole + fraction);
    }

    private static Object toJson(Object value, Object[] args, Map<String, Object> kwargs) {
        // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
        Object ensureAscii = arg(args, kwargs, 0, "ensure_ascii");
        Object indent = arg(args, kwargs, 1, "indent");
        Object separators = arg(args, kwargs, 2, "separators");
        Object sortKeys = arg(args, kwargs, 3, "sort_keys");
        String indentText = indent == null ? null
                : indent instanceof Number n ? " ".repeat(n.intValue()) : PyValues.str(indent);
        String itemSep = null;
        String keySep = null;
        if (separators instanceof List<?> seps && seps.size() == 2) {
            itemSep = PyValues.str(seps.get(0));
            keySep = PyValues.str(seps.get(1));
        }
        return PyValues.json(value, truthy(ensureAscii), indentText, itemSep, keySep, truthy(sortKeys));
    }

    private static Object arg(Object[] args, Map<String, Object> kwargs, int position, String name) {
        if (kwargs != null && kwargs.containsKey(name)) {
            return kwargs.get(name);
        }
        return args != null && args.length > position ? args[position] : null;
    }

    private static boolean truthy(Object o) {
        if (o == null || Boolean.FALSE.equals(o)) {
            return false;
        }
        if (o instanceof Number n) {
            return n.doubleValue() != 0;
        }
        if (o instanceof CharSequence s) {
            return !s.isEmpty();
        }
        return !(o instanceof Collection<?> c) || !c.isEmpty();
    }

    /** jinja2's {@code title} filter, which differs from {@code str.title()}: words start after - ( { [ < or space. */
    static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder();
        for (String item : WORD_BEGINNING.split(s)) {
            if (!item.isEmpty()) {
                sb.append(PyStrings.upper(item.substring(0, 1))).append(PyStrings.lower(item.substring(1)));
            }
        }
        return sb.toString();
    }

    private static Filter filter(String name, BiFunction<Object, Object[], Object> body) {
        return filter(name, (v, a, kw) -> body.apply(v, a));
    }

    private interface KwFilter {
        Object apply(Object value, Object[] args, Map<String, Object> kwargs);
    }

    private static Filter filter(String name, KwFilter body) {
        return new Filter() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return body.apply(var, args, Map.of());
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args,
                    Map<String, Object> kwargs) {
                return body.apply(var, args, kwargs);
            }
        };
    }
}
