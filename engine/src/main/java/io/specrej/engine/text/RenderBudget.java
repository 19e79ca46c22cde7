package io.specrej.engine.text;

/**
 * The steps and characters one render may still spend ({@link TemplateLimits}). Jinjava gives no hook around its
 * evaluation loop, so the interpreter, the method resolver and the filters charge this budget at the points every
 * template passes through, and the render is aborted with {@link Exceeded} once it runs out.
 */
final class RenderBudget {
    private static final ThreadLocal<RenderBudget> CURRENT = new ThreadLocal<>();

    private final TemplateLimits limits;
    private long steps;
    /** The first limit exceeded: Jinjava turns some exceptions into ignored errors, so render checks this too. */
    private String exceeded;

    private RenderBudget(TemplateLimits limits) {
        this.limits = limits;
    }

    /** Thrown when a render exceeds a limit; not a template error, so Jinjava must not swallow it. */
    static final class Exceeded extends RuntimeException {
        Exceeded(String message) {
            super(message, null, false, false);
        }
    }

    static void begin(TemplateLimits limits) {
        CURRENT.set(new RenderBudget(limits));
    }

    static void end() {
        CURRENT.remove();
    }

    /** One step of the current render (nothing outside a render). */
    static void step() {
        RenderBudget b = CURRENT.get();
        if (b != null && ++b.steps > b.limits.maxSteps()) {
            throw b.exceed("the template took more than " + b.limits.maxSteps() + " steps (a loop or recursion "
                    + "that does not end?); -Dspecrej.template.maxSteps raises the limit");
        }
    }

    /** Fails when a string the template builds or prints would exceed the size limit. */
    static void checkLength(long chars) {
        RenderBudget b = CURRENT.get();
        long max = b != null ? b.limits.maxChars() : TemplateLimits.DEFAULT_MAX_CHARS;
        if (chars > max) {
            throw b == null ? new Exceeded(tooLong(chars, max)) : b.exceed(tooLong(chars, max));
        }
    }

    private static String tooLong(long chars, long max) {
        return "the template builds a text of " + chars + " characters, more than the limit of " + max
                + "; -Dspecrej.template.maxChars raises the limit";
    }

    private Exceeded exceed(String message) {
        if (exceeded == null) {
            exceeded = message;
        }
        return new Exceeded(exceeded);
    }

    /** Ends the current render with {@code message} (for failures Jinjava itself only records as warnings). */
    static void fail(String message) {
        RenderBudget b = CURRENT.get();
        if (b != null) {
            throw b.exceed(message);
        }
    }

    /** The message of the limit the current render exceeded, or null. */
    static String exceeded() {
        RenderBudget b = CURRENT.get();
        return b == null ? null : b.exceeded;
    }

    /** The size limit of the current render (a number argument above it can only build something too large). */
    static long maxChars() {
        RenderBudget b = CURRENT.get();
        return b != null ? b.limits.maxChars() : TemplateLimits.DEFAULT_MAX_CHARS;
    }
}
