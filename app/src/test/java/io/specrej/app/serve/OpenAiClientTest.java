package io.specrej.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.app.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} npm client (pinned in app/src/test/openai/package.json, installed by run-tests with
 * {@code npm ci}) drives chat, completions, streaming, the extension fields and error handling against two servers.
 */
class OpenAiClientTest {
    @Test
    void theOfficialClientWorksAgainstTheServer() throws Exception {
        Path dir = TestData.root().resolve("app/src/test/openai");
        assertTrue(Files.isDirectory(dir.resolve("node_modules/openai")),
                "the openai client is not installed: run 'npm ci' in " + dir + " (./run-tests does)");
        try (TestServer open = new TestServer("--memory-budget", "64MiB");
             TestServer keyed = new TestServer("--memory-budget", "16MiB", "--api-key", "k3y")) {
            ProcessBuilder pb = new ProcessBuilder("node", "--test", "--test-reporter=spec", "client.test.mjs")
                    .directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().put("SPECREJ_URL", open.base);
            pb.environment().put("SPECREJ_KEYED_URL", keyed.base);
            pb.environment().put("SPECREJ_KEY", "k3y");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "node did not finish");
            System.out.println(output);
            assertEquals(0, p.exitValue(), output);
            assertTrue(output.contains("pass 8"), output);
        }
    }
}
