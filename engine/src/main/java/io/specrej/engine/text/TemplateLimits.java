package io.specrej.engine.text;

import io.specrej.engine.PositiveProperty;

/**
 * Caps on one chat-template render, so that a hostile or broken template (tokenizer_config.json is downloaded from
 * anywhere) cannot take the machine: the rendered text and every string built on the way are at most
 * {@code maxChars} characters, and the render takes at most {@code maxSteps} steps (an expression evaluated, a loop
 * iteration, a method call). Steps rather than seconds, so that a render fails or succeeds the same way on every
 * machine. The defaults are far above any real template: Llama 3.1's tool template renders a 100-turn conversation
 * in about 20 000 steps and a few tens of kilobytes.
 *
 * <p>Override with {@code -Dspecrej.template.maxChars=N} and {@code -Dspecrej.template.maxSteps=N}.
 */
public record TemplateLimits(long maxChars, long maxSteps) {
    public static final long DEFAULT_MAX_CHARS = 16L << 20;
    public static final long DEFAULT_MAX_STEPS = 5_000_000;

    public TemplateLimits {
        if (maxChars < 1 || maxSteps < 1) {
            throw new IllegalArgumentException("template limits must be positive: " + maxChars + ", " + maxSteps);
        }
    }

    /** The defaults, or the values of the system properties. */
    public static TemplateLimits fromSystemProperties() {
        return new TemplateLimits(property("specrej.template.maxChars", DEFAULT_MAX_CHARS),
                property("specrej.template.maxSteps", DEFAULT_MAX_STEPS));
    }

    private static long property(String name, long fallback) {
        Long value = PositiveProperty.read(name, "a template limit", Long.MAX_VALUE);
        return value != null ? value : fallback;
    }
}
