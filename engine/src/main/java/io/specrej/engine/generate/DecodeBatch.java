package io.specrej.engine.generate;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.ForwardBatch;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.Sampler;
import io.specrej.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One prompt's sequences, step by step: prefill the prompt once (whole, or in chunks that share forward passes with
 * other work), fork sequences from it, then advance every running sequence by one token per step. The forward passes
 * themselves are a {@link StepRunner}'s, so the sequences of many batches (many requests, each with its own sampling
 * parameters, stop rules and seed) can advance in one pass. Sequence i draws from its own random stream (seed, i), and
 * the model's rows do not depend on batch composition, so a sequence's tokens are the same whatever runs beside it.
 * A finished sequence's KV is released at once. Its KV counts in its own {@link KvCache.Account}.
 */
public final class DecodeBatch {
    private final TransformerModel model;
    private final KvCache cache;
    private final KvCache.Account account;
    private final SamplingParams sampling;
    private final StopTokens stop;
    private final long seed;
    private final int maxNewTokens;
    private StopCondition stopCondition = StopCondition.NONE;
    private boolean trackLogProbs;
    private int promptId = -1;
    private int[] prompt;
    private int prefilled;
    private int promptLength;
    /** Whether the prompt got its bf16 copy for attention ({@link TransformerModel#attachPrefix}). */
    private boolean promptCopied;
    private float[] promptLogits;
    /** Scratch for {@link #bytesForNextStep}, grown to the largest batch (asked before every step). */
    private int[] stepIds = new int[16];

    /** A batch whose KV counts in the cache's default account. */
    public DecodeBatch(TransformerModel model, KvCache cache, SamplingParams sampling, StopTokens stop, long seed,
                       int maxNewTokens) {
        this(model, cache, cache.defaultAccount(), sampling, stop, seed, maxNewTokens);
    }

    public DecodeBatch(TransformerModel model, KvCache cache, KvCache.Account account, SamplingParams sampling,
                       StopTokens stop, long seed, int maxNewTokens) {
        if (maxNewTokens < 1) {
            throw new BadInputException("--max-new-tokens must be at least 1, got " + maxNewTokens);
        }
        this.model = model;
        this.cache = cache;
        this.account = account;
        this.sampling = sampling;
        this.stop = stop;
        this.seed = seed;
        this.maxNewTokens = maxNewTokens;
    }

    /** Also record each sampled token's log-probability under the raw logits (costs one pass over the vocabulary). */
    public void trackLogProbs(boolean track) {
        this.trackLogProbs = track;
    }

    /** A stop rule checked after every token besides the stop tokens and the length limits. */
    public void stopWhen(StopCondition condition) {
        this.stopCondition = condition;
    }

    public KvCache cache() {
        return cache;
    }

    public KvCache.Account account() {
        return account;
    }

    public TransformerModel model() {
        return model;
    }

    public int promptLength() {
        return promptLength;
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** Runs the prompt through the model in one pass; its KV stays in the cache for every later fork. */
    public void prefill(int[] prompt) {
        startPrefill(prompt);
        StepRunner runner = new StepRunner(model, cache);
        runner.addPrefill(this, prompt.length);
        runner.run();
    }

    /**
     * Checks the prompt and makes its sequence; the tokens then go through {@link StepRunner#addPrefill} in one or
     * more chunks. Chunking changes no bit of the result: every position attends to the cached pages the same way.
     */
    public void startPrefill(int[] prompt) {
        if (prompt.length == 0) {
            throw new BadInputException("the prompt is empty: at least one token is needed");
        }
        int context = model.config().maxPositions();
        if (prompt.length + 1 > context) {
            throw new BadInputException("the prompt has " + prompt.length
                    + " tokens; the model's context window is " + context + " tokens, leaving no room to generate");
        }
        if (promptId >= 0) {
            throw new IllegalStateException("the prompt was already started");
        }
        this.prompt = prompt.clone();
        promptId = cache.newSequence(account);
        promptLength = prompt.length;
        prefilled = 0;
    }

    /** Prompt tokens not yet run. */
    public int prefillRemaining() {
        return prompt == null ? 0 : prompt.length - prefilled;
    }

    /** Whether the whole prompt has run and its logits are ready for {@link #fork}. */
    public boolean prefillDone() {
        return promptLogits != null;
    }

    /** Adds the next at most {@code maxTokens} prompt tokens to a forward batch; returns the output row or -1. */
    int addPrefillChunk(ForwardBatch.Builder builder, int maxTokens) {
        int n = Math.min(maxTokens, prefillRemaining());
        boolean last = prefilled + n == prompt.length;
        int row = builder.add(promptId, prompt, prefilled, n, last);
        prefilled += n;
        return row;
    }

    /** Takes the prompt's last-token logits after the final chunk ran. */
    void finishPrefill(float[] out, int row) {
        int width = model.outputWidth();
        promptLogits = Arrays.copyOfRange(out, row * width, (row + 1) * width);
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
        if (promptLogits == null) {
            throw new IllegalStateException("prefill the prompt before forking");
        }
        int[] cacheIds = cache.fork(promptId, count);
        List<SequenceState> created = new ArrayList<>(count);
        Sampler sampler = StepRunner.sampler();
        for (int i = 0; i < count; i++) {
            SequenceState s = new SequenceState(firstIndex + i, seed, cacheIds[i]);
            sample(s, promptLogits, 0, sampler);
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
        promptId = -1;
    }

    /** Bytes the next {@link #step} over these running sequences would add to the cache. */
    public long bytesForNextStep(List<SequenceState> running) {
        if (stepIds.length < running.size()) {
            stepIds = new int[Math.max(running.size(), 2 * stepIds.length)];
        }
        int[] ids = stepIds;
        int n = 0;
        for (SequenceState s : running) {
            if (!s.finished()) {
                ids[n++] = s.cacheId();
            }
        }
        return cache.bytesToAppendOne(ids, n);
    }

    /** Feeds each running sequence its last token and samples the next one, in a pass of its own. */
    public void step(List<SequenceState> running) {
        StepRunner runner = new StepRunner(model, cache);
        runner.addDecode(this, running);
        runner.run();
    }

    /** Samples a sequence's next token from its row of logits. */
    void sample(SequenceState s, float[] logits, int row, Sampler sampler) {
        int vocab = model.outputWidth();
        s.append(sampler.sample(logits, row * vocab, vocab, sampling, s.random(), prompt, s.tokenBuffer(),
                s.length()));
        if (trackLogProbs) {
            s.addLogProb(LogProbs.of(logits, row * vocab, vocab, s.lastToken()));
        }
    }

    /** Releases a sequence's KV (a rejected or finished sequence). */
    public void release(SequenceState s) {
        if (s.cacheId() >= 0 && cache.contains(s.cacheId())) {
            cache.remove(s.cacheId());
        }
        s.setCacheId(-1);
    }

    /** Finishes a sequence whose last token ends it, and frees its KV. */
    void settle(SequenceState s) {
        if (stop.isStop(s.lastToken())) {
            s.finish(FinishReason.STOP);
        } else if (stopCondition.shouldStop(s)) {
            s.finish(FinishReason.STOP);
        } else if (s.length() >= maxNewTokens || promptLength + s.length() >= model.config().maxPositions()) {
            s.finish(FinishReason.LENGTH);
        }
        if (s.finished()) {
            release(s);
        }
    }
}
