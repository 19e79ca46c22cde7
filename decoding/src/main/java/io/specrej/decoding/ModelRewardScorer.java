package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.RewardModel;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.text.HfTokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * A reward model that scores incrementally. Each trajectory keeps a sequence in the reward model's own KV cache,
 * forked from the rendered prompt (prefilled once per prompt). To score it again, the response is re-rendered and
 * re-tokenized ({@link RewardConversation}); the cache is truncated to the longest common prefix with the tokens it
 * holds and only the rest runs through the model — one batched forward for every trajectory of a decision.
 *
 * <p>Why truncate rather than append: re-tokenizing a longer text can change its last tokens (a BPE merge across the
 * old end), and the end-of-turn tokens the template closes a partial response with must be replaced. Because
 * attention is causal, the KV of a kept prefix is exactly what a full run would compute, so the score equals
 * {@link RewardModel#score} of the whole input. Only tokens up to the last one the head reads are fed:
 * later ones cannot change it. When the cache already holds the whole input, that token is fed again to read
 * its output.
 */
public final class ModelRewardScorer implements RewardScorer {
    private final RewardModel reward;
    private final TransformerModel model;
    private final RewardConversation conversation;
    private final AutoCloseable[] owned;
    private KvCache cache;
    private String prompt;
    private int[] shared = new int[0];
    private int sharedId = -1;
    /** What the reward model keeps from the shared prompt for every trajectory (ArmoRM: its gate token's row). */
    private RewardModel.PromptState promptState = RewardModel.PromptState.NONE;
    private int suffixTokens;
    private double tokensPerGenerated = 1.0;
    private long tokensProcessed;
    private long tokensFull;

    /** A scorer over models the caller owns (and closes). */
    public ModelRewardScorer(RewardModel reward, RewardConversation conversation) {
        this(reward, conversation, null);
    }

    private ModelRewardScorer(RewardModel reward, RewardConversation conversation, AutoCloseable[] owned) {
        this.owned = owned;
        this.reward = reward;
        this.model = reward.model();
        this.conversation = conversation;
        this.cache = model.newCache();
    }

    /**
     * Loads a reward model directory (weights, tokenizer, chat template) to score a generator's responses; closing
     * the scorer closes what it loaded.
     *
     * @param labelIndex the score head's label read as the reward (0 for the usual single-label reward model)
     */
    public static ModelRewardScorer load(Path rewardDir, HfTokenizer generatorTokenizer, int labelIndex) {
        TransformerModel model = TransformerModel.load(rewardDir);
        HfTokenizer tokenizer = null;
        try {
            tokenizer = HfTokenizer.load(rewardDir);
            RewardModel reward = new RewardModel(model, labelIndex, tokenizer);
            return new ModelRewardScorer(reward, new RewardConversation(generatorTokenizer, tokenizer),
                    new AutoCloseable[] {tokenizer, model});
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            model.close();
            throw e;
        }
    }

    public RewardConversation conversation() {
        return conversation;
    }

    public RewardModel rewardModel() {
        return reward;
    }

    @Override
    public void begin(String promptText) {
        end();
        cache = model.newCache();
        prompt = promptText;
        shared = conversation.sharedPrefix(promptText);
        // End-of-turn tokens the template adds after any response: part of every trajectory's estimate.
        suffixTokens = Math.max(1, conversation.encodeText(promptText, "").length - shared.length);
        tokensPerGenerated = 1.0; // learnt per prompt, so one prompt's run never depends on the one before
        tokensProcessed = 0;
        tokensFull = 0;
    }

    @Override
    public KvCache cache() {
        return cache;
    }

    @Override
    public long sharedBytes() {
        return MemoryBudget.bytesFor(cache, shared.length) + model.prefixCopyBytes(shared.length);
    }

    /** Runs the shared prompt once; a long one gets its bf16 copy for every trajectory's attention (see the model). */
    @Override
    public void prefillShared() {
        sharedId = cache.newSequence();
        if (shared.length > 0) {
            promptState = reward.prefill(cache, sharedId, shared);
            tokensProcessed += shared.length;
            model.attachPrefix(cache, sharedId);
        }
    }

    @Override
    public long bytesPerTrajectory(int generatedTokens) {
        long total = estimatedLength(generatedTokens);
        return MemoryBudget.bytesFor(cache, total) - (shared.length / KvCache.PAGE_TOKENS) * cache.pageBytes();
    }

    @Override
    public long bytesToCatchUp(Trajectory t, int generatedTokens) {
        if (t.rewardCacheId() < 0) {
            return bytesPerTrajectory(generatedTokens);
        }
        long now = MemoryBudget.bytesFor(cache, cache.length(t.rewardCacheId()));
        return Math.max(0, MemoryBudget.bytesFor(cache, estimatedLength(generatedTokens)) - now);
    }

    private long estimatedLength(int generatedTokens) {
        return shared.length + (long) Math.ceil(generatedTokens * tokensPerGenerated) + suffixTokens;
    }

    @Override
    public double[] score(List<Trajectory> trajectories, MemoryBudget budget) {
        int n = trajectories.size();
        double[] scores = new double[n];
        if (n == 0) {
            return scores;
        }
        int[][] inputs = new int[n][];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            Trajectory t = trajectories.get(i);
            inputs[i] = conversation.encode(prompt, t.tokens());
            lengths[i] = reward.inputLength(inputs[i]);
            tokensFull += lengths[i];
            learnRatio(t.length(), lengths[i]);
        }
        Batch all = new Batch(n);
        for (int i = 0; i < n; i++) {
            all.add(i, trajectories.get(i), inputs[i], lengths[i]);
        }
        if (budget.fits(all.bytes())) {
            run(all, trajectories, inputs, lengths, scores, budget, false);
            return scores;
        }
        // The batch does not fit next to what is held: drop every kept KV of these trajectories and score them
        // from the shared prompt in parts that fit, releasing each part's KV at once. Slower, never over budget.
        for (Trajectory t : trajectories) {
            release(t);
        }
        int next = 0;
        while (next < n) {
            Batch part = new Batch(n - next);
            part.add(next, trajectories.get(next), inputs[next], lengths[next]);
            if (!budget.fits(part.bytes())) {
                throw new BadInputException("--memory-budget " + budget.budgetBytes() + " bytes cannot hold the reward"
                        + " model's KV for one response of " + lengths[next] + " tokens next to the "
                        + budget.inUse() + " bytes already in use; raise --memory-budget");
            }
            int end = next + 1;
            while (end < n) {
                part.add(end, trajectories.get(end), inputs[end], lengths[end]);
                if (!budget.fits(part.bytes())) {
                    part.removeLast();
                    break;
                }
                end++;
            }
            run(part, trajectories, inputs, lengths, scores, budget, true);
            next = end;
        }
        return scores;
    }

    /** Only grows the estimate of reward tokens per generated token, so budgeting stays on the safe side. */
    private void learnRatio(int generated, int inputLength) {
        if (generated >= 8) {
            double ratio = (double) (inputLength - shared.length - suffixTokens) / generated;
            tokensPerGenerated = Math.max(tokensPerGenerated, ratio);
        }
    }

    private void run(Batch b, List<Trajectory> trajectories, int[][] inputs, int[] lengths, double[] scores,
                     MemoryBudget budget, boolean releaseAfter) {
        int[][] memberInputs = new int[b.count][];
        int[] starts = new int[b.count];
        for (int k = 0; k < b.count; k++) {
            memberInputs[k] = inputs[b.members[k]];
            starts[k] = lengths[b.members[k]] - (b.offsets[k + 1] - b.offsets[k]);
        }
        budget.beforeGrowth();
        float[] out = reward.extend(cache, promptState, b.ids, b.count, memberInputs, starts);
        budget.afterGrowth();
        tokensProcessed += b.offsets[b.count];
        for (int k = 0; k < b.count; k++) {
            int i = b.members[k];
            Trajectory t = trajectories.get(i);
            scores[i] = out[k];
            t.setRewardCache(b.ids[k], inputs[i], lengths[i]);
            if (releaseAfter) {
                release(t);
            }
        }
    }

    @Override
    public void release(Trajectory t) {
        if (t.rewardCacheId() >= 0 && cache.contains(t.rewardCacheId())) {
            cache.remove(t.rewardCacheId());
        }
        t.setRewardCache(-1, new int[0], 0);
    }

    @Override
    public boolean needsLogProbs() {
        return false;
    }

    @Override
    public long tokensProcessed() {
        return tokensProcessed;
    }

    @Override
    public long tokensFullRescoring() {
        return tokensFull;
    }

    @Override
    public void end() {
        cache.clear(); // the shared prompt's bf16 copy, if it got one, is native memory
        cache = model.newCache();
        sharedId = -1;
        promptState = RewardModel.PromptState.NONE;
    }

    /**
     * Trajectories about to be fed together: each gets a cache sequence (forked from the shared prompt if it has
     * none), truncated to its common prefix with the new input, so {@link #bytes()} is the exact growth.
     */
    private final class Batch {
        final int[] members;
        final int[] ids;
        final int[] offsets;
        int count;

        Batch(int capacity) {
            members = new int[capacity];
            ids = new int[capacity];
            offsets = new int[capacity + 1];
        }

        void add(int index, Trajectory t, int[] input, int length) {
            if (t.rewardCacheId() < 0) {
                t.setRewardCache(cache.fork(sharedId, 1)[0], shared, shared.length);
            }
            int keep = RewardConversation.commonPrefix(t.rewardTokens(), t.rewardLength(), input, length);
            // The last token read must run to be read, and so must a gate the prompt's state does not cover.
            keep = Math.min(keep, reward.firstToRun(promptState, input));
            cache.truncate(t.rewardCacheId(), keep);
            t.setRewardCache(t.rewardCacheId(), t.rewardTokens(), keep);
            members[count] = index;
            ids[count] = t.rewardCacheId();
            offsets[count + 1] = offsets[count] + length - keep;
            count++;
        }

        /** Takes the last added member out again; its truncation only freed memory and its KV prefix stays valid. */
        void removeLast() {
            count--;
        }

        long bytes() {
            int[] fed = new int[count];
            for (int k = 0; k < count; k++) {
                fed[k] = offsets[k + 1] - offsets[k];
            }
            return cache.bytesToAppend(ids, fed, count);
        }
    }

    @Override
    public void close() {
        end();
        if (owned != null) {
            for (AutoCloseable c : owned) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + c, e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "reward model " + model.config().file().getParent() + " (label " + reward.labelIndex() + ")";
    }
}
