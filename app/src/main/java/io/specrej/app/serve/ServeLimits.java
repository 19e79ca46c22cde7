package io.specrej.app.serve;

/**
 * What one request may ask for (each a {@code serve} option).
 *
 * @param maxBodyBytes       request body size (413 above)
 * @param maxN               {@code n} at most
 * @param maxBestOf          {@code best_of} at most
 * @param maxCandidates      Speculative Rejection's initial batch at most ({@code max_candidates}, and the cap on the
 *                           batch its budget chooses)
 * @param requestBudgetBytes a Speculative Rejection request's KV quota unless it sends {@code memory_budget}
 * @param timeoutMillis      a request still running after this is cancelled (408 / an error event)
 * @param defaultMaxTokens   new tokens when a chat request gives no {@code max_tokens} (capped by the context)
 */
public record ServeLimits(long maxBodyBytes, int maxN, int maxBestOf, int maxCandidates, long requestBudgetBytes,
                          long timeoutMillis, int defaultMaxTokens) {
}
