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
            RewardModel reward = new RewardModel(model, labelIndex);
            tokenizer = HfTokenizer.load(rewardDir);
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
        Map<RewardService, List<ModelRewardScorer.Pending>> byService = new IdentityHashMap<>();
        for (ScoreJob job : jobs) {
            if (!job.complete()) {
                ModelRewardScorer.Pending p = (ModelRewardScorer.Pending) job;
                byService.computeIfAbsent(p.service(), s -> new ArrayList<>()).add(p);
            }
        }
        for (Map.Entry<RewardService, List<ModelRewardScorer.Pending>> e : byService.entrySet()) {
            e.getKey().run(e.getValue());
        }
    }

    private void run(List<ModelRewardScorer.Pending> pending) {
        ForwardBatch.Builder builder = new ForwardBatch.Builder();
        for (ModelRewardScorer.Pending p : pending) {
            p.addRows(builder);
        }
        for (ModelRewardScorer.Pending p : pending) {
            p.budget().beforeGrowth();
        }
        float[] out = reward.model().forward(cache, builder.build());
        for (ModelRewardScorer.Pending p : pending) {
            p.budget().afterGrowth();
        }
        for (ModelRewardScorer.Pending p : pending) {
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
