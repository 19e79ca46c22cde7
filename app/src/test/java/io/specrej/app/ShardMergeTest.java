package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.specrej.engine.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three shard processes and {@code merge} give a single process's run file, record for record (timings aside). */
class ShardMergeTest {
    @TempDir
    Path dir;

    private List<Object> run(Path out, String... extra) {
        List<Object> args = new ArrayList<>(List.of("run", "--prompts",
                TestData.root().resolve("testdata/alpaca_farm_dev50.json"), "--limit", "4", "--strategy", "specrej",
                "--memory-budget", "3MiB", "--max-new-tokens", "16", "--seed", "4", "--progress", "none", "--out", out));
        args.addAll(List.of(extra));
        return args;
    }

    private static JsonNode comparable(String line) throws Exception {
        ObjectNode record = (ObjectNode) TestData.JSON.readTree(line);
        ObjectNode stats = (ObjectNode) record.get("stats");
        for (Iterator<String> it = stats.fieldNames(); it.hasNext(); ) {
            if (it.next().endsWith("_seconds")) {
                it.remove();
            }
        }
        return record;
    }

    @Test
    void threeShardProcessesMergeIntoTheSingleRun() throws Exception {
        Path single = dir.resolve("single.jsonl");
        Cli.Result one = Cli.run(run(single).toArray());
        assertEquals(0, one.code(), one.toString());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Path> shards = new ArrayList<>();
        try {
            List<Future<Cli.Result>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path shard = dir.resolve("shard" + i + ".jsonl");
                shards.add(shard);
                Object[] args = run(shard, "--shard", i + "/3").toArray();
                results.add(pool.submit(() -> Cli.runInOwnJvm(List.of(), args)));
            }
            for (Future<Cli.Result> f : results) {
                assertEquals(0, f.get().code(), f.get().toString());
            }
        } finally {
            pool.shutdown();
        }
        Path merged = dir.resolve("merged.jsonl");
        List<Object> merge = new ArrayList<>(List.of("merge", "--out", merged));
        merge.addAll(List.of(shards.get(2), shards.get(0), shards.get(1))); // any order
        Cli.Result m = Cli.run(merge.toArray());
        assertEquals(0, m.code(), m.toString());
        List<String> expected = Files.readAllLines(single);
        List<String> actual = Files.readAllLines(merged);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(comparable(expected.get(i)), comparable(actual.get(i)), "record " + i);
        }
        // Refusals, each one line naming what is wrong; nothing is written.
        Path out2 = dir.resolve("out2.jsonl");
        Cli.Result overlap = Cli.run("merge", "--out", out2, shards.get(0), shards.get(0));
        assertEquals(2, overlap.code());
        assertTrue(overlap.err().contains("prompt_index 0 is in") && overlap.err().contains("overlapping"),
                overlap.err());
        Cli.Result gap = Cli.run("merge", "--out", out2, shards.get(0), shards.get(2));
        assertEquals(2, gap.code());
        assertTrue(gap.err().contains("prompt index 1 is in no shard"), gap.err());
        assertEquals(0, Cli.run("merge", "--out", out2, "--allow-gaps", shards.get(0), shards.get(2)).code());
        Path other = dir.resolve("other.jsonl");
        assertEquals(0, Cli.run(run(other, "--shard", "1/3", "--alpha", "0.7").toArray()).code());
        Cli.Result mixed = Cli.run("merge", "--out", dir.resolve("out3.jsonl"), shards.get(0), other, shards.get(2));
        assertEquals(2, mixed.code());
        assertTrue(mixed.err().contains("other parameters") && mixed.err().contains("alpha"), mixed.err());
        assertTrue(!Files.exists(dir.resolve("out3.jsonl")));
        Cli.Result exists = Cli.run("merge", "--out", merged, shards.get(0));
        assertEquals(2, exists.code());
        assertTrue(exists.err().contains("--force"), exists.err());
    }

    @Test
    void autoShardsComeFromKubernetesOrSlurm() {
        assertEquals(new Shard(2, 5), Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "2", "SPECREJ_SHARDS", "5")));
        assertEquals(new Shard(1, 4), Shard.parse("auto", Map.of("SLURM_ARRAY_TASK_ID", "2",
                "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1")));
        assertEquals(new Shard(3, 4), Shard.parse("auto", Map.of("SLURM_ARRAY_TASK_ID", "3",
                "SLURM_ARRAY_TASK_COUNT", "4")));
        BadInputException none = assertThrows(BadInputException.class, () -> Shard.parse("auto", Map.of()));
        assertTrue(none.getMessage().contains("--shard i/k"));
        assertThrows(BadInputException.class, () -> Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "2")));
        assertThrows(BadInputException.class, () -> Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "5",
                "SPECREJ_SHARDS", "5")));
    }
}
