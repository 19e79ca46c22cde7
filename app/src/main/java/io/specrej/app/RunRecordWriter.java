package io.specrej.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.decoding.Result;
import io.specrej.decoding.Trajectory;
import io.specrej.engine.text.ChatMessage;

/**
 * One prompt's result as a line of a run file (JSON Lines). The format is documented in app/RUN-FILES.md; readers are
 * {@link RunFile} and {@link RunRecord}. Scores that do not exist (a trajectory rejected before its first score) are
 * written as null, never as NaN, so any JSON reader can load the file.
 */
final class RunRecordWriter {
    private RunRecordWriter() {
    }

    static ObjectNode record(int promptIndex, PromptFile.Item prompt, long promptSeed, ObjectNode params,
                             ObjectNode provenance, Result r) {
        ObjectNode o = Json.object();
        o.put("prompt_index", promptIndex);
        o.put("prompt", prompt.text());
        if (prompt.messages() != null) {
            ArrayNode messages = o.putArray("messages");
            for (ChatMessage m : prompt.messages()) {
                messages.addObject().put("role", m.role()).put("content", m.content());
            }
        }
        o.set("params", params);
        o.set("provenance", provenance);
        o.put("prompt_seed", promptSeed);
        ArrayNode trajectories = o.putArray("trajectories");
        for (Result.Candidate c : r.trajectories()) {
            trajectories.add(trajectory(c, r.stats().decisions()));
        }
        ObjectNode best = o.putObject("best");
        best.put("id", r.best().id());
        best.put("text", r.best().text());
        number(best, "score", r.best().score());
        best.put("tokens", r.best().tokens().length);
        o.set("stats", stats(r.stats()));
        return o;
    }

    private static ObjectNode trajectory(Result.Candidate c, java.util.List<Result.Decision> decisions) {
        ObjectNode t = Json.object();
        t.put("id", c.id());
        t.put("text", c.text());
        t.put("tokens", c.tokens().length);
        ArrayNode ids = t.putArray("token_ids");
        for (int id : c.tokens()) {
            ids.add(id);
        }
        t.put("finished", c.finishReason() != null);
        t.put("finish_reason", c.finishReason());
        t.put("stopped_by_budget", c.stoppedByBudget());
        number(t, "score", c.score());
        // rejected_at is the decision's index, which read as a token count; the two named fields say which is which
        // (rejected_at stays for readers written before them).
        if (c.rejectedAt() == null) {
            t.putNull("rejected_at");
            t.putNull("rejected_at_decision");
            t.putNull("rejected_at_tokens");
        } else {
            t.put("rejected_at", c.rejectedAt());
            t.put("rejected_at_decision", c.rejectedAt());
            t.put("rejected_at_tokens", decisions.get(c.rejectedAt()).tokensSoFar());
        }
        ArrayNode partial = t.putArray("partial_scores");
        for (Trajectory.PartialScore p : c.partialScores()) {
            ArrayNode pair = partial.addArray();
            pair.add(p.tokens());
            if (Double.isFinite(p.score())) {
                pair.add(p.score());
            } else {
                pair.addNull();
            }
        }
        return t;
    }

    private static ObjectNode stats(Result.Stats s) {
        ObjectNode o = Json.object();
        o.put("wall_seconds", s.wallSeconds());
        o.put("prefill_seconds", s.prefillSeconds());
        o.put("generation_seconds", s.generationSeconds());
        o.put("reward_seconds", s.rewardSeconds());
        o.put("rejection_seconds", s.rejectionSeconds());
        o.put("generated_tokens", s.generatedTokens());
        o.put("reward_tokens", s.rewardTokens());
        o.put("reward_tokens_full_rescoring", s.rewardTokensFull());
        o.put("peak_kv_bytes", s.peakKvBytes());
        o.put("initial_batch", s.initialBatch());
        o.put("stopped_by_budget", s.stoppedByBudget());
        ArrayNode decisions = o.putArray("decisions");
        for (Result.Decision d : s.decisions()) {
            ObjectNode j = decisions.addObject();
            j.put("tokens_so_far", d.tokensSoFar());
            j.put("active_before", d.activeBefore());
            j.put("kept", d.kept());
            j.put("memory_triggered", d.memoryTriggered());
            j.put("reward_tokens", d.rewardTokens());
            j.put("reward_tokens_full_rescoring", d.rewardTokensFull());
        }
        return o;
    }

    private static void number(ObjectNode o, String field, double value) {
        if (Double.isFinite(value)) {
            o.put(field, value);
        } else {
            o.putNull(field);
        }
    }
}
