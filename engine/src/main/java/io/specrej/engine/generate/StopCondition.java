package io.specrej.engine.generate;

/**
 * A stop rule beyond stop tokens, checked after every sampled token (e.g. OpenAI's stop strings: the decoded text
 * contains one). A sequence it stops finishes with reason "stop" and frees its KV at once.
 */
@FunctionalInterface
public interface StopCondition {
    StopCondition NONE = s -> false;

    boolean shouldStop(SequenceState sequence);
}
