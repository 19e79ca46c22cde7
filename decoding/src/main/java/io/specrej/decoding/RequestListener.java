package io.specrej.decoding;

import java.util.List;

/**
 * What a running request reports as it goes, called on the scheduler's thread between passes (implementations must
 * be quick and must not call back into the scheduler). Every method has a no-op default.
 */
public interface RequestListener {
    RequestListener NONE = new RequestListener() {
    };

    /** The request got its KV quota and starts (after waiting in the queue). */
    default void admitted(long quotaBytes) {
    }

    /** Candidates were created (forked from the prompt, each with its first token). */
    default void started(List<Trajectory> created) {
    }

    /** One decode step ran: each of these trajectories got one more token (some may have finished). */
    default void stepped(List<Trajectory> advanced) {
    }

    /** A rejection decision was taken: the ranked trajectories (best first) and how many were kept. */
    default void decided(Result.Decision decision, List<Trajectory> ranked, int kept) {
    }

    /** Trajectories were scored (partial or final rewards recorded). */
    default void scored(List<Trajectory> scored) {
    }

    /** The request finished with this result. */
    default void finished(Result result) {
    }

    /** The request failed (bad input found late, cancellation, or an internal error); its KV is already freed. */
    default void failed(RuntimeException error) {
    }
}
