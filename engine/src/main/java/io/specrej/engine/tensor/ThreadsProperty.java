package io.specrej.engine.tensor;

import io.specrej.engine.BadInputException;
import io.specrej.engine.PositiveProperty;

/**
 * {@code -Dspecrej.threads=N}, read apart from {@link Parallel} so that the CLI can check it before anything starts:
 * a bad value thrown from Parallel's class initializer would surface as an ExceptionInInitializerError (a stack trace
 * and exit 1) instead of one line.
 */
public final class ThreadsProperty {
    public static final String NAME = "specrej.threads";

    private ThreadsProperty() {
    }

    /**
     * The thread count the property asks for, or null when it is not set.
     *
     * @throws BadInputException when it is not a positive integer
     */
    public static Integer parse() {
        Long n = PositiveProperty.read(NAME, "threads", Integer.MAX_VALUE);
        return n == null ? null : n.intValue();
    }
}
