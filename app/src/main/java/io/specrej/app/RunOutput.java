package io.specrej.app;

import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * {@code run --out}, held exclusively: an OS lock on the file itself keeps a second writer (another run, or a
 * --resume of this one) out for as long as this process lives, even after kill -9, where two writers used to splice
 * their records into one line. Who holds the lock is written beside it ({@code FILE.lock}, for the message only: the
 * OS lock decides). Each record is encoded completely before one write, so a record is never half-written because
 * its text could not be encoded, and a failed write names the file.
 */
final class RunOutput implements AutoCloseable {
    private final Path file;
    private final Path holderFile;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean created;
    private boolean written;

    private RunOutput(Path file, FileChannel channel, FileLock lock, boolean created) {
        this.file = file;
        this.holderFile = holderFile(file);
        this.channel = channel;
        this.lock = lock;
        this.created = created;
    }

    /**
     * Opens {@code file} for writing without changing it and locks it.
     *
     * @throws BadInputException when another process (or another run in this one) holds it, naming the holder
     */
    static RunOutput lock(Path file) throws IOException {
        boolean created = !Files.exists(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this JVM (tests run commands in-process)
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new BadInputException("--out " + file + ": another specrej run is writing it" + holder(file)
                    + "; wait for it to finish (then --resume), or write to another --out");
        }
        RunOutput out = new RunOutput(file, channel, lock, created);
        try {
            String name = ManagementFactory.getRuntimeMXBean().getName(); // "pid@host"
            Files.writeString(out.holderFile, "pid " + ProcessHandle.current().pid() + " on "
                    + name.substring(name.indexOf('@') + 1) + ", since " + Instant.now() + "\n");
        } catch (IOException e) {
            // only informational; the OS lock is what keeps other writers out
        }
        return out;
    }

    private static Path holderFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".lock");
    }

    private static String holder(Path file) {
        try {
            String text = BoundedFiles.readUtf8(holderFile(file), 4096, "a lock holder note").strip();
            return text.isEmpty() ? "" : " (" + ErrorReporter.printable(text) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Cuts the file to {@code bytes} (0 to start over) and appends from there. */
    void truncate(long bytes) throws IOException {
        channel.truncate(bytes);
        channel.position(bytes);
    }

    long size() throws IOException {
        return channel.size();
    }

    /**
     * Writes {@code line} and a newline with one write call. The text is encoded first, strictly: an unpaired
     * surrogate fails here, before a byte of the record reaches the file.
     */
    void writeLine(String line) throws IOException {
        ByteBuffer bytes;
        try {
            bytes = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(line + "\n"));
        } catch (CharacterCodingException e) {
            throw new BadInputException("--out " + file + ": a record cannot be encoded as UTF-8 (" + e.getMessage()
                    + "); nothing of it was written");
        }
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            // "No space left on device" alone does not say which of the files it was
            throw new FileSystemException(file.toString(), null, "cannot write a record ("
                    + e.getMessage() + "); the records before it are complete, --resume continues after them");
        }
        written = true;
    }

    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(holderFile);
            if (created && !written && channel.size() == 0) {
                Files.deleteIfExists(file); // a run that failed before its first record leaves nothing behind
            }
            lock.release();
        } finally {
            channel.close();
        }
    }
}
