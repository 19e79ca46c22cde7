package io.specrej.decoding;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import io.specrej.engine.sample.SamplingParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad parameters fail before any work, naming the option a person would change. */
class BadInputTest {
    private static final SamplingParams SAMPLING = SamplingParams.sample(1.0, 0, 1.0);

    private static void assertNames(String option, Executable call) {
        BadInputException e = assertThrows(BadInputException.class, call);
        assertTrue(e.getMessage().contains(option), "'" + e.getMessage() + "' should name " + option);
    }

    @Test
    void setupRejectsBadValues() {
        assertNames("--alpha", () -> DecodingSetup.of(4, -0.1, 1 << 20, 8, SAMPLING, 0));
        assertNames("--alpha", () -> DecodingSetup.of(4, 1.0, 1 << 20, 8, SAMPLING, 0));
        assertNames("--alpha", () -> DecodingSetup.of(4, Double.NaN, 1 << 20, 8, SAMPLING, 0));
        assertNames("--n", () -> DecodingSetup.of(0, 0.5, 1 << 20, 8, SAMPLING, 0));
        assertNames("--memory-budget", () -> DecodingSetup.of(4, 0.5, 0, 8, SAMPLING, 0));
        assertNames("--max-new-tokens", () -> DecodingSetup.of(4, 0.5, 1 << 20, 0, SAMPLING, 0));
        assertNames("--decide-every", () -> DecodingSetup.of(4, 0.5, 1 << 20, 8, SAMPLING, 0).withDecideEvery(0));
        assertNames("--max-batch", () -> DecodingSetup.of(4, 0.5, 1 << 20, 8, SAMPLING, 0).withMaxBatch(0));
    }

    @Test
    void budgetTooSmallForOneSequenceIsRejected() {
        TestModels.Pair p = TestModels.fixture();
        DecodingSetup setup = DecodingSetup.of(4, 0.5, p.pageBytes(), 16, p.sampling(), 0);
        assertNames("--memory-budget", () -> p.speculativeRejection().run(p.prompt(), setup));
        assertNames("--memory-budget", () -> p.speculativeRejection().run(p.prompt(), setup.withN(null)));
        assertNames("--memory-budget", () -> p.bestOfN().run(p.prompt(), setup));
        // A failed run leaves nothing behind: the next run with a sound budget works.
        Result r = p.bestOfN().run(p.prompt(), setup.withMemoryBudget(p.budget(4, 16, 1.0)));
        assertTrue(r.trajectories().size() == 4);
    }

    @Test
    void bestOfNNeedsN() {
        TestModels.Pair p = TestModels.fixture();
        assertNames("--n", () -> p.bestOfN().run(p.prompt(),
                DecodingSetup.of(null, 0, p.budget(4, 16, 1.0), 16, p.sampling(), 0)));
    }
}
