package io.specrej.engine.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

/**
 * jinja2 raises when a template reads an attribute of something undefined ({@code foo.bar} with no {@code foo},
 * {@code message.missing.bar}); Jinjava's expression language returns null for any property of null before a
 * resolver sees it, so such a template rendered empty. This parser's {@code a.b} raises in the two cases where the
 * prefix is certainly undefined (and not None, whose attributes jinja2 reads as undefined without raising): an
 * identifier the context does not hold, and a key its dict does not have.
 */
public final class StrictAttributes extends ExtendedSyntaxBuilder {
    private static final long serialVersionUID = 1L;
    /** The render's variables: Jinjava's context drops those bound to None, which are defined nonetheless. */
    private static final ThreadLocal<Set<String>> VARIABLES = ThreadLocal.withInitial(Set::of);

    /** Called by the expression factory, which instantiates its tree builder by class name. */
    public StrictAttributes(Feature... features) {
        super(features);
    }

    /** Replaces {@code jinjava}'s expression factory with one that builds expressions with this parser. */
    static void install(Jinjava jinjava) {
        Properties properties = new Properties();
        properties.setProperty(TreeBuilder.class.getName(), StrictAttributes.class.getName());
        try {
            var field = Jinjava.class.getDeclaredField("expressionFactory");
            field.setAccessible(true);
            field.set(jinjava, new ExpressionFactoryImpl(properties, new TruthyTypeConverter()));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot install the chat-template expression parser", e);
        }
    }

    /** Declares the variables of the render on this thread ({@link #clearVariables} after it). */
    static void setVariables(Set<String> names) {
        VARIABLES.set(names);
    }

    static void clearVariables() {
        VARIABLES.remove();
    }

    @Override
    protected Parser createParser(String expression) {
        return new ExtendedParser(this, expression) {
            @Override
            protected AstDot createAstDot(AstNode prefix, String property, boolean lvalue) {
                return new StrictDot(prefix, property, lvalue);
            }
        };
    }

    private static final class StrictDot extends AstDot {
        private final AstNode base;

        StrictDot(AstNode prefix, String property, boolean lvalue) {
            super(prefix, property, lvalue);
            this.base = prefix;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            Object value = super.eval(bindings, context);
            // Only a null result can come from an undefined prefix; the check re-reads the prefix on that path only.
            if (value == null && undefined(base, bindings, context)) {
                throw new ELException("'" + base + "' is undefined (jinja2 raises on reading ." + property
                        + " of it)");
            }
            return value;
        }

        private static boolean undefined(AstNode node, Bindings bindings, ELContext context) {
            if (node instanceof AstIdentifier id) {
                JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
                return interpreter != null && !interpreter.getContext().containsKey(id.getName())
                        && !VARIABLES.get().contains(id.getName());
            }
            if (node instanceof StrictDot dot) {
                Object owner = dot.base.eval(bindings, context);
                return owner instanceof Map<?, ?> map && !map.containsKey(dot.property);
            }
            return false;
        }
    }
}
