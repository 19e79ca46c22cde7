package io.specrej.engine.tensor.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds oneDNN's native libraries, extracts them once to a cache folder and loads them.
 *
 * <p>The libraries come from Maven Central inside {@code org.bytedeco:dnnl:...:linux-x86_64} (libdnnl and the GNU
 * OpenMP runtime it was built with) and {@code org.bytedeco:opencl:...:linux-x86_64} (the OpenCL loader libdnnl links
 * against, for its GPU engine, which we never create). We use only the jars' files, not JavaCPP: the calls go through
 * the FFM API like the rest of the engine. libdnnl's RUNPATH is {@code $ORIGIN}, so extracting all three into one
 * folder is enough for the dynamic linker to find its dependencies.
 *
 * <p>Cache folder: {@code -Dspecrej.native.dir}, else {@code $XDG_CACHE_HOME/specrej/native/VERSION}, else
 * {@code ~/.cache/specrej/native/VERSION}, else the temp folder. Files are written to a temporary name and moved into
 * place atomically, so two processes extracting at once cannot see a half-written library.
 */
final class OneDnnNatives {
    /** The presets version on Maven Central: oneDNN 3.6.1 packaged by JavaCPP 1.5.11. */
    static final String VERSION = "3.6.1-1.5.11";

    private static final String[][] LIBRARIES = {
            // {resource in the natives jar, file name}; loading order = dependency order.
            {"org/bytedeco/dnnl/linux-x86_64/libgomp.so.1", "libgomp.so.1"},
            {"org/bytedeco/opencl/linux-x86_64/libOpenCL.so.1", "libOpenCL.so.1"},
            {"org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3", "libdnnl.so.3"},
    };

    /** Why oneDNN cannot be used here; the message is shown to users as is. */
    static final class UnavailableException extends Exception {
        UnavailableException(String message) {
            super(message);
        }

        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The loaded libraries' symbols. */
    record Loaded(SymbolLookup dnnl, SymbolLookup openMp, Path folder) {
    }

    private OneDnnNatives() {
    }

    static Loaded load() throws UnavailableException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new UnavailableException("the packaged oneDNN libraries are for linux-x86_64, this is " + os + "-"
                    + arch);
        }
        ClassLoader loader = OneDnnNatives.class.getClassLoader();
        if (loader.getResource(LIBRARIES[2][0]) == null) {
            throw new UnavailableException("org.bytedeco:dnnl:" + VERSION + ":linux-x86_64 is not on the class path");
        }
        Path folder = extract(loader);
        keepOpenMpThreadsQuiet();
        Arena forever = Arena.global();
        try {
            SymbolLookup openMp = SymbolLookup.libraryLookup(folder.resolve(LIBRARIES[0][1]), forever);
            SymbolLookup.libraryLookup(folder.resolve(LIBRARIES[1][1]), forever);
            SymbolLookup dnnl = SymbolLookup.libraryLookup(folder.resolve(LIBRARIES[2][1]), forever);
            return new Loaded(dnnl, openMp, folder);
        } catch (IllegalArgumentException | IllegalCallerException e) {
            throw new UnavailableException("loading oneDNN from " + folder + " failed: " + e.getMessage(), e);
        }
    }

    private static Path extract(ClassLoader loader) throws UnavailableException {
        IOException last = null;
        for (Path folder : candidateFolders()) {
            try {
                Files.createDirectories(folder);
                Path marker = folder.resolve(".complete");
                if (Files.exists(marker)) {
                    return folder;
                }
                for (String[] lib : LIBRARIES) {
                    copyResource(loader, lib[0], folder.resolve(lib[1]));
                }
                Files.writeString(marker, VERSION + "\n");
                return folder;
            } catch (IOException e) {
                last = e;
            }
        }
        throw new UnavailableException("cannot extract the oneDNN libraries (" + last + "); set -Dspecrej.native.dir "
                + "to a writable folder", last);
    }

    private static void copyResource(ClassLoader loader, String resource, Path target) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " missing from the natives jar");
            }
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static Path[] candidateFolders() {
        String configured = System.getProperty("specrej.native.dir");
        if (configured != null && !configured.isBlank()) {
            return new Path[] {Path.of(configured)};
        }
        String sub = "specrej/native/dnnl-" + VERSION;
        String xdg = System.getenv("XDG_CACHE_HOME");
        String home = System.getProperty("user.home", "");
        String user = System.getProperty("user.name", "user");
        return new Path[] {
                xdg != null && !xdg.isBlank() ? Path.of(xdg, sub) : Path.of(home, ".cache", sub),
                Path.of(System.getProperty("java.io.tmpdir"), "specrej-" + user, "native", "dnnl-" + VERSION),
        };
    }

    /**
     * OpenMP worker threads spin after each parallel region (GNU OpenMP: 300,000 iterations by default) waiting for
     * the next one. Between two matrix multiplies the engine runs attention and norms on its own threads, and on a
     * machine with few cores spinning OpenMP workers would take their cores. A short spin keeps back-to-back
     * multiplies cheap and yields the cores soon after. Must run before libgomp is loaded, which reads the
     * environment once; a value the user exported wins.
     */
    private static void keepOpenMpThreadsQuiet() throws UnavailableException {
        if (System.getenv("GOMP_SPINCOUNT") != null || System.getenv("OMP_WAIT_POLICY") != null) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        MemorySegment setenv = linker.defaultLookup().find("setenv")
                .orElseThrow(() -> new UnavailableException("libc has no setenv"));
        MethodHandle call = linker.downcallHandle(setenv, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) call.invokeExact(arena.allocateFrom("GOMP_SPINCOUNT"),
                    arena.allocateFrom(System.getProperty("specrej.gomp.spincount", "2000")), 0);
        } catch (Throwable t) {
            throw new UnavailableException("setting GOMP_SPINCOUNT failed: " + t, t);
        }
    }
}
