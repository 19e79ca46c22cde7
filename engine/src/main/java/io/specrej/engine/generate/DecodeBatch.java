package io.specrej.engine.generate;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.Sampler;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.Profile;
import java.util.ArrayList;
import java.util.List;

/**
 * Step-by-step batched sampling from one prompt: prefill the prompt once, fork sequences from it, then advance every
 * running sequence by one token per {@link #step}. Sequence i draws from its own random stream (seed, i), and the
 * model's rows do not depend on batch composition, so a sequence's tokens are the same whatever runs beside it.
 * A finished sequence's KV is released at once.
 */
public final class DecodeBatch {
    private final TransformerModel model;
    private final KvCache cache;
    private final SamplingParams sampling;
    private final StopTokens stop;
    private final long seed;
    private final int maxNewTokens;
    private final ThreadLocal<Sampler> samplers = ThreadLocal.withInitial(Sampler::new);
    private boolean trackLogProbs;
    private int promptId = -1;
    private int promptLength;
    /** Whether the prompt got its bf16 copy for attention ({@link TransformerModel#attachPrefix}). */
    private boolean promptCopied;
    private float[] promptLogits;
    // Step buffers, grown to the largest batch.
    private int[] ids = new int[0];
    private int[] offsets = new int[1];
    private int[] tokens = new int[0];

    public DecodeBatch(TransformerModel model, KvCache cache, SamplingParams sampling, StopTokens stop, long seed,
                       int maxNewTokens) {
        if (maxNewTokens < 1) {
            throw new io.specrej.engine.BadInputException("--max-new-tokens must be at least 1, got " + maxNewTokens);
        }
        this.model = model;
        this.cache = cache;
        this.sampling = sampling;
        this.stop = stop;
        this.seed = seed;
        this.maxNewTokens = maxNewTokens;
    }

    /** Also record each sampled token's log-probability under the raw logits (costs one pass over the vocabulary). */
    public void trackLogProbs(boolean track) {
        this.trackLogProbs = track;
    }

    public KvCache cache() {
        return cache;
    }

    public int promptLength() {
        return promptLength;
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** Runs the prompt through the model once; its KV stays in the cache for every later fork. */
    public void prefill(int[] prompt) {
        if (prompt.length == 0) {
            throw new io.specrej.engine.BadInputException("the prompt is empty: at least one token is needed");
        }
        int context = model.config().maxPositions();
        if (prompt.length + 1 > context) {
            throw new io.specrej.engine.BadInputException("the prompt has " + prompt.length
                    + " tokens; the model's context window is " + context + " tokens, leaving no room to generate");
        }
        promptId = cache.newSequence();
        promptLength = prompt.length;
        float[] out = model.forwardLast(cache, new int[] {promptId}, new int[] {0, prompt.length}, 1, prompt);
        promptLogits = java.util.Arrays.copyOf(out, model.outputWidth());
        promptCopied = model.attachPrefix(cache, promptId);
    }

    /** Whether the prompt's keys and values got a bf16 copy that the forks' attention multiplies through oneDNN. */
    public boolean promptCopied() {
        return promptCopied;
    }

    /**
     * Creates sequences with the given indexes that share the prompt's KV, each with its first token sampled from the
     * prompt's logits by its own stream. Sequences that finish on that first token are returned finished, with no KV.
     */
    public List<SequenceState> fork(int firstIndex, int count) {
        if (promptId < 0) {
            throw new IllegalStateException("prefill the prompt before forking");
        }
        int[] cacheIds = cache.fork(promptId, count);
        List<SequenceState> created = new ArrayList<>(count);
        Sampler sampler = samplers.get();
        for (int i = 0; i < count; i++) {
            SequenceState s = new SequenceState(firstIndex + i, seed, cacheIds[i]);
            s.append(sampler.sample(promptLogits, 0, model.outputWidth(), sampling, s.random()));
            if (trackLogProbs) {
                s.addLogProb(LogProbs.of(promptLogits, 0, model.outputWidth(), s.lastToken()));
            }
            settle(s);
            created.add(s);
        }
        return created;
    }

    /** Frees the prompt's own reference to its KV (forks keep theirs). */
    public void releasePrompt() {
        if (promptId >= 0 && cache.contains(promptId)) {
            cache.remove(promptId);
        }
    }

    /** Bytes the next {@link #step} over these running sequences would add to the cache. */
    public long bytesForNextStep(List<SequenceState> running) {
        int n = fillIds(running);
        return cache.bytesToAppendOne(ids, n);
    }

    /** Feeds each running sequence its last token and samples the next one. Finished ones are skipped. */
    public void step(List<SequenceState> running) {
        int n = fillIds(running);
        if (n == 0) {
            return;
        }
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = i + 1;
        }
        List<SequenceState> active = activeOf(running, n);
        float[] logits = model.forwardLast(cache, ids, offsets, n, tokens);
        int vocab = model.outputWidth();
        long t0 = Profile.start();
        Parallel.forRange(n, (start, end) -> {
            Sampler sampler = samplers.get();
            for (int i = start; i < end; i++) {
                SequenceState s = active.get(i);
                s.append(sampler.sample(logits, i * vocab, vocab, sampling, s.random()));
                if (trackLogProbs) {
                    s.addLogProb(LogProbs.of(logits, i * vocab, vocab, s.lastToken()));
                }
            }
        });
        Profile.stop(Profile.SAMPLING, t0);
        for (SequenceState s : active) {
            settle(s);
        }
    }

    /** Releases a sequence's KV (a rejected or finished sequence). */
    public void release(SequenceState s) {
        if (s.cacheId() >= 0 && cache.contains(s.cacheId())) {
            cache.remove(s.cacheId());
        }
        s.setCacheId(-1);
    }

    private void settle(SequenceState s) {
        if (stop.isStop(s.lastToken())) {
            s.finish(FinishReason.STOP);
        } else if (s.length() >= maxNewTokens || promptLength + s.length() >= model.config().maxPositions()) {
            s.finish(FinishReason.LENGTH);
        }
        if (s.finished()) {
            release(s);
        }
    }

    private int fillIds(List<SequenceState> running) {
        if (ids.length < running.size()) {
            int size = Math.max(running.size(), 2 * ids.length);
            ids = new int[size];
            tokens = new int[size];
            offsets = new int[size + 1];
        }
        int n = 0;
        for (SequenceState s : running) {
            if (!s.finished()) {
                ids[n] = s.cacheId();
                tokens[n] = s.lastToken();
                n++;
            }
        }
        return n;
    }

    private static List<SequenceState> activeOf(List<SequenceState> running, int n) {
        List<SequenceState> active = new ArrayList<>(n);
        for (SequenceState s : running) {
            if (!s.finished()) {
                active.add(s);
            }
        }
        return active;
    }
}
