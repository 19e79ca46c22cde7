package io.specrej.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KvCacheTest {
    private static final int P = KvCache.PAGE_TOKENS;

    private static void append(KvCache cache, int id, int tokens, float marker) {
        int start = cache.length(id);
        cache.reserve(id, tokens);
        for (int pos = start; pos < start + tokens; pos++) {
            cache.page(id, pos)[cache.valueOffset(0, pos % P)] = marker + pos;
        }
        cache.commit(id, tokens);
    }

    private static float keyAt(KvCache cache, int id, int pos) {
        return cache.page(id, pos)[cache.valueOffset(0, pos % P)];
    }

    @Test
    void bytesPerTokenFollowsTheFormula() {
        KvCache cache = new KvCache(24, 128);
        assertEquals(2L * 24 * 128 * 4, cache.bytesPerToken());
        assertEquals(P * cache.bytesPerToken(), cache.pageBytes());
    }

    @Test
    void forkSharesPagesUntilAWriteCopiesThePartlyFilledOne() {
        KvCache cache = new KvCache(2, 8);
        int prompt = cache.newSequence();
        append(cache, prompt, P + 5, 1000); // two pages, the second partly filled
        assertEquals(2 * cache.pageBytes(), cache.bytesInUse());
        int[] forks = cache.fork(prompt, 3);
        assertEquals(2 * cache.pageBytes(), cache.bytesInUse(), "forks share the prompt's pages");
        assertSame(cache.page(prompt, 0), cache.page(forks[0], 0));

        // Four holders of a shared partial page all appending: three copy, the last writes in place.
        int[] all = {prompt, forks[0], forks[1], forks[2]};
        long predicted = cache.bytesToAppendOne(all, 4);
        assertEquals(3 * cache.pageBytes(), predicted);
        long before = cache.bytesInUse();
        for (int i = 0; i < 4; i++) {
            append(cache, all[i], 1, 10_000 * (i + 1));
        }
        assertEquals(before + predicted, cache.bytesInUse());
        assertSame(cache.page(prompt, 0), cache.page(forks[2], 0), "full pages stay shared");
        assertNotSame(cache.page(forks[0], P), cache.page(forks[1], P));
        for (int i = 0; i < 4; i++) {
            assertEquals(1000 + P + 4, keyAt(cache, all[i], P + 4), "shared prefix survives the copy");
            assertEquals(10_000 * (i + 1) + P + 5, keyAt(cache, all[i], P + 5), "own token is private");
        }
    }

    @Test
    void aBf16CacheHalvesTheBytesAndCopiesItsBitsOnWrite() {
        KvCache cache = new KvCache(24, 128, KvPrecision.BF16);
        assertEquals(2L * 24 * 128 * 2, cache.bytesPerToken());
        assertEquals(P * cache.bytesPerToken(), cache.pageBytes());

        KvCache small = new KvCache(2, 8, KvPrecision.BF16);
        int prompt = small.newSequence();
        small.reserve(prompt, 3);
        short[] page = small.bf16Page(prompt, 0);
        page[small.valueOffset(1, 2)] = (short) 0x3F80; // 1.0
        small.commit(prompt, 3);
        int fork = small.fork(prompt, 1)[0];
        assertSame(page, small.bf16Page(fork, 0));
        small.reserve(fork, 1);
        short[] copy = small.bf16Page(fork, 0);
        assertNotSame(page, copy, "the write copies the shared partly filled page");
        assertEquals((short) 0x3F80, copy[small.valueOffset(1, 2)], "with its contents");
        copy[small.valueOffset(1, 3)] = (short) 0x4000;
        assertEquals(0, page[small.valueOffset(1, 3)], "the original is untouched");
        assertSame(copy, small.bf16Pages(fork, null)[0]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> small.page(fork, 0));
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
    }

    @Test
    void unshareCopiesEverySharedPageAndLeavesTheOthersSharing() {
        KvCache cache = new KvCache(2, 8);
        int prompt = cache.newSequence();
        append(cache, prompt, 2 * P + 3, 500); // three pages
        int[] forks = cache.fork(prompt, 2);
        long before = cache.bytesInUse();
        cache.unshare(forks[0]);
        assertEquals(before + 3 * cache.pageBytes(), cache.bytesInUse());
        for (int pos = 0; pos < 2 * P + 3; pos += P / 2) {
            assertNotSame(cache.page(prompt, pos), cache.page(forks[0], pos));
            assertEquals(keyAt(cache, prompt, pos), keyAt(cache, forks[0], pos), "copied contents");
            assertSame(cache.page(prompt, pos), cache.page(forks[1], pos), "the other fork still shares");
        }
        cache.remove(prompt);
        cache.unshare(forks[1]); // the last holder keeps the pages: nothing to copy
        assertEquals(2 * 3 * cache.pageBytes(), cache.bytesInUse());
    }

    @Test
    void removeFreesPagesAtOnceAndOnlyTheLastReferenceFreesASharedPage() {
        KvCache cache = new KvCache(1, 4);
        int a = cache.newSequence();
        append(cache, a, 2 * P, 0);
        int b = cache.fork(a, 1)[0];
        append(cache, b, 3, 0);
        assertEquals(3 * cache.pageBytes(), cache.bytesInUse());
        cache.remove(a);
        assertEquals(3 * cache.pageBytes(), cache.bytesInUse(), "b still references a's pages");
        cache.remove(b);
        assertEquals(0, cache.bytesInUse());
        assertEquals(3 * cache.pageBytes(), cache.peakBytesInUse());
        assertFalse(cache.contains(a));
        assertThrows(IllegalArgumentException.class, () -> cache.length(a));
    }

    @Test
    void truncateReleasesWholePagesAndLaterAppendsOverwrite() {
        KvCache cache = new KvCache(1, 4);
        int a = cache.newSequence();
        append(cache, a, 3 * P + 2, 0);
        assertEquals(4 * cache.pageBytes(), cache.bytesInUse());
        cache.truncate(a, P + 1);
        assertEquals(P + 1, cache.length(a));
        assertEquals(2 * cache.pageBytes(), cache.bytesInUse());
        append(cache, a, 2, 500);
        assertEquals(500 + P + 1, keyAt(cache, a, P + 1));
        assertEquals(P, keyAt(cache, a, P), "kept positions are untouched");
        assertThrows(IllegalArgumentException.class, () -> cache.truncate(a, 100));
    }

    @Test
    void truncatingIntoASharedPageCopiesOnTheNextWrite() {
        KvCache cache = new KvCache(1, 4);
        int a = cache.newSequence();
        append(cache, a, P, 0);
        int b = cache.fork(a, 1)[0];
        cache.truncate(b, 4);
        assertEquals(cache.pageBytes(), cache.bytesToAppendOne(new int[] {b}, 1));
        append(cache, b, 1, 900);
        assertEquals(4, keyAt(cache, a, 4), "the sharer's data is not overwritten");
        assertEquals(904, keyAt(cache, b, 4));
        assertTrue(cache.bytesInUse() == 2 * cache.pageBytes());
    }

    /** An attachment that counts its closes. */
    private static final class Counted implements KvCache.Attachment {
        final int length;
        int closes;

        Counted(int length) {
            this.length = length;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public long bytes() {
            return 1000;
        }

        @Override
        public void close() {
            closes++;
        }
    }

    @Test
    void anAttachmentIsSharedByForksCountedOnceAndClosedWithTheLastHolder() {
        KvCache cache = new KvCache(2, 8);
        int prompt = cache.newSequence();
        append(cache, prompt, P + 3, 0);
        Counted attachment = new Counted(P + 3);
        cache.attach(prompt, attachment);
        assertEquals(2 * cache.pageBytes() + 1000, cache.bytesInUse());
        int[] forks = cache.fork(prompt, 2);
        assertSame(attachment, cache.attachment(forks[0]));
        assertSame(attachment, cache.attachment(forks[1]));
        assertEquals(2 * cache.pageBytes() + 1000, cache.bytesInUse(), "shared, so counted once");
        cache.remove(prompt);
        cache.remove(forks[0]);
        assertEquals(0, attachment.closes);
        assertEquals(2 * cache.pageBytes() + 1000, cache.bytesInUse());
        cache.remove(forks[1]);
        assertEquals(1, attachment.closes);
        assertEquals(0, cache.bytesInUse());
        assertEquals(2 * cache.pageBytes() + 1000, cache.peakBytesInUse());
    }

    @Test
    void cuttingBelowAnAttachmentOrUnsharingDropsIt() {
        KvCache cache = new KvCache(2, 8);
        int prompt = cache.newSequence();
        append(cache, prompt, 2 * P, 0);
        Counted attachment = new Counted(P + 4);
        cache.attach(prompt, attachment);
        int[] forks = cache.fork(prompt, 3);
        cache.truncate(forks[0], P + 4); // still covers it
        assertSame(attachment, cache.attachment(forks[0]));
        cache.truncate(forks[0], P + 3);
        assertEquals(null, cache.attachment(forks[0]));
        cache.unshare(forks[1]);
        assertEquals(null, cache.attachment(forks[1]));
        cache.remove(prompt);
        assertEquals(0, attachment.closes, "fork 2 still holds it");
        cache.remove(forks[2]);
        assertEquals(1, attachment.closes);
        assertThrows(IllegalArgumentException.class, () -> cache.attach(forks[0], new Counted(P + 4)),
                "longer than the sequence");
    }

    @Test
    void clearRemovesEverySequenceAndClosesTheirAttachments() {
        KvCache cache = new KvCache(2, 8);
        int prompt = cache.newSequence();
        append(cache, prompt, P + 3, 0);
        Counted attachment = new Counted(P);
        cache.attach(prompt, attachment);
        int[] forks = cache.fork(prompt, 2);
        int other = cache.newSequence();
        append(cache, other, 5, 0);
        cache.clear();
        assertEquals(1, attachment.closes);
        assertEquals(0, cache.bytesInUse());
        for (int id : new int[] {prompt, forks[0], forks[1], other}) {
            assertFalse(cache.contains(id));
        }
        int again = cache.newSequence(); // still usable
        append(cache, again, P, 0);
        assertEquals(cache.pageBytes(), cache.bytesInUse());
    }

    @Test
    void accountsCountTheirOwnPagesAndAttachmentsAndForksInheritThem() {
        KvCache cache = new KvCache(2, 8);
        KvCache.Account a = cache.newAccount();
        KvCache.Account b = cache.newAccount();
        int pa = cache.newSequence(a);
        cache.reserve(pa, 20);
        cache.commit(pa, 20); // two pages
        int[] forks = cache.fork(pa, 3);
        assertEquals(2 * cache.pageBytes(), a.bytesInUse(), "forks share the pages");
        assertEquals(4, a.sequences());
        cache.reserve(forks[0], 1); // the shared partly filled page is copied for the writer, in its account
        cache.commit(forks[0], 1);
        assertEquals(3 * cache.pageBytes(), a.bytesInUse());
        int pb = cache.newSequence(b);
        cache.reserve(pb, 5);
        cache.commit(pb, 5);
        cache.attach(pb, new Attachment(5, 100));
        assertEquals(cache.pageBytes() + 100, b.bytesInUse());
        assertEquals(cache.bytesInUse(), a.bytesInUse() + b.bytesInUse());
        assertEquals(cache.pageBytes() + 100, b.peakBytesInUse());
        cache.removeAll(a);
        assertEquals(0, a.bytesInUse());
        assertEquals(0, a.sequences());
        assertEquals(3 * cache.pageBytes(), a.peakBytesInUse());
        assertEquals(cache.pageBytes() + 100, cache.bytesInUse(), "the other account untouched");
        b.resetPeak();
        cache.remove(pb);
        assertEquals(0, cache.bytesInUse());
        assertEquals(cache.pageBytes() + 100, b.peakBytesInUse());
    }

    @Test
    void removedIdsAreReusedLowestFirst() {
        KvCache cache = new KvCache(1, 4);
        int a = cache.newSequence();
        int b = cache.newSequence();
        int c = cache.newSequence();
        cache.remove(c);
        cache.remove(a);
        assertFalse(cache.contains(a));
        assertEquals(a, cache.newSequence());
        assertEquals(c, cache.newSequence());
        assertEquals(c + 1, cache.newSequence());
        assertTrue(cache.contains(b));
    }

    /** An attachment of a given length and size. */
    private record Attachment(int length, long bytes) implements KvCache.Attachment {
        @Override
        public void close() {
        }
    }
}
