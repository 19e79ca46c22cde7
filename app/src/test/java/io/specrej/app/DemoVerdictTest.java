package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DemoVerdictTest {
    private static final DemoVerdict.Side BEST_OF_N = new DemoVerdict.Side(1.4900, 2.0, 400, 450);
    private static final DemoVerdict.Side BEST_OF_N0 = new DemoVerdict.Side(2.2000, 9.0, 1600, 1700);

    @Test
    void saysWhatTheNumbersShowWhenSpeculativeRejectionWins() {
        DemoVerdict.Side specRej = new DemoVerdict.Side(1.8200, 3.0, 800, 900);
        assertEquals("In the same memory, Speculative Rejection (starting N0 = 32) scored higher than Best-of-N "
                        + "(N = 8): mean best score 1.8200 vs 1.4900; Best-of-N0, which finishes every response it "
                        + "started, scored 2.2000 and took 3.0x its wall time and 2.0x its generated tokens.",
                DemoVerdict.sentence("8", "32", BEST_OF_N, specRej, BEST_OF_N0));
    }

    @Test
    void saysLowerWhenItLoses() {
        DemoVerdict.Side specRej = new DemoVerdict.Side(1.2, 4.5, 800, 900);
        String sentence = DemoVerdict.sentence("7-8", "18-35", BEST_OF_N, specRej, BEST_OF_N0);
        assertTrue(sentence.contains("(starting N0 = 18-35) scored lower than Best-of-N (N = 7-8): mean best "
                + "score 1.2000 vs 1.4900"), sentence);
        assertTrue(sentence.contains("took 2.0x its wall time and 2.0x its generated tokens."), sentence);
    }

    /** Scores are compared as they are printed, so "higher" never stands beside two equal numbers. */
    @Test
    void comparesAtThePrintedPrecision() {
        assertEquals("the same as", DemoVerdict.comparison(1.00001, 1.0));
        assertEquals("higher than", DemoVerdict.comparison(1.0001, 1.0));
        assertEquals("lower than", DemoVerdict.comparison(-0.5, -0.4999));
    }

    @Test
    void aZeroCostIsNotARatio() {
        DemoVerdict.Side nothing = new DemoVerdict.Side(0, 0, 0, 0);
        assertTrue(DemoVerdict.sentence("1", "1", nothing, nothing, nothing).contains("took n/a its wall "
                + "time and n/a its generated tokens"));
    }
}
