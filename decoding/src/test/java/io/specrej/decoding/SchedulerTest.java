package io.specrej.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The scheduler against the one-request path: a request's output depends only on its own fields (alone or beside 15
 * others of mixed strategies), a Speculative Rejection request equals a run with its quota as the budget, the budget
 * is never exceeded while requests queue, a full queue refuses, and cancelling frees every KV byte.
 */
class SchedulerTest {
    private static final long BIG = 256L << 20;

    /** Collects a request's end. */
    static final class Outcome implements RequestListener {
        final CompletableFuture<Result> result = new CompletableFuture<>();
        volatile int steps;

        @Override
        public void stepped(List<Trajectory> advanced) {
            steps++;
        }

        @Override
        public void finished(Result r) {
            result.complete(r);
        }

        @Override
        public void failed(RuntimeException error) {
            result.completeExceptionally(error);
        }

        Result get() throws Exception {
            return result.get(120, TimeUnit.SECONDS);
        }
    }

    private static Scheduler scheduler(TestModels.Pair p, long budget, int maxRows, int prefill, int queue) {
        Scheduler s = new Scheduler(p.generation(), p.scorer().service(),
                new Scheduler.Config(budget, maxRows, prefill, queue));
        s.start();
        return s;
    }

    /** Mixed requests: plain sampling, Best-of-N and Speculative Rejection (budget-chosen and scheduled). */
    private static List<Scheduler.Submission> mixed(TestModels.Pair p, int count) {
        String[] prompts = {"Give three tips for staying healthy.", "What are the three primary colors?",
            "Describe the structure of an atom.", "How can we reduce air pollution?"};
        SamplingParams sampling = SamplingParams.sample(1.0, 50, 1.0);
        List<Scheduler.Submission> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Prompt prompt = p.generation().promptEncoder().encode(prompts[i % prompts.length]);
            int maxTokens = 24 + 4 * (i % 3);
            Scheduler.Submission s = switch (i % 4) {
                case 0 -> new Scheduler.Submission(Strategy.SAMPLE, prompt,
                        new DecodingSetup(2, 0, BIG, maxTokens, sampling, 100 + i, null, 2), RequestOptions.NONE);
                case 1 -> new Scheduler.Submission(BestOfN.NAME, prompt,
                        new DecodingSetup(4, 0, BIG, maxTokens, sampling, 100 + i, null, 1000), RequestOptions.NONE);
                case 2 -> new Scheduler.Submission(SpeculativeRejection.NAME, prompt,
                        new DecodingSetup(null, 0.5, 3L << 20, maxTokens, sampling, 100 + i, null, 32),
                        RequestOptions.NONE);
                default -> new Scheduler.Submission(SpeculativeRejection.NAME, prompt,
                        new DecodingSetup(null, 0.6, 4L << 20, maxTokens, sampling, 100 + i, 8, 16),
                        RequestOptions.NONE);
            };
            out.add(s);
        }
        return out;
    }

    private static Scheduler.Submission withListener(Scheduler.Submission s, RequestListener l) {
        return new Scheduler.Submission(s.strategy(), s.prompt(), s.setup(), new RequestOptions(null, l));
    }

    static void assertSameResult(Result a, Result b, String what) {
        assertEquals(a.strategy(), b.strategy(), what);
        assertEquals(a.trajectories().size(), b.trajectories().size(), what + ": candidates");
        for (int i = 0; i < a.trajectories().size(); i++) {
            Result.Candidate x = a.trajectories().get(i);
            Result.Candidate y = b.trajectories().get(i);
            assertArrayEquals(x.tokens(), y.tokens(), what + ": tokens of candidate " + i);
            assertEquals(x.finishReason(), y.finishReason(), what + ": finish of candidate " + i);
            assertEquals(Double.doubleToLongBits(x.score()), Double.doubleToLongBits(y.score()),
                    what + ": score of candidate " + i);
            assertEquals(x.rejectedAt(), y.rejectedAt(), what + ": rejection of candidate " + i);
            assertEquals(x.partialScores(), y.partialScores(), what + ": partial scores of candidate " + i);
        }
        assertEquals(a.best() == null ? null : a.best().id(), b.best() == null ? null : b.best().id(), what);
        assertEquals(a.stats().decisions(), b.stats().decisions(), what + ": decisions");
        assertEquals(a.stats().peakKvBytes(), b.stats().peakKvBytes(), what + ": peak KV");
    }

    /** Waits until the scheduler has no request and has looked at its caches since (it reports between steps). */
    static void awaitIdle(Scheduler s) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while ((s.kvBytesInUse() != 0 || s.runningRequests() != 0) && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
    }

    @Test
    void sixteenConcurrentRequestsEqualTheSameRequestsOneByOne() throws Exception {
        TestModels.Pair p = TestModels.mini();
        List<Scheduler.Submission> requests = mixed(p, 16);
        List<Result> alone = new ArrayList<>();
        try (Scheduler s = scheduler(p, BIG, 256, 256, 64)) {
            for (Scheduler.Submission r : requests) {
                Outcome o = new Outcome();
                s.submit(withListener(r, o));
                alone.add(o.get());
            }
        }
        // Together, with small passes and prompt chunks so rows of many requests mix in every pass.
        List<Outcome> outcomes = new ArrayList<>();
        try (Scheduler s = scheduler(p, BIG, 7, 5, 64)) {
            for (Scheduler.Submission r : requests) {
                Outcome o = new Outcome();
                s.submit(withListener(r, o));
                outcomes.add(o);
            }
            for (int i = 0; i < requests.size(); i++) {
                assertSameResult(alone.get(i), outcomes.get(i).get(), "request " + i);
            }
            awaitIdle(s);
            assertEquals(0, s.kvBytesInUse(), "every request freed its KV");
            assertTrue(s.kvPeakBytes() <= BIG);
        }
    }

    @Test
    void aSpeculativeRejectionRequestEqualsARunWithItsQuotaAsTheBudget() throws Exception {
        TestModels.Pair p = TestModels.mini();
        Scheduler.Submission r = mixed(p, 3).get(2);
        Result run = p.speculativeRejection().run(r.prompt(), r.setup());
        try (Scheduler s = scheduler(p, BIG, 256, 256, 8)) {
            // Beside a Best-of-N and a sampling request that hold memory of their own.
            List<Outcome> others = new ArrayList<>();
            for (Scheduler.Submission other : mixed(p, 2)) {
                Outcome o = new Outcome();
                s.submit(withListener(other, o));
                others.add(o);
            }
            Outcome o = new Outcome();
            s.submit(withListener(r, o));
            assertSameResult(run, o.get(), "speculative rejection");
            for (Outcome other : others) {
                other.get();
            }
        }
    }

    @Test
    void aGatingRewardModelsPromptInSmallChunksGivesTheScoresOfOneWholePrefill() throws Exception {
        TestModels.Pair p = TestModels.gating(); // ArmoRM: its gate row is read by whichever chunk holds the gate
        DecodingSetup setup = DecodingSetup.of(null, 0.5, p.budget(8, 24, 0.5), 24, p.sampling(), 3)
                .withDecideEvery(4).withMaxBatch(8);
        Result whole = p.speculativeRejection().run(p.prompt(), setup);
        try (Scheduler s = scheduler(p, BIG, 256, 3, 8)) {
            Outcome o = new Outcome();
            s.submit(new Scheduler.Submission(SpeculativeRejection.NAME, p.prompt(), setup,
                    new RequestOptions(null, o)));
            assertSameResult(whole, o.get(), "armo-rm in 3-token chunks");
        }
        assertTrue(whole.stats().decisions().size() >= 2);
    }

    @Test
    void underATightBudgetRequestsQueueNeverExceedItAndAllComplete() throws Exception {
        TestModels.Pair p = TestModels.mini();
        List<Scheduler.Submission> requests = mixed(p, 8);
        long budget = 6L << 20; // two Speculative Rejection quotas do not fit beside each other
        List<Outcome> outcomes = new ArrayList<>();
        int sawQueued = 0;
        try (Scheduler s = scheduler(p, budget, 256, 64, 64)) {
            for (Scheduler.Submission r : requests) {
                Outcome o = new Outcome();
                s.submit(withListener(r, o));
                outcomes.add(o);
            }
            sawQueued = s.queueDepth();
            for (Outcome o : outcomes) {
                o.get();
                assertTrue(s.kvBytesReserved() <= budget);
            }
            assertTrue(s.kvPeakBytes() <= budget, "peak " + s.kvPeakBytes() + " of " + budget);
            assertTrue(s.kvPeakBytes() > 0);
            awaitIdle(s);
            assertEquals(0, s.kvBytesInUse());
            assertEquals(0, s.kvBytesReserved());
        }
        assertTrue(sawQueued > 0, "some requests waited for memory");
    }

    @Test
    void aFullQueueRefusesAndARequestLargerThanTheBudgetFails() throws Exception {
        TestModels.Pair p = TestModels.mini();
        List<Scheduler.Submission> requests = mixed(p, 4);
        try (Scheduler s = new Scheduler(p.generation(), p.scorer().service(),
                new Scheduler.Config(8L << 20, 16, 64, 2))) {
            // Not started: nothing leaves the queue.
            s.submit(requests.get(0));
            s.submit(requests.get(1));
            assertThrows(Scheduler.QueueFullException.class, () -> s.submit(requests.get(2)));
        }
        try (Scheduler s = scheduler(p, 1L << 20, 16, 64, 4)) {
            Outcome o = new Outcome();
            s.submit(withListener(requests.get(2), o)); // asks for a 3 MiB quota of a 1 MiB server
            Exception e = assertThrows(Exception.class, o::get);
            assertTrue(e.getCause().getMessage().contains("bytes of KV memory"), e.getCause().getMessage());
        }
    }

    @Test
    void cancellingFreesEveryByteWithinAStep() throws Exception {
        TestModels.Pair p = TestModels.mini();
        Prompt prompt = p.generation().promptEncoder().encode("Write a long story about a dragon.");
        DecodingSetup setup = new DecodingSetup(8, 0, BIG, 400, SamplingParams.sample(1.0, 50, 1.0), 1, null, 8);
        try (Scheduler s = scheduler(p, BIG, 256, 256, 8)) {
            Outcome o = new Outcome();
            Scheduler.Ticket t = s.submit(new Scheduler.Submission(BestOfN.NAME, prompt, setup,
                    new RequestOptions(null, o)));
            while (o.steps < 3) {
                Thread.sleep(5);
            }
            t.cancel("the test cancels");
            Exception e = assertThrows(Exception.class, o::get);
            assertTrue(e.getCause() instanceof Scheduler.CancelledException);
            awaitIdle(s);
            assertEquals(0, s.kvBytesInUse());
            assertEquals(0, s.kvBytesReserved());
        }
    }
}
