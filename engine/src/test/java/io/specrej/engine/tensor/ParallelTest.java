package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    private static void assertEachOnce(int count) {
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(count, 1));
        AtomicInteger calls = new AtomicInteger();
        Parallel.forRange(count, (start, end) -> {
            assertTrue(0 <= start && start < end && end <= count, "[" + start + ", " + end + ")");
            calls.incrementAndGet();
            for (int i = start; i < end; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < count; i++) {
            assertEquals(1, hits.get(i), "index " + i + " of " + count + " with " + Parallel.threads() + " threads");
        }
        assertTrue(calls.get() <= Math.max(1, Parallel.threads()));
    }

    @Test
    void coversEveryIndexExactlyOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int threads : new int[] {1, 2, 3, 4, 7}) {
                Parallel.setThreads(threads);
                for (int count : new int[] {0, 1, 2, threads - 1, threads, threads + 1, 2 * threads + 1, 1000,
                        100_003}) {
                    assertEachOnce(count);
                }
            }
        });
    }

    @Test
    void usesSeveralThreadsAndCallerRunsChunkZero() {
        Parallel.setThreads(3);
        ConcurrentHashMap<Integer, Thread> byStart = new ConcurrentHashMap<>();
        Parallel.forRange(9, (start, end) -> byStart.put(start, Thread.currentThread()));
        assertEquals(3, byStart.size());
        assertSame(Thread.currentThread(), byStart.get(0));
        assertEquals(3, byStart.values().stream().distinct().count());
    }

    @Test
    void manyQuickCallsDoNotLoseWakeups() {
        Parallel.setThreads(2);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            AtomicInteger sum = new AtomicInteger();
            for (int i = 0; i < 20_000; i++) {
                Parallel.forRange(4, (s, e) -> sum.addAndGet(e - s));
                if (i % 5000 == 0) {
                    Thread.sleep(2); // let the workers park, then wake them again
                }
            }
            assertEquals(80_000, sum.get());
        });
    }

    @Test
    void nestedCallsRunInline() {
        Parallel.setThreads(2);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            AtomicIntegerArray hits = new AtomicIntegerArray(8 * 50);
            Parallel.forRange(8, (s, e) -> {
                for (int i = s; i < e; i++) {
                    int outer = i;
                    Thread self = Thread.currentThread();
                    Parallel.forRange(50, (s2, e2) -> {
                        assertSame(self, Thread.currentThread(), "nested body runs on the issuing thread");
                        for (int j = s2; j < e2; j++) {
                            hits.incrementAndGet(outer * 50 + j);
                        }
                    });
                }
            });
            for (int i = 0; i < hits.length(); i++) {
                assertEquals(1, hits.get(i));
            }
        });
    }

    @Test
    void concurrentCallersAreSafe() throws Exception {
        Parallel.setThreads(2);
        AtomicInteger total = new AtomicInteger();
        Runnable task = () -> {
            for (int i = 0; i < 2000; i++) {
                Parallel.forRange(10, (s, e) -> total.addAndGet(e - s));
            }
        };
        Thread a = new Thread(task);
        Thread b = new Thread(task);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            a.start();
            b.start();
            a.join();
            b.join();
        });
        assertEquals(2 * 2000 * 10, total.get());
    }

    @Test
    void exceptionsPropagateAndPoolSurvives() {
        Parallel.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(10, (s, end) -> {
            if (s > 0) {
                throw new IllegalStateException("worker chunk");
            }
        }));
        assertEquals("worker chunk", e.getMessage());
        assertThrows(ArithmeticException.class, () -> Parallel.forRange(10, (s, end) -> {
            if (s == 0) {
                throw new ArithmeticException("caller chunk");
            }
        }));
        assertEachOnce(1000);
    }

    @Test
    void rejectsBadThreadCounts() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        assertTrue(Parallel.threads() >= 1);
    }
}
