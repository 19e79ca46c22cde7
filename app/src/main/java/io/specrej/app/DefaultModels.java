package io.specrej.app;

import io.specrej.engine.BadInputException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The small generator / reward-model pair shipped in the repository ({@code <repo>/models/mini-alpaca-gen} and
 * {@code mini-alpaca-rm}), used when a command is given no model. The repository is found by walking up from the
 * app's own jar or classes directory (app/target/..., wherever the launcher is called from), then from the current
 * directory.
 */
public final class DefaultModels {
    static final String GENERATOR = "mini-alpaca-gen";
    static final String REWARD_MODEL = "mini-alpaca-rm";

    private DefaultModels() {
    }

    public static Path generator() {
        return find(GENERATOR, "--model");
    }

    public static Path rewardModel() {
        return find(REWARD_MODEL, "--reward-model");
    }

    private static Path find(String name, String option) {
        Set<Path> starts = new LinkedHashSet<>();
        Path code = codeLocation();
        if (code != null) {
            starts.add(code);
        }
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts) {
            for (Path p = start; p != null; p = p.getParent()) {
                Path candidate = p.resolve("models").resolve(name);
                if (Files.isRegularFile(candidate.resolve("config.json"))) {
                    return candidate;
                }
            }
        }
        throw new BadInputException("no " + option + " given, and the embedded model models/" + name
                + " was not found above " + String.join(" or ", starts.stream().map(Path::toString).toList())
                + "; pass " + option + " DIR");
    }

    /** Where this class was loaded from (a jar or a classes directory), or null when the JVM does not say. */
    private static Path codeLocation() {
        try {
            CodeSource source = DefaultModels.class.getProtectionDomain().getCodeSource();
            return source == null ? null : Path.of(source.getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
