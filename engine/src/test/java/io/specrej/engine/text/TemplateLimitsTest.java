package io.specrej.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 19, item 1 and the minor template items: hostile templates fail with one line instead of taking the machine. */
class TemplateLimitsTest {
    private static final TemplateLimits SMALL = new TemplateLimits(10_000, 50_000);

    private static String render(String template, TemplateLimits limits) {
        return new ChatTemplate(template, Map.of(), Clock.systemUTC(), limits)
                .render(List.of(ChatMessage.user("Hi")), true);
    }

    private static String failure(String template) {
        return assertThrows(BadInputException.class, () -> render(template, SMALL)).getMessage();
    }

    @Test
    void javaMethodsOfStringsAreNotCallable() {
        assertTrue(failure("{{ 'x'.repeat(2000000000) }}").contains("repeat"), failure("{{ 'x'.repeat(3) }}"));
        assertTrue(failure("{{ 'ab'.getBytes() }}").contains("getBytes"));
        assertTrue(failure("{{ 'ab'.replaceAll('a', 'b') }}").contains("replaceAll"));
        // the Python methods transformers' templates use still work
        assertEquals("AB|a-b", render("{{ 'ab'.upper() }}|{{ '-'.join(['a', 'b']) }}", SMALL));
    }

    @Test
    void includesAndImportsAreRefused() {
        assertTrue(failure("{% include 'META-INF/MANIFEST.MF' %}").contains("include"));
        assertTrue(failure("{% import 'x.j2' as y %}").contains("import"));
        assertTrue(failure("{% from 'x.j2' import y %}").contains("from"));
    }

    @Test
    void nestedLoopsStopAtTheStepLimit() {
        String m = failure("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}");
        assertTrue(m.contains("50000 steps") && m.contains("specrej.template.maxSteps"), m);
    }

    @Test
    void doublingAStringStopsAtTheSizeLimit() {
        String m = failure("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
                + "{% endfor %}{{ ns.s|length }}");
        assertTrue(m.contains("builds a text of more than 16777216 characters"), m);
        m = failure("{% set ns = namespace(s='a') %}{% for i in range(20) %}{% set ns.s = ns.s.replace('a', 'aa') %}"
                + "{% endfor %}");
        assertTrue(m.contains("characters, more than the limit of 10000"), m);
    }

    @Test
    void aFilterAskedForAHugeWidthIsRefusedBeforeItAllocates() {
        String m = failure("{{ 'x'|center(2000000000) }}");
        assertTrue(m.contains("2000000000 characters"), m);
    }

    @Test
    void recursiveMacroRaisesAsJinja2Does() {
        String m = failure("{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}");
        assertTrue(m.contains("recursion"), m);
    }

    @Test
    void divisionByZeroRaises() {
        assertTrue(failure("{{ 1/0 }}").contains("division by zero"));
        assertEquals("0.5", render("{{ 1/2 }}", SMALL));
    }

    @Test
    void limitsComeFromSystemPropertiesWithAClearErrorForBadValues() {
        assertEquals(TemplateLimits.DEFAULT_MAX_STEPS, TemplateLimits.fromSystemProperties().maxSteps());
        System.setProperty("specrej.template.maxSteps", "abc");
        try {
            String m = assertThrows(BadInputException.class, TemplateLimits::fromSystemProperties).getMessage();
            assertTrue(m.contains("specrej.template.maxSteps") && m.contains("abc"), m);
        } finally {
            System.clearProperty("specrej.template.maxSteps");
        }
    }

    @Test
    void readingAnAttributeOfSomethingUndefinedRaisesAsJinja2Does() {
        assertTrue(failure("{{ foo.bar }}").contains("'foo' is undefined"), failure("{{ foo.bar }}"));
        assertTrue(failure("{{ messages[0].foo.bar }}").contains("is undefined"));
        // what jinja2 renders empty stays empty: an undefined name, a missing key, an attribute of None
        assertEquals("||", render("{{ foo }}|{{ messages[0].foo }}|{{ tools.bar }}", SMALL));
        assertEquals("no", render("{% if messages[0].tool_calls is defined %}yes{% else %}no{% endif %}", SMALL));
    }
}
