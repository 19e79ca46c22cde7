package io.specrej.engine.cache;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Keys and values of many sequences, stored in fixed-size pages that sequences can share.
 *
 * <p>A page holds {@link #PAGE_TOKENS} consecutive token slots for every layer. Per layer the keys come first,
 * transposed, {@code [kvDim][slot]} (so one vector load reads one key element of all the page's tokens, and
 * attention scores a whole page with plain multiply-adds), then the values, {@code [slot][kvDim]}. A sequence is a list of pages plus a length. Forking a sequence shares its
 * pages (reference counts); the first write into a shared page copies it (copy-on-write), so a prompt prefilled once
 * serves N forks at the cost of at most one page copy each. Removing a sequence releases its pages at once; a page
 * whose last reference goes returns to a free list and is reused without garbage-collector churn.
 *
 * <p>Elements are floats ({@link KvPrecision#F32}, read through {@link #pages}) or bfloat16 bit patterns
 * ({@link KvPrecision#BF16}, read through {@link #bf16Pages}); offsets are in elements either way.
 *
 * <p>Byte accounting is exact in pages: {@link #bytesInUse()} is pages referenced by live sequences times
 * {@link #pageBytes()}, plus the bytes of their {@link Attachment}s; {@link #bytesToAppend} tells a caller what a
 * step would add before it is taken.
 *
 * <p>Every sequence belongs to an {@link Account} (forks inherit their source's), and each account counts the bytes of
 * the pages and attachments its sequences hold, so many requests can share one long-lived cache (and one forward
 * pass) while each stays within its own quota. Pages are only ever shared between sequences of one account. Ids of
 * removed sequences are reused, so a cache that lives as long as a server does not grow its id table.
 *
 * <p>Not thread-safe: one decoding loop owns a cache. The forward pass reads and writes page contents from several
 * threads, but only between {@link #reserve} and {@link #commit}, with no structural change in between.
 */
public final class KvCache {
    /** Token slots per page: small enough that a partly filled last page wastes little, large enough to amortise. */
    public static final int PAGE_TOKENS = 16;

    private final int layers;
    private final int kvDim;
    private final int pageElements;
    private final KvPrecision precision;
    private final ArrayDeque<Page> freePages = new ArrayDeque<>();
    private Sequence[] sequences = new Sequence[16];
    private int nextId;
    /** Ids of removed sequences, reused (lowest first) before new ones. */
    private final java.util.PriorityQueue<Integer> freeIds = new java.util.PriorityQueue<>();
    /** The account of sequences made without one. */
    private final Account defaultAccount = new Account();
    private long pagesInUse;
    /** Bytes of the attachments live sequences hold (each counted once). */
    private long attachedBytes;
    private long peakBytesInUse;

    /** A float32 cache. */
    public KvCache(int layers, int kvDim) {
        this(layers, kvDim, KvPrecision.F32);
    }

    public KvCache(int layers, int kvDim, KvPrecision precision) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.precision = precision;
        this.pageElements = layers * 2 * PAGE_TOKENS * kvDim;
    }

    public KvPrecision precision() {
        return precision;
    }

    /** Offset of a layer's keys inside a page: element e of slot s is at {@code keyBase + e * PAGE_TOKENS + s}. */
    public int keyBase(int layer) {
        return layer * 2 * PAGE_TOKENS * kvDim;
    }

    /** Offset of the value row of (layer, slot) inside a page: {@code kvDim} consecutive elements. */
    public int valueOffset(int layer, int slot) {
        return ((layer * 2 + 1) * PAGE_TOKENS + slot) * kvDim;
    }

    public int kvDim() {
        return kvDim;
    }

    public int layers() {
        return layers;
    }

    /** Bytes of one page. */
    public long pageBytes() {
        return (long) pageElements * precision.bytes();
    }

    /** Bytes one token occupies in one sequence: 2 · layers · kvDim · (4 for f32, 2 for bf16). */
    public long bytesPerToken() {
        return 2L * layers * kvDim * precision.bytes();
    }

    /**
     * The bytes one owner's sequences hold: their pages (shared ones counted once) and attachments, with the peak
     * since the last {@link #resetPeak()}. Made by {@link #newAccount()}.
     */
    public final class Account {
        private long pages;
        private long attached;
        private long peak;
        private int sequences;

        private Account() {
        }

        public long bytesInUse() {
            return pages * pageBytes() + attached;
        }

        public long peakBytesInUse() {
            return peak;
        }

        public void resetPeak() {
            peak = bytesInUse();
        }

        /** Live sequences of this account. */
        public int sequences() {
            return sequences;
        }

        private void grew() {
            peak = Math.max(peak, bytesInUse());
        }
    }

    /** A new, empty account for {@link #newSequence(Account)}. */
    public Account newAccount() {
        return new Account();
    }

    /** The account of sequences made by {@link #newSequence()}. */
    public Account defaultAccount() {
        return defaultAccount;
    }

    /** Bytes held by pages that live sequences reference (shared pages counted once). */
    public long bytesInUse() {
        return pagesInUse * pageBytes() + attachedBytes;
    }

    /** The largest {@link #bytesInUse()} seen since creation or the last {@link #resetPeak()}. */
    public long peakBytesInUse() {
        return peakBytesInUse;
    }

    public void resetPeak() {
        peakBytesInUse = bytesInUse();
    }

    /**
     * Something made from the first {@link #length()} positions of a sequence (the model's copy of a long prompt's
     * keys and values in another layout), held by the sequence and every fork made from it afterwards, and closed
     * when the last of them goes or is cut below its length. Its bytes count in {@link #bytesInUse()}.
     */
    public interface Attachment extends AutoCloseable {
        /** Positions it was made from, counted from the sequence's start. */
        int length();

        /** Memory it holds. */
        long bytes();

        @Override
        void close();
    }

    /** An attachment and how many sequences hold it. */
    private static final class Held {
        final Attachment attachment;
        final Account account;
        int holders = 1;

        Held(Attachment attachment, Account account) {
            this.attachment = attachment;
            this.account = account;
        }
    }

    /**
     * Gives sequence {@code id} an attachment made from its first {@code attachment.length()} positions, replacing
     * any it had; its later forks share it.
     */
    public void attach(int id, Attachment attachment) {
        Sequence s = sequence(id);
        if (attachment.length() > s.length) {
            attachment.close();
            throw new IllegalArgumentException("an attachment of " + attachment.length() + " positions for sequence "
                    + id + " of " + s.length);
        }
        detach(s);
        s.held = new Held(attachment, s.account);
        attachedBytes += attachment.bytes();
        s.account.attached += attachment.bytes();
        s.account.grew();
        peakBytesInUse = Math.max(peakBytesInUse, bytesInUse());
    }

    /** The sequence's attachment, or null. */
    public Attachment attachment(int id) {
        Held held = sequence(id).held;
        return held == null ? null : held.attachment;
    }

    private void detach(Sequence s) {
        Held held = s.held;
        if (held != null) {
            s.held = null;
            if (--held.holders == 0) {
                attachedBytes -= held.attachment.bytes();
                held.account.attached -= held.attachment.bytes();
                held.attachment.close();
            }
        }
    }

    /** Creates an empty sequence of the default account and returns its id. */
    public int newSequence() {
        return newSequence(defaultAccount);
    }

    /** Creates an empty sequence whose memory counts in {@code account} and returns its id (a reused one if any). */
    public int newSequence(Account account) {
        int id;
        if (!freeIds.isEmpty()) {
            id = freeIds.poll();
        } else {
            id = nextId++;
            if (id >= sequences.length) {
                sequences = Arrays.copyOf(sequences, Math.max(id + 1, sequences.length * 2));
            }
        }
        Sequence s = new Sequence();
        s.account = account;
        account.sequences++;
        sequences[id] = s;
        return id;
    }

    /** Creates {@code count} new sequences that share all of {@code source}'s pages; returns their ids. */
    public int[] fork(int source, int count) {
        Sequence src = sequence(source);
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = newSequence(src.account);
            Sequence child = sequences[ids[i]];
            child.pages = Arrays.copyOf(src.pages, Math.max(src.pageCount, 1));
            child.pageCount = src.pageCount;
            child.length = src.length;
            child.held = src.held;
            if (src.held != null) {
                src.held.holders++;
            }
            for (int p = 0; p < src.pageCount; p++) {
                src.pages[p].refCount++;
            }
        }
        return ids;
    }

    /** Releases every page of the sequence; the id becomes invalid. */
    public void remove(int id) {
        Sequence s = sequence(id);
        for (int p = 0; p < s.pageCount; p++) {
            release(s.pages[p]);
        }
        detach(s);
        s.account.sequences--;
        sequences[id] = null;
        freeIds.add(id);
    }

    /** Removes every sequence of {@code account} (its pages and attachments freed), leaving others untouched. */
    public void removeAll(Account account) {
        for (int id = 0; id < nextId; id++) {
            if (sequences[id] != null && sequences[id].account == account) {
                remove(id);
            }
        }
    }

    /**
     * Removes every sequence: their pages return to the free list and their attachments are closed (call it before
     * dropping a cache whose sequences may still hold attachments: those hold native memory).
     */
    public void clear() {
        for (int id = 0; id < nextId; id++) {
            if (sequences[id] != null) {
                remove(id);
            }
        }
    }

    /** Shortens a sequence to {@code length} tokens, releasing pages it no longer needs. */
    public void truncate(int id, int length) {
        Sequence s = sequence(id);
        if (length < 0 || length > s.length) {
            throw new IllegalArgumentException("truncate sequence " + id + " to " + length + ": length is " + s.length);
        }
        int keepPages = (length + PAGE_TOKENS - 1) / PAGE_TOKENS;
        for (int p = keepPages; p < s.pageCount; p++) {
            release(s.pages[p]);
            s.pages[p] = null;
        }
        s.pageCount = keepPages;
        s.length = length;
        if (s.held != null && s.held.attachment.length() > length) {
            detach(s);
        }
    }

    public boolean contains(int id) {
        return id >= 0 && id < nextId && sequences[id] != null;
    }

    public int length(int id) {
        return sequence(id).length;
    }

    /**
     * Exact bytes that appending {@code tokens[i]} tokens to each sequence {@code ids[i]} (i below {@code count}) would
     * add to {@link #bytesInUse()}: new pages, plus copies of shared partly filled pages that would be written. Of k
     * sharers appending to a page nobody else references, the last one writes in place, so k - 1 copies are counted.
     */
    public long bytesToAppend(int[] ids, int[] tokens, int count) {
        long pages = 0;
        for (int i = 0; i < count; i++) {
            Sequence s = sequence(ids[i]);
            int t = tokens == null ? 1 : tokens[i];
            if (t <= 0) {
                continue;
            }
            pages += (s.length + t + PAGE_TOKENS - 1) / PAGE_TOKENS - s.pageCount;
            Page last = sharedPartialPage(s);
            if (last != null) {
                last.appendingSharers++;
            }
        }
        for (int i = 0; i < count; i++) {
            Page last = sharedPartialPage(sequence(ids[i]));
            if (last != null && last.appendingSharers > 0 && (tokens == null || tokens[i] > 0)) {
                int k = last.appendingSharers;
                pages += k == last.refCount ? k - 1 : k;
                last.appendingSharers = 0;
            }
        }
        return pages * pageBytes();
    }

    /** {@link #bytesToAppend} with one token for each of the first {@code count} ids. */
    public long bytesToAppendOne(int[] ids, int count) {
        return bytesToAppend(ids, null, count);
    }

    private static Page sharedPartialPage(Sequence s) {
        if (s.length % PAGE_TOKENS == 0) {
            return null;
        }
        Page last = s.pages[s.pageCount - 1];
        return last.refCount > 1 ? last : null;
    }

    /**
     * Makes room for {@code tokens} more tokens in sequence {@code id}: allocates pages and un-shares the page that
     * will be written. Positions [length, length + tokens) become writable; {@link #commit} then extends the length.
     */
    public void reserve(int id, int tokens) {
        Sequence s = sequence(id);
        if (tokens <= 0) {
            return;
        }
        if (s.length % PAGE_TOKENS != 0) {
            int last = s.pageCount - 1;
            if (s.pages[last].refCount > 1) {
                s.pages[last] = privateCopy(s.pages[last], s.account);
            }
        }
        int needed = (s.length + tokens + PAGE_TOKENS - 1) / PAGE_TOKENS;
        if (needed > s.pages.length) {
            s.pages = Arrays.copyOf(s.pages, Math.max(needed, s.pages.length * 2));
        }
        while (s.pageCount < needed) {
            s.pages[s.pageCount++] = allocate(s.account);
        }
    }

    /**
     * Gives the sequence its own copy of every page it shares, so that it holds its context alone, as after a long
     * generation of its own (bench's --private-context measures attention over such contexts); drops its attachment.
     */
    public void unshare(int id) {
        Sequence s = sequence(id);
        detach(s);
        for (int p = 0; p < s.pageCount; p++) {
            if (s.pages[p].refCount > 1) {
                s.pages[p] = privateCopy(s.pages[p], s.account);
            }
        }
    }

    /** A new page with the shared page's contents, replacing one reference to it. */
    private Page privateCopy(Page shared, Account account) {
        Page copy = allocate(account);
        if (shared.data != null) {
            System.arraycopy(shared.data, 0, copy.data, 0, pageElements);
        } else {
            System.arraycopy(shared.bits, 0, copy.bits, 0, pageElements);
        }
        shared.refCount--;
        return copy;
    }

    /** Declares that {@code tokens} reserved positions now hold keys and values. */
    public void commit(int id, int tokens) {
        Sequence s = sequence(id);
        if (s.length + tokens > s.pageCount * PAGE_TOKENS) {
            throw new IllegalStateException("commit past reserved pages for sequence " + id);
        }
        s.length += tokens;
    }

    /** The page holding {@code position} of sequence {@code id} (a float32 cache). */
    public float[] page(int id, int position) {
        return floatPage(sequence(id).pages[position / PAGE_TOKENS]);
    }

    /** The page holding {@code position} of sequence {@code id} (a bfloat16 cache). */
    public short[] bf16Page(int id, int position) {
        return bf16Page(sequence(id).pages[position / PAGE_TOKENS]);
    }

    /**
     * Fills {@code out} with the page arrays of the sequence (at least ceil(positions / PAGE_TOKENS) of them); a
     * float32 cache only.
     */
    public float[][] pages(int id, float[][] out) {
        Sequence s = sequence(id);
        if (out == null || out.length < s.pageCount) {
            out = new float[Math.max(s.pageCount, 4)][];
        }
        for (int p = 0; p < s.pageCount; p++) {
            out[p] = floatPage(s.pages[p]);
        }
        return out;
    }

    /** {@link #pages} for a bfloat16 cache: the pages' bit patterns. */
    public short[][] bf16Pages(int id, short[][] out) {
        Sequence s = sequence(id);
        if (out == null || out.length < s.pageCount) {
            out = new short[Math.max(s.pageCount, 4)][];
        }
        for (int p = 0; p < s.pageCount; p++) {
            out[p] = bf16Page(s.pages[p]);
        }
        return out;
    }

    private float[] floatPage(Page page) {
        if (page.data == null) {
            throw new IllegalStateException("this KV cache stores " + precision.label() + ", not f32");
        }
        return page.data;
    }

    private short[] bf16Page(Page page) {
        if (page.bits == null) {
            throw new IllegalStateException("this KV cache stores " + precision.label() + ", not bf16");
        }
        return page.bits;
    }

    /** Drops pooled free pages so their memory can be collected. */
    public void trimFreePages() {
        freePages.clear();
    }

    private Sequence sequence(int id) {
        if (id < 0 || id >= nextId || sequences[id] == null) {
            throw new IllegalArgumentException("no sequence " + id + " in this KV cache");
        }
        return sequences[id];
    }

    private Page allocate(Account account) {
        Page p = freePages.poll();
        if (p == null) {
            p = precision == KvPrecision.F32 ? new Page(new float[pageElements], null)
                    : new Page(null, new short[pageElements]);
        }
        p.refCount = 1;
        p.account = account;
        account.pages++;
        account.grew();
        pagesInUse++;
        peakBytesInUse = Math.max(peakBytesInUse, bytesInUse());
        return p;
    }

    private void release(Page p) {
        if (--p.refCount == 0) {
            pagesInUse--;
            p.account.pages--;
            p.account = null;
            freePages.push(p);
        }
    }

    private static final class Page {
        /** The elements of a float32 cache, else null. */
        final float[] data;
        /** The elements of a bfloat16 cache, else null. */
        final short[] bits;
        int refCount;
        /** Whose memory it is (the account of the sequence it was allocated for); null while free. */
        Account account;
        /** Scratch for {@link #bytesToAppend}; zero outside it. */
        int appendingSharers;

        Page(float[] data, short[] bits) {
            this.data = data;
            this.bits = bits;
        }
    }

    private static final class Sequence {
        Page[] pages = new Page[4];
        int pageCount;
        int length;
        Held held;
        Account account;
    }
}
