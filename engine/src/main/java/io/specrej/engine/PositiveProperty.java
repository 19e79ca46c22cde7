package io.specrej.engine;

/** A {@code -Dname=N} system property that must be a positive integer when it is set. */
public final class PositiveProperty {
    private PositiveProperty() {
    }

    /**
     * The value of {@code -Dname}, or null when it is unset or blank.
     *
     * @param what what the number counts, for the message ("threads")
     * @throws BadInputException when it is set to anything but a positive integer of at most {@code max}
     */
    public static Long read(String name, String what, long max) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            long n = Long.parseLong(value.strip());
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadInputException("-D" + name + ": expected a positive integer (" + what + "), got '" + value + "'");
    }
}
