package io.specrej.decoding;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.ForwardBatch;
import io.specrej.engine.model.RewardModel;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.text.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One reward model serving many requests: the model, how a (conversation, response) becomes its input, and one
 * long-lived KV cache in which every request's scorer ({@link #newScorer()}) keeps its trajectories' KV under an
 * account of its own. {@link #runTogether} runs the scoring of many requests in one forward pass.
 */
public final class RewardService implements AutoCloseable {
    private final RewardModel reward;
    private final RewardConversation conversation;
    private final KvCache cache;
    private final AutoCloseable[] owned;

    /** A service over models the caller owns (and closes). */
    public RewardService(RewardModel reward, RewardConversation conversation) {
        this(reward, conversation, null);
    }

    private RewardService(RewardModel reward, RewardConversation conversation, AutoCloseable[] owned) {
        this.reward = reward;
        this.conversation = conversation;
        this.owned = owned;
        this.cache = reward.model().newCache();
    }

    /**
     * Loads a reward model directory (weights, tokenizer, chat template) to score a generator's responses; closing
     * the service closes what it loaded.
     *
     * @param labelIndex the score head's label read as the reward (0 for the usual single-label reward model)
     */
    public static RewardService load(Path rewardDir, HfTokenizer generatorTokenizer, int labelIndex) {
        TransformerModel model = TransformerModel.load(rewardDir);
        HfTokenizer tokenizer = null;
        try {
            tokenizer = HfTokenizer.load(rewardDir);
            RewardModel reward = new RewardModel(model, labelIndex, tokenizer);
            return new RewardService(reward, new RewardConversation(generatorTokenizer, tokenizer),
                    new AutoCloseable[] {tokenizer, model});
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            model.close();
            throw e;
        }
    }

    public RewardModel rewardModel() {
        return reward;
    }

    public TransformerModel model() {
        return reward.model();
    }

    public RewardConversation conversation() {
        return conversation;
    }

    public KvCache cache() {
        return cache;
    }

    /** A scorer for one request at a time, with its own account in this service's cache. */
    public ModelRewardScorer newScorer() {
        return new ModelRewardScorer(this, null);
    }

    /**
     * Completes the given jobs: those that need a pass run together, one forward pass per reward model, each job's
     * growth checked against its own budget.
     */
    public static void runTogether(List<ScoreJob> jobs) {
        runTogether(jobs, List.of(), 0);
    }

    /** A request's shared prompt to prefill in chunks, and the budget its growth counts against. */
    public record SharedPrefill(RewardScorer scorer, MemoryBudget budget) {
    }

    /**
     * Completes the jobs and runs at most {@code prefillTokens} tokens of the given scorers' shared prompts (in
     * order: a long one takes several calls), all in one forward pass per reward model.
     */
    public static void runTogether(List<ScoreJob> jobs, List<SharedPrefill> prefills, int prefillTokens) {
        Map<RewardService, Pass> byService = new IdentityHashMap<>();
        for (ScoreJob job : jobs) {
            if (!job.complete()) {
                ModelRewardScorer.Pending p = (ModelRewardScorer.Pending) job;
                byService.computeIfAbsent(p.service(), s -> new Pass()).jobs.add(p);
            }
        }
        int left = prefillTokens;
        for (SharedPrefill p : prefills) {
            if (left > 0 && p.scorer() instanceof ModelRewardScorer m) {
                m.startShared();
                Pass pass = byService.computeIfAbsent(m.service(), s -> new Pass());
                left -= m.addSharedChunk(pass.builder, left);
                pass.prefills.add(p);
            }
        }
        for (Map.Entry<RewardService, Pass> e : byService.entrySet()) {
            e.getKey().run(e.getValue());
        }
    }

    /** One pass's rows: shared-prompt chunks first (already in the builder), then the jobs' rows. */
    private static final class Pass {
        final ForwardBatch.Builder builder = new ForwardBatch.Builder();
        final List<ModelRewardScorer.Pending> jobs = new ArrayList<>();
        final List<SharedPrefill> prefills = new ArrayList<>();
    }

    private void run(Pass pass) {
        for (ModelRewardScorer.Pending p : pass.jobs) {
            p.addRows(pass.builder);
        }
        for (ModelRewardScorer.Pending p : pass.jobs) {
            p.budget().beforeGrowth();
        }
        for (SharedPrefill p : pass.prefills) {
            p.budget().beforeGrowth();
        }
        float[] out = reward.model().forward(cache, pass.builder.build());
        for (ModelRewardScorer.Pending p : pass.jobs) {
            p.budget().afterGrowth();
        }
        for (SharedPrefill p : pass.prefills) {
            p.budget().afterGrowth();
            ((ModelRewardScorer) p.scorer()).afterSharedChunk(out);
        }
        for (ModelRewardScorer.Pending p : pass.jobs) {
            p.finish(out);
        }
    }

    @Override
    public void close() {
        cache.clear(); // a shared prompt's bf16 copy is native memory
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
}
