package io.specrej.app;

import io.specrej.engine.model.RewardModel;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.text.HfTokenizer;
import io.specrej.engine.text.TokenizerFit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code specrej score}: the reward a sequence-classification model gives one prompt/response pair. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Score a prompt/response pair (or token ids) with a reward model "
                + "(a *ForSequenceClassification checkpoint; the score is label 0, or --reward-label, at the last non-pad token).",
                "With --prompt/--response the reward model's chat template renders [user: PROMPT, assistant: "
                        + "RESPONSE] (add_generation_prompt=False), encoded without adding special tokens."})
final class ScoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ThreadsOption threadsOption;

    @Option(names = "--reward-model", required = true, paramLabel = "DIR",
            description = "Hugging Face reward model directory.")
    Path rewardModel;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @ArgGroup(exclusive = false, multiplicity = "1")
        Conversation conversation;

        @Option(names = "--ids", required = true, paramLabel = "IDS",
                description = "The whole scored sequence as token ids, e.g. 1,2,3.")
        String ids;

        @Option(names = "--input", required = true, paramLabel = "FILE.jsonl",
                description = "Many pairs, one JSON object {\"prompt\", \"response\"} per line (- reads standard "
                        + "input), scored in batches in this one process; prints one JSON line {\"index\", "
                        + "\"score\"} per pair, in order.")
        Path file;
    }

    @Option(names = "--batch-size", defaultValue = "16", paramLabel = "B",
            description = "With --input: pairs per forward pass (default 16). Scores do not depend on it.")
    int batchSize;

    static final class Conversation {
        @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The user's message.")
        String prompt;

        @Option(names = "--response", required = true, paramLabel = "TEXT", description = "The assistant's reply.")
        String response;
    }

    @Option(names = "--json", description = "Print {\"score\":x}.")
    boolean json;

    @Option(names = "--explain", description = "Also print the score's parts where the head has them (ArmoRM: "
            + "\"rewards\", the per-objective rewards, and \"gating\", their gating weights).")
    boolean explain;

    @Option(names = "--reward-label", defaultValue = "0", paramLabel = "L",
            description = "Which output label is the reward, for models with num_labels > 1 (default 0).")
    int rewardLabel;

    @Override
    public Integer call() throws java.io.IOException {
        if (input.file != null) {
            if (batchSize < 1) {
                throw new io.specrej.engine.BadInputException("--batch-size must be at least 1, got " + batchSize);
            }
            if (explain) {
                throw new io.specrej.engine.BadInputException("--explain prints one pair's parts; use it with "
                        + "--prompt/--response, not --input");
            }
            List<ScorePairs.Pair> pairs = ScorePairs.read(input.file); // every line checked before a model loads
            try (TransformerModel model = TransformerModel.load(rewardModel);
                 HfTokenizer tokenizer = tokenizer(model, true)) {
                checkTokenizer(model, tokenizer);
                ScorePairs.scoreAll(new RewardModel(model, rewardLabel, tokenizer), tokenizer, rewardModel, pairs,
                        batchSize, spec.commandLine().getOut());
                return Main.EXIT_OK;
            }
        }
        int[] parsedIds = input.ids != null ? TokenIds.parse(input.ids, "--ids") : null;
        if (parsedIds == null && input.conversation.prompt.isEmpty()) {
            throw new io.specrej.engine.BadInputException("--prompt is empty: give some text");
        }
        try (TransformerModel model = TransformerModel.load(rewardModel);
             HfTokenizer tokenizer = tokenizer(model, parsedIds == null)) {
            if (tokenizer != null) {
                checkTokenizer(model, tokenizer);
            }
            RewardModel reward = new RewardModel(model, rewardLabel, tokenizer);
            int[] ids = parsedIds;
            String option = "--ids";
            if (ids == null) {
                option = "--prompt/--response";
                ids = CliPrompts.conversation(tokenizer, rewardModel, input.conversation.prompt,
                        input.conversation.response);
            }
            TokenIds.checkVocabulary(ids, model.config().vocabSize(), option);
            TokenIds.checkContext(ids, model.config().maxPositions(), option, 0);
            float score = reward.score(List.of(ids))[0];
            if (!Float.isFinite(score)) {
                // JSON has no NaN; and a NaN reward would rank nothing, so it is an error, not a number to print
                throw new io.specrej.engine.BadInputException(rewardModel + ": the reward model scored this input "
                        + score + " (its activations overflow or its weights are corrupt)");
            }
            var result = Json.object().put("score", score);
            if (explain) {
                float[][] rows = reward.rows(ids);
                reward.head().explain(rows[0], rows[1]).forEach((name, values) -> {
                    var array = result.putArray(name);
                    for (float v : values) {
                        array.add(v);
                    }
                });
            }
            if (json) {
                spec.commandLine().getOut().println(Json.line(result));
            } else if (explain) {
                result.properties().forEach(e -> spec.commandLine().getOut().println(e.getKey() + " " + e.getValue()));
            } else {
                spec.commandLine().getOut().println(score);
            }
            spec.commandLine().getOut().flush();
            return Main.EXIT_OK;
        }
    }

    private void checkTokenizer(TransformerModel model, HfTokenizer tokenizer) {
        TokenizerFit.check(rewardModel, tokenizer, model.config(),
                io.specrej.engine.model.GenerationConfig.load(rewardModel, model.config()));
    }

    /** The reward model's tokenizer when the input is text or a gating head (ArmoRM) finds its position with it. */
    private HfTokenizer tokenizer(TransformerModel model, boolean text) {
        if (text) {
            return CliPrompts.require(rewardModel, "--prompt/--response");
        }
        boolean gating = model.config().rewardHead() != null && model.config().rewardHead().gateText() != null;
        return gating && Files.isRegularFile(rewardModel.resolve(HfTokenizer.FILE)) ? HfTokenizer.load(rewardModel)
                : null; // without one, RewardModel names the missing file
    }
}
