package io.specrej.app;

import java.util.Locale;

/**
 * The demo's one sentence of interpretation, worded from the measured totals, so it says only what they show: whether
 * Speculative Rejection's mean best score came out above, below or level with Best-of-N's in the same memory, and what
 * finishing every response it started (Best-of-N0) cost next to it.
 */
final class DemoVerdict {
    /** One strategy's totals over the demo's prompts. */
    record Side(double meanBestScore, double wallSeconds, long generatedTokens, long rewardTokens) {
    }

    private DemoVerdict() {
    }

    /**
     * @param fits    Best-of-N's N, what fits in one wave (one number, or a range when the prompts differ)
     * @param started Speculative Rejection's initial batch, likewise
     */
    static String sentence(String fits, String started, Side bestOfFits, Side specRej, Side bestOfStarted) {
        return String.format(Locale.ROOT, "In the same memory, Speculative Rejection (starting N0 = %s) scored %s "
                        + "Best-of-N (N = %s): mean best score %s vs %s; Best-of-N0, which finishes every response it "
                        + "started, scored %s and took %s its wall time and %s its generated tokens.",
                started, comparison(specRej.meanBestScore(), bestOfFits.meanBestScore()), fits,
                shown(specRej.meanBestScore()), shown(bestOfFits.meanBestScore()), shown(bestOfStarted.meanBestScore()),
                ratio(bestOfStarted.wallSeconds(), specRej.wallSeconds()),
                ratio(bestOfStarted.generatedTokens(), specRej.generatedTokens()));
    }

    /** Compared as printed (4 decimals), so the words never contradict the numbers beside them. */
    static String comparison(double score, double other) {
        long a = Math.round(score * 1e4);
        long b = Math.round(other * 1e4);
        return a > b ? "higher than" : a < b ? "lower than" : "the same as";
    }

    private static String shown(double score) {
        return TextTable.fixed(score, 4);
    }

    private static String ratio(double part, double whole) {
        return whole > 0 ? String.format(Locale.ROOT, "%.1fx", part / whole) : "n/a";
    }
}
