// Times Arena.allocate of 1 GiB (zero-filled native memory, every page faulted in), three times: the cost of the
// oneDNN backend's blocked weight copies. Run: java docs/perf/AllocZeroed.java
import java.lang.foreign.*;
public class AllocZeroed { public static void main(String[] a) { for (int i = 0; i < 3; i++) { long t = System.nanoTime(); try (Arena ar = Arena.ofConfined()) { MemorySegment s = ar.allocate(1L << 30, 64); s.set(ValueLayout.JAVA_BYTE, 5, (byte) 1); } System.out.println("1 GiB allocate+zero ms " + (System.nanoTime() - t) / 1e6); } } }
