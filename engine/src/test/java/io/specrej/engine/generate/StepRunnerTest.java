package io.specrej.engine.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.model.TransformerModel;
import io.specrej.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pieces a server's step is made of: a prompt prefilled in chunks gives the bits of one whole prefill, and
 * batches with different sampling parameters, stop rules and seeds that share one pass each produce exactly what
 * they produce alone, their KV counted in their own accounts.
 */
class StepRunnerTest {
    private static TransformerModel model;

    @BeforeAll
    static void load() {
        model = TransformerModel.load(TestData.fixtures().resolve("models/llama"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] prompt(int length, int salt) {
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = (i * 31 + salt * 7 + 3) % 400;
        }
        return ids;
    }

    /** Sequences of one batch run to the end, one pass per step, each batch alone in its own cache. */
    private static List<SequenceState> alone(int[] prompt, SamplingParams sampling, long seed, int n, int max,
                                             StopCondition stop) {
        KvCache cache = model.newCache();
        DecodeBatch batch = new DecodeBatch(model, cache, sampling, StopTokens.NONE, seed, max);
        batch.stopWhen(stop);
        batch.prefill(prompt);
        List<SequenceState> all = batch.fork(0, n);
        batch.releasePrompt();
        List<SequenceState> running = new ArrayList<>(all);
        running.removeIf(SequenceState::finished);
        while (!running.isEmpty()) {
            batch.step(running);
            running.removeIf(SequenceState::finished);
        }
        assertEquals(0, cache.bytesInUse());
        return all;
    }

    @Test
    void aPromptPrefilledInChunksGivesTheBitsOfOneWholePrefill() {
        int[] prompt = prompt(70, 1);
        SamplingParams sampling = SamplingParams.sample(20.0, 0, 1.0);
        List<SequenceState> whole = alone(prompt, sampling, 5, 3, 12, StopCondition.NONE);
        for (int chunk : new int[] {1, 7, 16, 33}) {
            KvCache cache = model.newCache();
            DecodeBatch batch = new DecodeBatch(model, cache, sampling, StopTokens.NONE, 5, 12);
            batch.startPrefill(prompt);
            StepRunner runner = new StepRunner(model, cache);
            while (!batch.prefillDone()) {
                runner.addPrefill(batch, chunk);
                runner.run();
            }
            List<SequenceState> all = batch.fork(0, 3);
            batch.releasePrompt();
            List<SequenceState> running = new ArrayList<>(all);
            while (!running.isEmpty()) {
                batch.step(running);
                running.removeIf(SequenceState::finished);
            }
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(whole.get(i).tokens(), all.get(i).tokens(), "chunks of " + chunk + ", seq " + i);
            }
        }
    }

    @Test
    void batchesSharingPassesProduceWhatTheyProduceAlone() {
        int[] promptA = prompt(40, 2);
        int[] promptB = prompt(90, 3);
        SamplingParams a = SamplingParams.sample(20.0, 0, 1.0);
        SamplingParams b = SamplingParams.GREEDY.with(1.3, 0.5, 0.2, 0); // penalties: the tokens so far matter
        StopCondition stopB = s -> s.length() >= 2 && s.lastToken() % 5 == 0; // a stop rule of B's own
        List<SequenceState> aloneA = alone(promptA, a, 11, 4, 20, StopCondition.NONE);
        List<SequenceState> aloneB = alone(promptB, b, 12, 2, 15, stopB);

        KvCache cache = model.newCache();
        KvCache.Account accountA = cache.newAccount();
        KvCache.Account accountB = cache.newAccount();
        DecodeBatch batchA = new DecodeBatch(model, cache, accountA, a, StopTokens.NONE, 11, 20);
        DecodeBatch batchB = new DecodeBatch(model, cache, accountB, b, StopTokens.NONE, 12, 15);
        batchB.stopWhen(stopB);
        StepRunner runner = new StepRunner(model, cache);
        batchA.startPrefill(promptA);
        runner.addPrefill(batchA, 40);
        runner.run();
        List<SequenceState> seqA = batchA.fork(0, 4);
        batchA.releasePrompt();
        List<SequenceState> runA = new ArrayList<>(seqA);
        // B's prompt runs in chunks inside A's decode steps.
        batchB.startPrefill(promptB);
        List<SequenceState> seqB = null;
        List<SequenceState> runB = new ArrayList<>();
        while (!runA.isEmpty() || seqB == null || !runB.isEmpty()) {
            if (!batchB.prefillDone() && batchB.prefillRemaining() > 0) {
                runner.addPrefill(batchB, 25);
            }
            runner.addDecode(batchA, runA);
            runner.addDecode(batchB, runB);
            long beforeA = accountA.bytesInUse();
            runner.run();
            assertTrue(accountA.bytesInUse() >= beforeA || runA.stream().anyMatch(SequenceState::finished));
            runA.removeIf(SequenceState::finished);
            runB.removeIf(SequenceState::finished);
            if (seqB == null && batchB.prefillDone()) {
                seqB = batchB.fork(0, 2);
                batchB.releasePrompt();
                runB.addAll(seqB);
                runB.removeIf(SequenceState::finished);
            }
            assertEquals(cache.bytesInUse(), accountA.bytesInUse() + accountB.bytesInUse(),
                    "every page counts in exactly one account");
        }
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(aloneA.get(i).tokens(), seqA.get(i).tokens(), "A's sequence " + i);
        }
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(aloneB.get(i).tokens(), seqB.get(i).tokens(), "B's sequence " + i);
            assertEquals(aloneB.get(i).finishReason(), seqB.get(i).finishReason());
        }
        assertEquals(0, accountA.bytesInUse());
        assertEquals(0, accountB.bytesInUse());
        assertTrue(accountA.peakBytesInUse() > 0 && accountB.peakBytesInUse() > 0);
    }
}
