package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What run records say about where they came from: model file hashes and the build's commit. */
class ProvenanceTest {
    private static final String SHA_A = "0123456789abcdef0123456789abcdef01234567";
    private static final String SHA_B = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path temp;

    @Test
    void modelHashesCoverConfigTokenizerAndTheSafetensorsHeaderOnly() throws Exception {
        Path model = TestData.copyFixture("llama", temp);
        JsonNode before = Provenance.model(model);
        assertEquals(sha256(Files.readAllBytes(model.resolve("config.json"))), before.get("config_sha256").asText());
        assertEquals(sha256(Files.readAllBytes(model.resolve("tokenizer.json"))),
                before.get("tokenizer_sha256").asText());
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        long headerLength = java.nio.ByteBuffer.wrap(weights, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(sha256(java.util.Arrays.copyOf(weights, (int) (8 + headerLength))),
                before.get("weights_header_sha256").asText());

        weights[weights.length - 1] ^= 1; // a changed weight value, same header: the header hash stays
        Files.write(model.resolve("model.safetensors"), weights);
        assertEquals(before.get("weights_header_sha256"), Provenance.model(model).get("weights_header_sha256"));
        Files.writeString(model.resolve("config.json"), Files.readString(model.resolve("config.json")) + " ");
        assertNotEquals(before.get("config_sha256"), Provenance.model(model).get("config_sha256"));
        Files.delete(model.resolve("tokenizer.json"));
        assertNull(Provenance.model(model).get("tokenizer_sha256").textValue());
    }

    @Test
    void commitIsReadFromAPlainCheckoutALinkedWorktreeAndPackedRefs() throws Exception {
        Path repo = temp.resolve("repo");
        Files.createDirectories(repo.resolve(".git/refs/heads"));
        Files.writeString(repo.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.writeString(repo.resolve(".git/refs/heads/main"), SHA_A + "\n");
        Path classes = Files.createDirectories(repo.resolve("app/target/classes"));
        assertEquals(SHA_A, GitCommit.of(classes));

        // a linked worktree: .git is a file naming its git dir, whose commondir holds the shared refs
        Path worktreeGit = Files.createDirectories(repo.resolve(".git/worktrees/wt"));
        Files.writeString(worktreeGit.resolve("HEAD"), "ref: refs/heads/feature\n");
        Files.writeString(worktreeGit.resolve("commondir"), "../..\n");
        Files.writeString(repo.resolve(".git/packed-refs"), "# pack-refs with: peeled\n" + SHA_B
                + " refs/heads/feature\n");
        Path wt = Files.createDirectories(temp.resolve("wt/app"));
        Files.writeString(temp.resolve("wt/.git"), "gitdir: " + worktreeGit + "\n");
        assertEquals(SHA_B, GitCommit.of(wt));

        Files.writeString(worktreeGit.resolve("HEAD"), SHA_A + "\n"); // detached
        assertEquals(SHA_A, GitCommit.of(wt));
        assertEquals("unknown", GitCommit.of(Files.createDirectories(temp.resolve("plain/dir"))));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
