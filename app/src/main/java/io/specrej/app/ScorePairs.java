package io.specrej.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import io.specrej.engine.BoundedFiles;
import io.specrej.engine.model.RewardModel;
import io.specrej.engine.text.HfTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code score --input}: many prompt/response pairs in one process, so the JVM starts and the reward model loads
 * once. Pairs are scored in batches of one forward pass each; a reward does not depend on its batch (batch
 * invariance), so the scores equal {@code score --prompt --response} one by one.
 */
final class ScorePairs {
    record Pair(int line, String prompt, String response) {
    }

    private ScorePairs() {
    }

    /** Every pair of the file, each line checked (one-line errors naming the line) before anything is scored. */
    static List<Pair> read(Path file) throws IOException {
        boolean stdin = file.toString().equals(PromptFile.STDIN);
        byte[] bytes = stdin ? PromptFile.stdin("--input")
                : BoundedFiles.readBytes(file, BoundedFiles.DATA_BYTES, "a JSON Lines file of prompt/response pairs");
        String name = stdin ? "<stdin>" : file.toString();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = name + " line " + (i + 1) + ": ";
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new BadInputException(where + "not valid JSON (" + e.getOriginalMessage() + "); expected one "
                        + "{\"prompt\", \"response\"} object per line", e);
            }
            if (node == null || !node.isObject() || !node.path("prompt").isTextual()
                    || !node.path("response").isTextual()) {
                throw new BadInputException(where + "expected an object with string fields \"prompt\" and "
                        + "\"response\"");
            }
            if (node.get("prompt").asText().isEmpty()) {
                throw new BadInputException(where + "\"prompt\" is empty");
            }
            pairs.add(new Pair(i + 1, node.get("prompt").asText(), node.get("response").asText()));
        }
        if (pairs.isEmpty()) {
            throw new BadInputException(name + ": holds no {\"prompt\", \"response\"} lines");
        }
        return pairs;
    }

    /** Prints {"index", "score"} per pair, in order, flushed after each batch so a reader sees progress. */
    static void scoreAll(RewardModel reward, HfTokenizer tokenizer, Path modelDir, List<Pair> pairs, int batchSize,
                         PrintWriter out) {
        int context = reward.model().config().maxPositions();
        int vocab = reward.model().config().vocabSize();
        for (int start = 0; start < pairs.size(); start += batchSize) {
            List<int[]> batch = new ArrayList<>();
            for (Pair p : pairs.subList(start, Math.min(pairs.size(), start + batchSize))) {
                String option = "--input line " + p.line();
                int[] ids = CliPrompts.conversation(tokenizer, modelDir, p.prompt(), p.response());
                TokenIds.checkVocabulary(ids, vocab, option);
                TokenIds.checkContext(ids, context, option, 0);
                batch.add(ids);
            }
            float[] scores = reward.score(batch);
            for (int i = 0; i < scores.length; i++) {
                Pair p = pairs.get(start + i);
                if (!Float.isFinite(scores[i])) {
                    throw new BadInputException(modelDir + ": the reward model scored --input line " + p.line() + " "
                            + scores[i] + " (its activations overflow or its weights are corrupt)");
                }
                out.println(Json.line(Json.object().put("index", start + i).put("score", scores[i])));
            }
            out.flush();
        }
    }
}
