package io.specrej.decoding;

import io.specrej.engine.model.RewardModel;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.SamplingParams;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.onednn.OneDnnMatmul;
import io.specrej.engine.tensor.onednn.PrefixGemms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * Generator / reward-model pairs for the tests, loaded once per JVM (weights are memory-mapped; loading is the slow
 * part). The fixture pair is tiny and random (fast, checks mechanics); the mini pair is the project's trained Llama
 * pair with a ChatML template (checks the real conventions: end-of-turn tokens, retokenization).
 */
final class TestModels {
    /** A generator with its reward scorer, the reward model and a prompt. */
    record Pair(Generation generation, ModelRewardScorer scorer, RewardModel reward, RewardConversation conversation,
                Prompt prompt, SamplingParams sampling) {
        BestOfN bestOfN() {
            return new BestOfN(generation, scorer);
        }

        SpeculativeRejection speculativeRejection() {
            return new SpeculativeRejection(generation, scorer);
        }

        /** Bytes of one KV page of the generator plus one of the reward model. */
        long pageBytes() {
            return generation.model().newCache().pageBytes() + reward.model().newCache().pageBytes();
        }

        /**
         * Roughly the KV that n sequences of maxNewTokens need at once, prompts unshared (an over-estimate): a
         * budget of a fraction of it forces decisions without hard-coding a model's page size.
         */
        long horizonBytes(int n, int maxNewTokens) {
            long genTokens = prompt.ids().length + maxNewTokens;
            long rmTokens = conversation.sharedPrefix(prompt.text()).length + 2L * maxNewTokens; // retokenizing can grow
            long genPage = generation.model().newCache().pageBytes();
            long rmPage = reward.model().newCache().pageBytes();
            return n * (pages(genTokens) * genPage + pages(rmTokens) * rmPage);
        }

        long budget(int n, int maxNewTokens, double fraction) {
            return (long) (fraction * horizonBytes(n, maxNewTokens));
        }

        private static long pages(long tokens) {
            return (tokens + 15) / 16;
        }
    }

    private static Pair fixture;
    private static Pair mini;
    private static Pair gating;

    private TestModels() {
    }

    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata").resolve("fixtures"))) {
                return p;
            }
        }
        throw new IllegalStateException("no testdata/fixtures above " + Path.of("").toAbsolutePath());
    }

    /**
     * The fixture llama generator with the fixture llama reward model. Their logits are huge (std about 30), so a
     * high temperature is what makes the candidates differ.
     */
    static synchronized Pair fixture() {
        if (fixture == null) {
            Path models = repoRoot().resolve("testdata/fixtures/models");
            fixture = pair(models.resolve("llama"), models.resolve("llama-rm"), "Tell me about the brown fox.",
                    SamplingParams.sample(25.0, 0, 1.0));
        }
        return fixture;
    }

    /**
     * The fixture GPT-J generator with the fixture ArmoRM (gating head, its own Llama-3-chat tokenizer and template):
     * the gate token lies in the prompt, so its row comes from the prompt's prefill.
     */
    static synchronized Pair gating() {
        if (gating == null) {
            Path models = repoRoot().resolve("testdata/fixtures/models");
            gating = pair(models.resolve("gptj"), models.resolve("armo-rm"), "Tell me about the brown fox.",
                    SamplingParams.sample(25.0, 0, 1.0));
        }
        return gating;
    }

    /** The trained mini pair with its own sampling defaults (temperature 1, top-k 50). */
    static synchronized Pair mini() {
        if (mini == null) {
            Path models = repoRoot().resolve("models");
            mini = pair(models.resolve("mini-alpaca-gen"), models.resolve("mini-alpaca-rm"),
                    "Give three tips for staying healthy.", SamplingParams.sample(1.0, 50, 1.0));
        }
        return mini;
    }

    private static Pair pair(Path generatorDir, Path rewardDir, String promptText, SamplingParams sampling) {
        Generation generation = Generation.load(generatorDir);
        ModelRewardScorer scorer = ModelRewardScorer.load(rewardDir, generation.tokenizer(), 0);
        return new Pair(generation, scorer, scorer.rewardModel(), scorer.conversation(),
                generation.promptEncoder().encode(promptText), sampling);
    }

    /**
     * oneDNN for every bf16 weight however small (so the fixture models' prompts can get bf16 copies); skips the test
     * where oneDNN does not load or the CPU has no bf16 dot products.
     */
    static MatmulBackend oneDnnWithPromptCopies() {
        try {
            MatmulBackend backend = OneDnnMatmul.instance().forEveryWeight();
            PrefixGemms.instance();
            return backend;
        } catch (IllegalStateException e) {
            Assumptions.assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    /** Runs {@code body} with prompt copies from {@code tokens} tokens ({@code "off"}: none), then restores the setting. */
    static <T> T withPromptCopiesFrom(String tokens, Supplier<T> body) {
        String property = TransformerModel.PREFIX_COPY_FROM_PROPERTY;
        String before = System.getProperty(property);
        System.setProperty(property, tokens);
        try {
            return body.get();
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }
}
