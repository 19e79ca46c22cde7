package io.specrej.engine;

/**
 * A problem with what the user gave us (a file, a parameter, a request), as opposed to a bug in SpecRej.
 *
 * <p>The message is shown to a person as one line, so it must name the file or parameter, what was found and what
 * was expected. The CLI maps this exception to exit code 2 and prints no stack trace unless --verbose.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
