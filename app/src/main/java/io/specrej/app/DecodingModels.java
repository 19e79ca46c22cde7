package io.specrej.app;

import io.specrej.decoding.BestOfN;
import io.specrej.decoding.Generation;
import io.specrej.decoding.ModelRewardScorer;
import io.specrej.decoding.RewardScorer;
import io.specrej.decoding.SelfRewardScorer;
import io.specrej.decoding.SpeculativeRejection;
import io.specrej.decoding.Strategy;
import io.specrej.engine.BadInputException;
import io.specrej.engine.model.GenerationConfig;
import io.specrej.engine.model.Head;
import io.specrej.engine.model.WeightMemory;
import io.specrej.engine.text.HfTokenizer;
import io.specrej.engine.text.TokenizerFit;
import java.nio.file.Path;
import java.util.List;

/**
 * A loaded generator and reward scorer, shared by the commands that decode (run, demo). {@code self} as the reward
 * model means the generator's own mean log-probability.
 */
final class DecodingModels implements AutoCloseable {
    static final String SELF = "self";

    final Path generatorDir;
    /** The reward model directory, or null for {@code self}. */
    final Path rewardDir;
    final Generation generation;
    final RewardScorer scorer;
    final GenerationConfig generationConfig;

    private DecodingModels(Path generatorDir, Path rewardDir, Generation generation, RewardScorer scorer) {
        this.generatorDir = generatorDir;
        this.rewardDir = rewardDir;
        this.generation = generation;
        this.scorer = scorer;
        this.generationConfig = GenerationConfig.load(generatorDir, generation.model().config());
    }

    /**
     * @param reward      a reward model directory or "self"; null for either means the embedded default
     * @param rewardLabel which of the reward model's num_labels outputs is the reward (0 for the usual 1-label RM)
     * @param kvBytes     the KV memory the run may use besides the weights (its --memory-budget)
     */
    static DecodingModels load(Path generator, String reward, int rewardLabel, long kvBytes) {
        Path generatorDir = generator != null ? generator : DefaultModels.generator();
        Path rewardDir = reward == null ? DefaultModels.rewardModel()
                : reward.equals(SELF) ? null : Path.of(reward);
        Generation generation = Generation.load(generatorDir);
        try {
            if (generation.model().config().head() != Head.CAUSAL_LM) {
                throw new BadInputException("--model " + generatorDir + ": " + generation.model().config()
                        .architecture() + " is a sequence classifier; the generator must be a causal LM");
            }
            TokenizerFit.check(generatorDir, generation.tokenizer(), generation.model().config(),
                    GenerationConfig.load(generatorDir, generation.model().config()));
            RewardScorer scorer = rewardDir == null ? new SelfRewardScorer()
                    : ModelRewardScorer.load(rewardDir, generation.tokenizer(), rewardLabel);
            try {
                if (scorer instanceof ModelRewardScorer m) {
                    checkRewardTokenizer(rewardDir, m);
                }
                // Before any weight is copied: two 8B models in bf16 must fail here, not in the OOM killer.
                WeightMemory.requireFits(scorer instanceof ModelRewardScorer m
                        ? List.of(generation.model(), m.rewardModel().model()) : List.of(generation.model()),
                        List.of("generator", "reward model"), kvBytes);
            } catch (RuntimeException e) {
                scorer.close();
                throw e;
            }
            return new DecodingModels(generatorDir, rewardDir, generation, scorer);
        } catch (RuntimeException e) {
            generation.close();
            throw e;
        }
    }

    /**
     * The reward model's tokenizer against its checkpoint, as the generator's: the scorer keeps its tokenizer to
     * itself, so it is read once more here (a second or less even for a 128k-token vocabulary).
     */
    private static void checkRewardTokenizer(Path rewardDir, ModelRewardScorer scorer) {
        if (!java.nio.file.Files.isRegularFile(rewardDir.resolve(HfTokenizer.FILE))) {
            return; // the scorer already said what it needs
        }
        var config = scorer.rewardModel().model().config();
        try (HfTokenizer tokenizer = HfTokenizer.load(rewardDir)) {
            TokenizerFit.check(rewardDir, tokenizer, config, GenerationConfig.load(rewardDir, config));
        }
    }

    Strategy strategy(StrategyName name) {
        return switch (name) {
            case BON -> new BestOfN(generation, scorer);
            case SPECREJ -> new SpeculativeRejection(generation, scorer);
        };
    }

    /** How the reward model is named in run files: its directory, or "self". */
    String rewardName() {
        return rewardDir == null ? SELF : rewardDir.toAbsolutePath().normalize().toString();
    }

    @Override
    public void close() {
        try {
            scorer.close();
        } finally {
            generation.close();
        }
    }
}
