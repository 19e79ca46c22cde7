package io.specrej.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads small files whole, never more than a cap: a config.json that is a symlink to /dev/zero, or a 50 GB file put
 * where a config belongs, must fail at once with one line instead of filling the heap.
 */
public final class BoundedFiles {
    /** config.json, generation_config.json, tokenizer_config.json, the shard index: kilobytes in real checkpoints. */
    public static final long CONFIG_BYTES = 64L << 20;
    /** tokenizer.json: a few MiB to tens of MiB (Llama 3's is 9 MiB, Qwen2's 7 MiB). */
    public static final long TOKENIZER_BYTES = 1L << 30;
    /** Prompt and run files, which a Java array must hold. */
    public static final long DATA_BYTES = 1L << 30;

    private BoundedFiles() {
    }

    /**
     * The bytes of {@code file}, which must be a regular file (following symlinks) of at most {@code maxBytes}.
     *
     * @param what what the file should be, for the error message ("a JSON config file")
     * @throws BadInputException naming the file when it is not a regular file or is larger than the cap
     * @throws IOException for other I/O failures, such as {@link java.nio.file.NoSuchFileException}
     */
    public static byte[] readBytes(Path file, long maxBytes, String what) throws IOException {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new BadInputException(file + ": is not a regular file" + (Files.isDirectory(file)
                    ? " but a directory" : " (a device or pipe?)") + ", expected " + what);
        }
        try (InputStream in = Files.newInputStream(file)) {
            // Read one byte more than allowed: a size from the file system can lie (procfs, a file still growing).
            byte[] bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > maxBytes) {
                throw new BadInputException(file + ": larger than " + maxBytes + " bytes, expected " + what
                        + "; is it the right file?");
            }
            return bytes;
        }
    }

    /** {@link #readBytes} decoded as UTF-8; a malformed byte is an error naming the file and the byte offset. */
    public static String readUtf8(Path file, long maxBytes, String what) throws IOException {
        return decodeUtf8(file, readBytes(file, maxBytes, what), what);
    }

    /** Strict UTF-8: jq, Python and transformers refuse malformed bytes too, rather than read U+FFFD. */
    public static String decodeUtf8(Path file, byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file + ": not valid UTF-8 (" + e.getMessage() + "), expected " + what);
        }
    }
}
