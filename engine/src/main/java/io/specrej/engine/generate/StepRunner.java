package io.specrej.engine.generate;

import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.ForwardBatch;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.Sampler;
import io.specrej.engine.tensor.Parallel;
import io.specrej.engine.tensor.Profile;
import java.util.ArrayList;
import java.util.List;

/**
 * One forward pass over the work of many {@link DecodeBatch}es that share a cache: decode rows (each running
 * sequence's last token) and prompt chunks, merged into one {@link ForwardBatch} so every weight is multiplied once
 * for all of them. After the pass each decode row is sampled with its own batch's parameters and its own random
 * stream (rows in parallel), and a prompt whose last chunk ran keeps its logits for forking. Reusable: {@link #run}
 * clears it.
 */
public final class StepRunner {
    private static final ThreadLocal<Sampler> SAMPLERS = ThreadLocal.withInitial(Sampler::new);

    private final TransformerModel model;
    private final KvCache cache;
    private final ForwardBatch.Builder builder = new ForwardBatch.Builder();
    private final List<SequenceState> rowSequences = new ArrayList<>();
    private final List<DecodeBatch> rowBatches = new ArrayList<>();
    /** The output row of each decode row (prompt chunks may hold output rows between them); reused, unboxed. */
    private int[] outputRows = new int[64];
    private final List<DecodeBatch> prefills = new ArrayList<>();
    private int[] prefillRows = new int[8];

    public StepRunner(TransformerModel model, KvCache cache) {
        this.model = model;
        this.cache = cache;
    }

    /** This thread's sampler (scratch sized to the vocabulary, reused). */
    static Sampler sampler() {
        return SAMPLERS.get();
    }

    /** Sequences that will get a new token in the next {@link #run}. */
    public int decodeRows() {
        return rowSequences.size();
    }

    public boolean isEmpty() {
        return builder.count() == 0;
    }

    /** Adds one row for every unfinished sequence of {@code running}, which belong to {@code batch}. */
    public void addDecode(DecodeBatch batch, List<SequenceState> running) {
        for (SequenceState s : running) {
            if (!s.finished()) {
                int row = rowSequences.size();
                if (row == outputRows.length) {
                    outputRows = java.util.Arrays.copyOf(outputRows, row * 2);
                }
                outputRows[row] = builder.addOne(s.cacheId(), s.lastToken());
                rowSequences.add(s);
                rowBatches.add(batch);
            }
        }
    }

    /** Adds the next at most {@code maxTokens} tokens of {@code batch}'s prompt; returns how many. */
    public int addPrefill(DecodeBatch batch, int maxTokens) {
        int before = builder.tokenCount();
        int row = batch.addPrefillChunk(builder, maxTokens);
        if (row >= 0) {
            if (prefills.size() == prefillRows.length) {
                prefillRows = java.util.Arrays.copyOf(prefillRows, prefillRows.length * 2);
            }
            prefillRows[prefills.size()] = row;
            prefills.add(batch);
        }
        return builder.tokenCount() - before;
    }

    /** Runs the pass, samples every decode row, settles the sequences and hands finished prompts their logits. */
    public void run() {
        if (isEmpty()) {
            return;
        }
        float[] out = model.forward(cache, builder.build());
        int n = rowSequences.size();
        long t0 = Profile.start();
        Parallel.forRange(n, (start, end) -> {
            Sampler sampler = SAMPLERS.get();
            for (int i = start; i < end; i++) {
                rowBatches.get(i).sample(rowSequences.get(i), out, outputRows[i], sampler);
            }
        });
        Profile.stop(Profile.SAMPLING, t0);
        for (int i = 0; i < n; i++) {
            rowBatches.get(i).settle(rowSequences.get(i));
        }
        for (int i = 0; i < prefills.size(); i++) {
            prefills.get(i).finishPrefill(out, prefillRows[i]);
        }
        clear();
    }

    public void clear() {
        builder.clear();
        rowSequences.clear();
        rowBatches.clear();
        prefills.clear();
    }
}
