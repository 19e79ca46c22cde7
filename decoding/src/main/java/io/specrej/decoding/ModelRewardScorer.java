package io.specrej.decoding;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.ForwardBatch;
import io.specrej.engine.model.RewardModel;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.text.ChatMessage;
import io.specrej.engine.text.HfTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
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
 * {@link RewardModel#score} of the whole input. Only tokens up to the last one the head reads are fed: later ones
 * cannot change it. When the cache already holds the whole input, that token is fed again to read its output. A
 * gating head (ArmoRM) also reads a gate token in the prompt: its row is computed once per prompt
 * ({@link RewardModel.PromptState}) and shared by every trajectory.
 *
 * <p>The KV lives in its {@link RewardService}'s cache under this scorer's own account, so the scorers of many
 * requests share one cache and, through {@link #prepare} and {@link RewardService#runTogether}, one forward pass.
 */
public final class ModelRewardScorer implements RewardScorer {
    private final RewardService service;
    private final RewardModel reward;
    private final TransformerModel model;
    private final RewardConversation conversation;
    private final KvCache cache;
    private final KvCache.Account account;
    /** The service this scorer loaded itself and closes with itself, or null. */
    private final RewardService owned;
    private List<ChatMessage> context;
    private int[] shared = new int[0];
    private int sharedId = -1;
    /** Shared tokens run so far, when the shared prompt runs in chunks ({@link #addSharedChunk}). */
    private int sharedFed;
    private boolean sharedReady;
    /** What every trajectory takes from the shared prompt (ArmoRM: its gate token's row). */
    private RewardModel.PromptState promptState = RewardModel.PromptState.NONE;
    /** The shared prompt's gate row, read by the chunk holding the gate, until the prompt completes. */
    private float[] sharedGateRow;
    /** The shared prompt's gate token (a gating head's), or -1: found once per prompt. */
    private int sharedGate = -1;
    /** The output row of the gate in the pass being built, or -1. */
    private int sharedGateOutput = -1;
    private int suffixTokens;
    private double tokensPerGenerated = 1.0;
    private long tokensProcessed;
    private long tokensFull;

    ModelRewardScorer(RewardService service, RewardService owned) {
        this.service = service;
        this.owned = owned;
        this.reward = service.rewardModel();
        this.model = reward.model();
        this.conversation = service.conversation();
        this.cache = service.cache();
        this.account = cache.newAccount();
    }

    /** A scorer over models the caller owns (and closes). */
    public ModelRewardScorer(RewardModel reward, RewardConversation conversation) {
        this(new RewardService(reward, conversation), null);
    }

    /**
     * Loads a reward model directory (weights, tokenizer, chat template) to score a generator's responses; closing
     * the scorer closes what it loaded.
     *
     * @param labelIndex the score head's label read as the reward (0 for the usual single-label reward model)
     */
    public static ModelRewardScorer load(Path rewardDir, HfTokenizer generatorTokenizer, int labelIndex) {
        RewardService service = RewardService.load(rewardDir, generatorTokenizer, labelIndex);
        return new ModelRewardScorer(service, service);
    }

    public RewardService service() {
        return service;
    }

    public RewardConversation conversation() {
        return conversation;
    }

    public RewardModel rewardModel() {
        return reward;
    }

    @Override
    public void begin(List<ChatMessage> conversationBefore) {
        end();
        context = List.copyOf(conversationBefore);
        shared = conversation.sharedPrefix(context);
        sharedGate = reward.promptGate(shared);
        // End-of-turn tokens the template adds after any response: part of every trajectory's estimate.
        suffixTokens = Math.max(1, conversation.encodeText(context, "").length - shared.length);
        tokensPerGenerated = 1.0; // learnt per prompt, so one prompt's run never depends on the one before
        tokensProcessed = 0;
        tokensFull = 0;
    }

    @Override
    public KvCache.Account account() {
        return account;
    }

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
        startShared();
        if (!sharedReady) {
            ForwardBatch.Builder builder = new ForwardBatch.Builder();
            addSharedChunk(builder, shared.length);
            afterSharedChunk(model.forward(cache, builder.build()));
        }
    }

    @Override
    public int sharedRemaining() {
        return sharedId < 0 ? shared.length : shared.length - sharedFed;
    }

    /** Makes the shared prompt's sequence; its tokens then run in chunks, possibly beside other requests' work. */
    void startShared() {
        if (sharedId >= 0) {
            return;
        }
        sharedId = cache.newSequence(account);
        sharedFed = 0;
        sharedReady = shared.length == 0;
    }

    /**
     * Adds the next at most {@code maxTokens} shared tokens to a reward-model pass (with an output at the prompt's
     * gate token when this chunk holds it); returns how many.
     */
    int addSharedChunk(ForwardBatch.Builder builder, int maxTokens) {
        int n = Math.min(maxTokens, shared.length - sharedFed);
        if (n > 0) {
            int gate = sharedGate;
            int at = gate >= sharedFed && gate < sharedFed + n ? gate - sharedFed
                    : sharedFed + n == shared.length && gate < 0 ? n - 1 : -1;
            int row = builder.add(sharedId, shared, sharedFed, n, at, -1);
            sharedGateOutput = gate >= 0 ? row : -1;
            sharedFed += n;
            tokensProcessed += n;
        }
        return n;
    }

    /**
     * After a pass with a shared chunk: keeps the gate's row if this chunk read it; once all of the prompt ran, the
     * prompt's state is complete and a long prompt gets its bf16 copy (see the model).
     */
    void afterSharedChunk(float[] out) {
        if (sharedGateOutput >= 0) {
            int width = model.outputWidth();
            sharedGateRow = Arrays.copyOfRange(out, sharedGateOutput * width, (sharedGateOutput + 1) * width);
            sharedGateOutput = -1;
        }
        if (!sharedReady && sharedFed == shared.length) {
            sharedReady = true;
            promptState = reward.promptState(shared, sharedGateRow);
            sharedGateRow = null;
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
    public ScoreJob prepare(List<Trajectory> trajectories, MemoryBudget budget) {
        int n = trajectories.size();
        double[] scores = new double[n];
        if (n == 0) {
            return ScoreJob.done(trajectories, scores);
        }
        int[][] inputs = new int[n][];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            Trajectory t = trajectories.get(i);
            inputs[i] = conversation.encode(context, t.tokens());
            lengths[i] = reward.inputLength(inputs[i]);
            tokensFull += lengths[i];
            learnRatio(t.length(), lengths[i]);
        }
        Batch all = new Batch(n);
        for (int i = 0; i < n; i++) {
            all.add(i, trajectories.get(i), inputs[i], lengths[i]);
        }
        if (budget.fits(all.bytes())) {
            return new Pending(all, trajectories, inputs, lengths, scores, budget, false);
        }
        // The batch does not fit next to what is held: drop every kept KV of these trajectories and score them
        // from the shared prompt in parts that fit (passes of their own), releasing each part's KV at once.
        // Slower, never over budget.
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
            Pending p = new Pending(part, trajectories, inputs, lengths, scores, budget, true);
            RewardService.runTogether(List.of(p));
            next = end;
        }
        return ScoreJob.done(trajectories, scores);
    }

    /** Only grows the estimate of reward tokens per generated token, so budgeting stays on the safe side. */
    private void learnRatio(int generated, int inputLength) {
        if (generated >= 8) {
            double ratio = (double) (inputLength - shared.length - suffixTokens) / generated;
            tokensPerGenerated = Math.max(tokensPerGenerated, ratio);
        }
    }

    /** Rows of one batch waiting for a forward pass of this scorer's reward model. */
    final class Pending implements ScoreJob {
        private final Batch batch;
        private final List<Trajectory> trajectories;
        private final int[][] inputs;
        private final int[] lengths;
        private final double[] scores;
        private final MemoryBudget budget;
        private final boolean releaseAfter;
        private final RewardModel.Rows[] rows;
        private boolean complete;

        Pending(Batch batch, List<Trajectory> trajectories, int[][] inputs, int[] lengths, double[] scores,
                MemoryBudget budget, boolean releaseAfter) {
            this.batch = batch;
            this.trajectories = trajectories;
            this.inputs = inputs;
            this.lengths = lengths;
            this.scores = scores;
            this.budget = budget;
            this.releaseAfter = releaseAfter;
            this.rows = new RewardModel.Rows[batch.count];
        }

        RewardService service() {
            return service;
        }

        MemoryBudget budget() {
            return budget;
        }

        void addRows(ForwardBatch.Builder builder) {
            for (int k = 0; k < batch.count; k++) {
                int i = batch.members[k];
                int fed = batch.fed[k];
                rows[k] = reward.addRows(builder, promptState, batch.ids[k], inputs[i], lengths[i] - fed);
                tokensProcessed += fed;
            }
        }

        void finish(float[] out) {
            for (int k = 0; k < batch.count; k++) {
                int i = batch.members[k];
                Trajectory t = trajectories.get(i);
                scores[i] = reward.score(out, rows[k], promptState);
                t.setRewardCache(batch.ids[k], inputs[i], lengths[i]);
                if (releaseAfter) {
                    release(t);
                }
            }
            complete = true;
        }

        @Override
        public boolean complete() {
            return complete;
        }

        @Override
        public double[] scores() {
            return scores;
        }

        @Override
        public List<Trajectory> trajectories() {
            return trajectories;
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
        cache.removeAll(account); // frees the shared prompt's bf16 copy too (native memory)
        sharedId = -1;
        sharedFed = 0;
        sharedReady = false;
        sharedGateRow = null;
        sharedGateOutput = -1;
        promptState = RewardModel.PromptState.NONE;
    }

    /**
     * Trajectories about to be fed together: each gets a cache sequence (forked from the shared prompt if it has
     * none), truncated to its common prefix with the new input, so {@link #bytes()} is the exact growth.
     */
    private final class Batch {
        final int[] members;
        final int[] ids;
        final int[] fed;
        int count;

        Batch(int capacity) {
            members = new int[capacity];
            ids = new int[capacity];
            fed = new int[capacity];
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
            fed[count] = length - keep;
            count++;
        }

        /** Takes the last added member out again; its truncation only freed memory and its KV prefix stays valid. */
        void removeLast() {
            count--;
        }

        long bytes() {
            return cache.bytesToAppend(ids, fed, count);
        }
    }

    @Override
    public void close() {
        end();
        if (owned != null) {
            owned.close();
        }
    }

    @Override
    public String toString() {
        return "reward model " + model.config().file().getParent() + " (label " + reward.labelIndex() + ")";
    }
}
