package io.specrej.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the CLI in-process, as a user would from a shell, capturing stdout, stderr and the exit code. */
final class Cli {
    record Result(int code, String out, String err) {
        List<String> outLines() {
            return out.lines().toList();
        }

        List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {
    }

    static Result run(Object... args) {
        String[] strings = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            strings[i] = String.valueOf(args[i]);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(strings, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * A random-weight checkpoint of {@code configJson} in {@code dir/name}, made by {@code specrej random-model} (the
     * config is written beside it as {@code name.json}); fails the calling test if the command does.
     */
    static Path randomModel(Path dir, String name, String configJson, String dtype) throws java.io.IOException {
        Path config = Files.writeString(dir.resolve(name + ".json"), configJson);
        Path model = dir.resolve(name);
        Result r = run("random-model", "--config", config, "--out", model, "--dtype", dtype);
        if (r.code() != 0) {
            throw new AssertionError("random-model failed: " + r);
        }
        return model;
    }

    /**
     * The CLI in a fresh JVM with this test's class path and the launcher's flags plus {@code jvmOptions}: for what a
     * process decides once (whether oneDNN loads, the default matmul backend) and must not leak into other tests.
     */
    static Result runInOwnJvm(List<String> jvmOptions, Object... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:-TieredCompilation"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        for (Object a : args) {
            command.add(String.valueOf(a));
        }
        Path out = Files.createTempFile("specrej-cli", ".out");
        Path err = Files.createTempFile("specrej-cli", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the CLI did not finish in 120 s: " + command);
            }
            // The JVM's own notice about incubator modules is not ours.
            String stderr = Files.readString(err, StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.contains("Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), stderr);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
