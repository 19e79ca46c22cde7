package io.specrej.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The commit checked out where this build lives, read from the nearest {@code .git} above the app's classes. The
 * launcher rebuilds whenever a source is newer than the build, so this is the commit the build came from; read at
 * run time because the offline build has no plugin that could ask git. A linked worktree ({@code .git} is a
 * "gitdir:" file) and packed refs are followed; anything else (a copied jar, a source tarball) is "unknown".
 */
final class GitCommit {
    static final String UNKNOWN = "unknown";
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");

    private GitCommit() {
    }

    static String ofThisBuild() {
        try {
            Path code = Path.of(GitCommit.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return of(code.toAbsolutePath());
        } catch (Exception e) { // no code source or not a file: no way to find the checkout
            return UNKNOWN;
        }
    }

    /** The commit of the checkout holding {@code start}, or "unknown". */
    static String of(Path start) {
        try {
            for (Path d = start; d != null; d = d.getParent()) {
                Path git = d.resolve(".git");
                if (Files.isDirectory(git)) {
                    return head(git, git);
                }
                if (Files.isRegularFile(git)) {
                    String line = read(git);
                    if (!line.startsWith("gitdir:")) {
                        return UNKNOWN;
                    }
                    Path gitDir = d.resolve(line.substring("gitdir:".length()).strip()).normalize();
                    Path commonFile = gitDir.resolve("commondir");
                    Path common = Files.isRegularFile(commonFile)
                            ? gitDir.resolve(read(commonFile)).normalize() : gitDir;
                    return head(gitDir, common);
                }
            }
        } catch (IOException e) {
            return UNKNOWN;
        }
        return UNKNOWN;
    }

    private static String head(Path gitDir, Path common) throws IOException {
        String head = read(gitDir.resolve("HEAD"));
        if (!head.startsWith("ref:")) {
            return SHA.matcher(head).matches() ? head : UNKNOWN; // a detached HEAD holds the commit itself
        }
        String ref = head.substring("ref:".length()).strip();
        for (Path loose : new Path[] {gitDir.resolve(ref), common.resolve(ref)}) {
            if (Files.isRegularFile(loose)) {
                String sha = read(loose);
                return SHA.matcher(sha).matches() ? sha : UNKNOWN;
            }
        }
        Path packed = common.resolve("packed-refs");
        if (Files.isRegularFile(packed)) {
            for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
                String[] parts = line.strip().split(" ");
                if (parts.length == 2 && parts[1].equals(ref) && SHA.matcher(parts[0]).matches()) {
                    return parts[0];
                }
            }
        }
        return UNKNOWN;
    }

    private static String read(Path file) throws IOException {
        if (Files.size(file) > 4096) { // HEAD, a ref or a gitdir line: anything bigger is not one
            throw new IOException(file + " is too large");
        }
        return Files.readString(file, StandardCharsets.UTF_8).strip();
    }
}
