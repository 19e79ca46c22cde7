package io.specrej.engine.model;

import io.specrej.engine.BadInputException;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.text.HfTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * A model with a {@link RewardHead}, used as a reward model: whole sequences ({@link #score}) or incrementally over a
 * KV cache that keeps what earlier calls computed ({@link #prefill} once per prompt, then {@link #extend}).
 *
 * <p>A head reads the reward at one token ({@link RewardHead#rewardIndex}); a gating head (ArmoRM) also reads a gate
 * token, which lies in the prompt. {@link #prefill} computes that token's row once per prompt ({@link PromptState}),
 * and every candidate whose tokens up to it are the prompt's reuses it, so scoring stays incremental. Attention is
 * causal, so tokens after the last one a head reads are never computed.
 */
public final class RewardModel {
    private final TransformerModel model;
    private final RewardHead head;
    private final int labelIndex;
    /** The gate token pattern (the head's gate text in this model's own tokens), or null. */
    private final int[] gatePattern;

    /** For heads without a gate position; a gating head needs {@link #RewardModel(TransformerModel, int, HfTokenizer)}. */
    public RewardModel(TransformerModel model, int labelIndex) {
        this(model, labelIndex, null);
    }

    /** @param tokenizer the reward model's own tokenizer; a gating head encodes its gate text with it */
    public RewardModel(TransformerModel model, int labelIndex, HfTokenizer tokenizer) {
        ModelConfig c = model.config();
        if (c.rewardHead() == null) {
            throw new BadInputException(c.file() + ": architectures[0] is " + c.architecture() + ", a causal LM; a "
                    + "reward model must be a *ForSequenceClassification, LlamaForRewardModelWithGating (ArmoRM) or "
                    + "EurusRewardModel");
        }
        if (labelIndex < 0 || labelIndex >= c.numLabels()) {
            throw new BadInputException("reward label " + labelIndex + " is out of range: the model has "
                    + c.numLabels() + " labels");
        }
        this.model = model;
        this.head = c.rewardHead();
        this.labelIndex = labelIndex;
        if (head.gateText() == null) {
            gatePattern = null;
        } else if (tokenizer == null) {
            throw new BadInputException(c.file().getParent() + ": " + c.architecture() + " needs its tokenizer.json "
                    + "to find its gating position (the tokens of " + printable(head.gateText()) + ")");
        } else {
            gatePattern = tokenizer.encode(head.gateText(), false);
        }
    }

    public TransformerModel model() {
        return model;
    }

    public RewardHead head() {
        return head;
    }

    public int labelIndex() {
        return labelIndex;
    }

    public Integer padTokenId() {
        return model.config().padTokenId();
    }

    /** The gate token pattern in this model's tokens, or null when the head has none. */
    public int[] gatePattern() {
        return gatePattern == null ? null : gatePattern.clone();
    }

    /**
     * transformers' sequence-classification pooling: the rightmost token whose id is not the pad id (the attention
     * mask is ignored, as in transformers >= 4.49), or the last token with no pad id; 0 when all are pad.
     */
    public static int pooledIndex(int[] tokens, int length, Integer padId) {
        if (padId == null) {
            return length - 1;
        }
        for (int i = length - 1; i >= 0; i--) {
            if (tokens[i] != padId) {
                return i;
            }
        }
        return 0;
    }

    /** Index of the token whose output row holds the reward. */
    public int rewardIndex(int[] tokens) {
        return head.rewardIndex(tokens, tokens.length, padTokenId());
    }

    /**
     * Index of the gate token (the start of the pattern's last occurrence), or -1 for a head without one.
     *
     * @throws BadInputException when a gating head's input does not contain the pattern
     */
    public int gateIndex(int[] tokens) {
        if (gatePattern == null) {
            return -1;
        }
        int gate = GatingRewardHead.lastOccurrence(tokens, tokens.length, gatePattern);
        if (gate < 0) {
            throw new BadInputException("reward model input has no " + printable(head.gateText()) + " (tokens "
                    + Arrays.toString(gatePattern) + "): " + model.config().architecture() + " reads its gating "
                    + "there; render the conversation [user, assistant] with the reward model's chat template");
        }
        return gate;
    }

    /** How many leading tokens of {@code input} must be in the cache to score it (later ones change nothing). */
    public int inputLength(int[] input) {
        return Math.max(rewardIndex(input), gateIndex(input)) + 1;
    }

    /**
     * What a prompt's run leaves for every candidate that starts with it: the prompt's tokens and, for a gating head,
     * the gate token's output row when the gate lies in the prompt.
     */
    public record PromptState(int[] tokens, int gateIndex, float[] gateRow) {
        public static final PromptState NONE = new PromptState(new int[0], -1, null);

        /** Whether {@code input}'s gate is this prompt's gate, computed over the same tokens. */
        boolean covers(int[] input, int gate) {
            if (gateRow == null || gate != gateIndex) {
                return false;
            }
            return Arrays.equals(input, 0, gate + 1, tokens, 0, gate + 1);
        }
    }

    /**
     * Runs a prompt (every candidate's first tokens) into sequence {@code id} of {@code cache}; for a gating head
     * keeps the row of the prompt's gate token, computed here once for all candidates.
     */
    public PromptState prefill(KvCache cache, int id, int[] prompt) {
        if (prompt.length == 0) {
            return PromptState.NONE;
        }
        int gate = gatePattern == null ? -1 : GatingRewardHead.lastOccurrence(prompt, prompt.length, gatePattern);
        int read = gate >= 0 ? gate : prompt.length - 1;
        ForwardBatch.Builder batch = new ForwardBatch.Builder();
        batch.add(id, prompt, 0, prompt.length, read, -1);
        float[] out = model.forward(cache, batch.build());
        float[] row = gate >= 0 ? Arrays.copyOf(out, model.outputWidth()) : null;
        return new PromptState(prompt.clone(), gate, row);
    }

    /**
     * The first token of {@code input} a call must run even if the cache holds it: the last token it reads (its row
     * is needed), or a gate token the prompt's state does not cover.
     */
    public int firstToRun(PromptState state, int[] input) {
        int last = inputLength(input) - 1;
        int gate = gateIndex(input);
        return gate >= 0 && !state.covers(input, gate) ? Math.min(gate, last) : last;
    }

    /** The gate token's index in a prompt (every candidate's first tokens), or -1 for none or a head without one. */
    public int promptGate(int[] prompt) {
        return gatePattern == null ? -1 : GatingRewardHead.lastOccurrence(prompt, prompt.length, gatePattern);
    }

    /**
     * The state a prompt run in chunks leaves: its tokens, and for a gating head the output row of its gate token
     * ({@link #promptGate}), read from the pass that ran it.
     */
    public PromptState promptState(int[] prompt, float[] gateRow) {
        int gate = promptGate(prompt);
        if (gate >= 0 && gateRow == null) {
            throw new IllegalArgumentException("the prompt's gate row is missing");
        }
        return new PromptState(prompt.clone(), gate, gate >= 0 ? gateRow.clone() : null);
    }

    /** Where a candidate's outputs land in a pass: the reward token's row, and the gate's (-1: the prompt's or none). */
    public record Rows(int reward, int gate) {
    }

    /**
     * Adds {@code input[start, inputLength(input))} for sequence {@code id} (which holds the first {@code start}
     * tokens, at most {@link #firstToRun}) to a forward batch, with output rows where the head reads.
     */
    public Rows addRows(ForwardBatch.Builder builder, PromptState state, int id, int[] input, int start) {
        int length = inputLength(input);
        if (start > firstToRun(state, input)) {
            throw new IllegalArgumentException("sequence " + id + " starts at " + start + ", must run from "
                    + firstToRun(state, input));
        }
        int rewardAt = rewardIndex(input);
        int gateAt = gateIndex(input);
        if (gateAt < 0 || state.covers(input, gateAt)) {
            return new Rows(builder.add(id, input, start, length - start, rewardAt - start, -1), -1);
        }
        if (gateAt == rewardAt) {
            int row = builder.add(id, input, start, length - start, rewardAt - start, -1);
            return new Rows(row, row);
        }
        int first = Math.min(gateAt, rewardAt) - start;
        int second = Math.max(gateAt, rewardAt) - start;
        int row = builder.add(id, input, start, length - start, first, second);
        return gateAt < rewardAt ? new Rows(row + 1, row) : new Rows(row, row + 1);
    }

    /** A candidate's score from the pass's outputs ({@link #addRows}). */
    public float score(float[] out, Rows rows, PromptState state) {
        int width = model.outputWidth();
        boolean fromPrompt = gatePattern != null && rows.gate() < 0;
        return head.score(out, rows.reward() * width, fromPrompt ? state.gateRow() : out,
                fromPrompt ? 0 : Math.max(rows.gate(), 0) * width, labelIndex);
    }

    /**
     * Feeds {@code inputs[k][starts[k], inputLength(inputs[k]))} to sequence {@code ids[k]} (which holds the first
     * {@code starts[k]} tokens, at most {@link #firstToRun}) in one batched forward and returns each score.
     */
    public float[] extend(KvCache cache, PromptState state, int[] ids, int count, int[][] inputs, int[] starts) {
        ForwardBatch.Builder builder = new ForwardBatch.Builder();
        Rows[] rows = new Rows[count];
        for (int k = 0; k < count; k++) {
            if (starts[k] != cache.length(ids[k])) {
                throw new IllegalArgumentException("sequence " + ids[k] + " holds " + cache.length(ids[k])
                        + " tokens, starts at " + starts[k]);
            }
            rows[k] = addRows(builder, state, ids[k], inputs[k], starts[k]);
        }
        float[] out = model.forward(cache, builder.build());
        float[] scores = new float[count];
        for (int k = 0; k < count; k++) {
            scores[k] = score(out, rows[k], state);
        }
        return scores;
    }

    /** Scores whole sequences in one batch, in a fresh cache. */
    public float[] score(List<int[]> sequences) {
        int count = sequences.size();
        KvCache cache = model.newCache();
        int[] ids = new int[count];
        int[][] inputs = new int[count][];
        for (int i = 0; i < count; i++) {
            inputs[i] = sequences.get(i);
            if (inputs[i].length == 0) {
                throw new BadInputException("cannot score an empty token sequence");
            }
            ids[i] = cache.newSequence();
        }
        try {
            return extend(cache, PromptState.NONE, ids, count, inputs, new int[count]);
        } finally {
            cache.clear();
        }
    }

    /** The head's output rows for one whole sequence: the reward token's and the gate token's (or null). */
    public float[][] rows(int[] sequence) {
        KvCache cache = model.newCache();
        try {
            int reward = rewardIndex(sequence);
            int gate = gateIndex(sequence);
            int length = inputLength(sequence);
            int[] outputs = gate < 0 || gate == reward ? new int[] {reward} : new int[] {Math.min(gate, reward),
                    Math.max(gate, reward)};
            ForwardBatch.Builder batch = new ForwardBatch.Builder();
            batch.add(cache.newSequence(), sequence, 0, length, outputs[0], outputs.length > 1 ? outputs[1] : -1);
            float[] out = model.forward(cache, batch.build());
            int width = model.outputWidth();
            int rewardRow = outputs.length == 1 || outputs[0] == reward ? 0 : 1;
            float[] rewardOut = Arrays.copyOfRange(out, rewardRow * width, (rewardRow + 1) * width);
            if (gate < 0) {
                return new float[][] {rewardOut, null};
            }
            int gateRow = outputs.length == 1 || outputs[0] == gate ? 0 : 1;
            return new float[][] {rewardOut, Arrays.copyOfRange(out, gateRow * width, (gateRow + 1) * width)};
        } finally {
            cache.clear();
        }
    }

    private static String printable(String text) {
        return "\"" + text.replace("\n", "\\n") + "\"";
    }
}
