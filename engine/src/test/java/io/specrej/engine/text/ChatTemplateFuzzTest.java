package io.specrej.engine.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzing chat templates under the limits (issue 19, scope 2 and 5): a template assembled from jinja2 and Python
 * fragments, hostile ones included (loops, doubling, Java method names, includes), renders to at most the size limit
 * or fails with a {@link BadInputException}; never another exception, never past the step limit.
 */
class ChatTemplateFuzzTest {
    private static final TemplateLimits LIMITS = new TemplateLimits(20_000, 20_000);
    private static final List<ChatMessage> MESSAGES = List.of(ChatMessage.system("Be brief."),
            ChatMessage.user("Hi {{ there }} \ud83d\ude00"), ChatMessage.assistant("Hello."), ChatMessage.user("Bye"));

    @Provide
    Arbitrary<String> templates() {
        Arbitrary<String> expression = Arbitraries.of("message['content']", "message.content", "messages|length",
                "'x' ~ 'y'", "ns.s ~ ns.s", "loop.index0", "1/0", "10 // 3", "'ab'.upper()", "'ab'.repeat(9)",
                "'a'.getBytes()", "'a b'.split()", "messages[::-1]", "foo.bar", "message.missing.x", "tools.x",
                "bos_token", "range(100000)|length", "'x'|center(99999999)", "'%s'|format(1)", "{'a': 1}.items()",
                "[1, 2] + [3]", "message['role'] == 'user'", "raise_exception('no')", "none", "'abc'[-1]",
                "'abc'[1:]", "messages[0]['content'].strip()", "'x' * 3", "(1, 2)", "add_generation_prompt",
                "messages[99]", "'a'.replace('a', 'aaaaaaaaaaaaaaaaaaaaaaaa')", "strftime_now('%Y')");
        Arbitrary<String> piece = Arbitraries.oneOf(
                expression.map(e -> "{{ " + e + " }}"),
                expression.map(e -> "{% if " + e + " %}"),
                Arbitraries.of("{% for message in messages %}", "{% for i in range(1000) %}", "{% endfor %}",
                        "{% endif %}", "{% else %}", "{% set ns = namespace(s='ab') %}", "{% set ns.s = ns.s ~ ns.s %}",
                        "{% macro m(x) %}{{ m(x) }}{% endmacro %}", "{{ m(1) }}", "{% include 'x' %}",
                        "{% import 'x' as y %}", "{% raw %}", "{% endraw %}", "{#", "#}", "{{", "}}", "{%", "%}",
                        "\n", "text ", "{%- if true -%}", "{{- '-' -}}", "{% break %}", "{% continue %}"),
                Arbitraries.strings().ofMaxLength(6));
        return piece.list().ofMaxSize(12).map(l -> String.join("", l));
    }

    @Property
    void anyTemplateRendersWithinTheLimitsOrFailsWithAMessage(@ForAll("templates") String template) {
        render(template);
    }

    /** Cases kept as regressions: each took the whole machine, or rendered empty where jinja2 raises. */
    @Example
    void regressions() {
        for (String t : List.of("{{ 'x'.repeat(2000000000) }}", "{% include 'META-INF/MANIFEST.MF' %}",
                "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}"
                        + "{% endfor %}{% endfor %}",
                "{% macro m(x) %}{{ m(x) }}{% endmacro %}{{ m(1) }}", "{{ 1/0 }}", "{{ foo.bar }}")) {
            assertTrue(render(t) == null, t);
        }
    }

    /** The rendered text, or null when rendering failed as it should (a BadInputException with a message). */
    private static String render(String template) {
        try {
            String out = new ChatTemplate(template, Map.of("bos_token", "<s>"), Clock.systemUTC(), LIMITS)
                    .render(MESSAGES, true);
            assertTrue(out.length() <= LIMITS.maxChars(), "rendered " + out.length() + " characters");
            return out;
        } catch (BadInputException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith("chat template"), e.getMessage());
            return null;
        }
    }
}
