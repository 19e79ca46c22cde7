package io.specrej.app;

import io.specrej.decoding.BestOfN;
import io.specrej.decoding.SpeculativeRejection;
import io.specrej.engine.BadInputException;
import java.util.Locale;

/** The strategies by the names the command line and the run files use. */
enum StrategyName {
    BON("bon", "Best-of-N", BestOfN.NAME),
    SPECREJ("specrej", "Speculative Rejection", SpeculativeRejection.NAME);

    final String cliName;
    final String title;
    final String libraryName;

    StrategyName(String cliName, String title, String libraryName) {
        this.cliName = cliName;
        this.title = title;
        this.libraryName = libraryName;
    }

    /** Accepts the short name (bon, specrej) or the library's (best-of-n, speculative-rejection). */
    static StrategyName parse(String text, String where) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (StrategyName s : values()) {
            if (t.equals(s.cliName) || t.equals(s.libraryName)) {
                return s;
            }
        }
        throw new BadInputException(where + ": unknown strategy \"" + text + "\" (expected bon or specrej)");
    }
}
