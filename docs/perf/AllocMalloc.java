// Session 7: is the blocked weight copies' allocation cost the zeroing? Times 1 GiB three ways, three rounds: Arena.allocate
// (zeroed) then one write per 4 KiB page, malloc (not zeroed) then the same writes, posix_memalign at 2 MiB with
// madvise(MADV_HUGEPAGE) then the same writes. Run: java --enable-native-access=ALL-UNNAMED docs/perf/AllocMalloc.java
import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
public class AllocMalloc {
    public static void main(String[] a) throws Throwable {
        Linker l = Linker.nativeLinker();
        MethodHandle malloc = l.downcallHandle(l.defaultLookup().find("malloc").get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle memalign = l.downcallHandle(l.defaultLookup().find("posix_memalign").get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        MethodHandle madvise = l.downcallHandle(l.defaultLookup().find("madvise").get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        MethodHandle free = l.downcallHandle(l.defaultLookup().find("free").get(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        long n = 1L << 30;
        for (int i = 0; i < 3; i++) {
            long t = System.nanoTime();
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment s = ar.allocate(n, 64);
                for (long p = 0; p < n; p += 4096) s.set(ValueLayout.JAVA_BYTE, p, (byte) 1);
            }
            long t1 = System.nanoTime();
            MemorySegment m = ((MemorySegment) malloc.invokeExact(n)).reinterpret(n);
            for (long p = 0; p < n; p += 4096) m.set(ValueLayout.JAVA_BYTE, p, (byte) 1);
            free.invokeExact(m);
            long t2 = System.nanoTime();
            MemorySegment out = Arena.global().allocate(ValueLayout.ADDRESS);
            int rc = (int) memalign.invokeExact(out, 2L << 20, n);
            MemorySegment h = out.get(ValueLayout.ADDRESS, 0).reinterpret(n);
            int rc2 = (int) madvise.invokeExact(h, n, 14);
            for (long p = 0; p < n; p += 4096) h.set(ValueLayout.JAVA_BYTE, p, (byte) 1);
            free.invokeExact(h);
            long t3 = System.nanoTime();
            System.out.printf("Arena.allocate+touch %.0f ms, malloc+touch %.0f ms, memalign+MADV_HUGEPAGE+touch %.0f ms (rc %d %d)%n", (t1 - t) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, rc, rc2);
        }
    }
}
