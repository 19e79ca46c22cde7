package io.specrej.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code specrej merge}: joins the run files of {@code run --shard} processes into the file one process would have
 * written (records in prompt order, each exactly as its shard wrote it). Per-prompt seeds make the records equal to a
 * single run's, timings aside. Refuses shards of different parameters, a prompt in two shards, and gaps in the
 * prompt indices, naming them.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Join run files written by 'run --shard i/k' (or --shard auto) into one, prompts in dataset "
                + "order. All shards must come from the same command (same params on every line); a prompt in two "
                + "shards, or a prompt index missing between 0 and the largest, is an error naming them."})
final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "SHARD.jsonl", description = "The shards' run files.")
    List<Path> shards;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "The merged run file.")
    Path out;

    @Option(names = "--force", description = "Overwrite an existing --out.")
    boolean force;

    @Option(names = "--allow-gaps", description = "Accept missing prompt indices (prompts a --skip-too-long run "
            + "left out, or a --limit smaller than the file).")
    boolean allowGaps;

    @Override
    public Integer call() throws IOException {
        for (Path s : shards) {
            if (Files.exists(s) && Files.exists(out) && Files.isSameFile(s, out)) {
                throw new BadInputException("--out " + out + " is one of the shards; write the merge elsewhere");
            }
        }
        if (Files.exists(out) && !force) {
            throw new BadInputException("--out " + out + " exists; pass --force to overwrite it");
        }
        Map<Integer, String> lines = new TreeMap<>();
        Map<Integer, Path> from = new TreeMap<>();
        JsonNode params = null;
        JsonNode provenance = null;
        Path paramsFrom = null;
        for (Path shard : shards) {
            RunFile file = RunFile.read(shard).requireRecords();
            if (file.truncatedTail) {
                throw new BadInputException(shard + ": its last line is incomplete (a killed run); finish it with "
                        + "'run --resume' first");
            }
            for (RunRecord r : file.records) {
                if (params == null) {
                    params = r.params();
                    provenance = r.provenance();
                    paramsFrom = shard;
                } else if (!params.equals(SameModels.aligned(r.params(), r.provenance(), params, provenance))) {
                    throw new BadInputException(shard + " line " + r.line() + " was made with other parameters than "
                            + paramsFrom + " (" + firstDifference(params, r.params()) + "): shards of different runs"
                            + " cannot be merged");
                }
                Path earlier = from.putIfAbsent(r.promptIndex(), shard);
                if (earlier != null) {
                    throw new BadInputException("prompt_index " + r.promptIndex() + " is in " + earlier
                            + (earlier.equals(shard) ? " twice" : " and in " + shard) + ": overlapping shards");
                }
                lines.put(r.promptIndex(), Json.line(r.json()));
            }
        }
        List<Integer> missing = new ArrayList<>();
        int last = ((TreeMap<Integer, String>) lines).lastKey();
        for (int i = 0; i <= last; i++) {
            if (!lines.containsKey(i)) {
                missing.add(i);
            }
        }
        if (!missing.isEmpty() && !allowGaps) {
            throw new BadInputException((missing.size() == 1 ? "prompt index " : "prompt indices ") + shown(missing)
                    + (missing.size() == 1 ? " is" : " are") + " in no shard (a shard missing or unfinished?); pass "
                    + "--allow-gaps if they were left out on purpose");
        }
        try (RunOutput output = RunOutput.lock(out)) { // exclusive, as run's --out: no second writer splices in
            output.truncate(0);
            for (String line : lines.values()) {
                output.writeLine(line);
            }
        }
        spec.commandLine().getErr().println("merged " + lines.size() + " prompt(s) from " + shards.size()
                + " shard(s) into " + out);
        return Main.EXIT_OK;
    }

    private static String shown(List<Integer> indices) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < Math.min(indices.size(), 10); i++) {
            s.add(Integer.toString(indices.get(i)));
        }
        return String.join(", ", s) + (indices.size() > 10 ? ", ... (" + indices.size() + " in all)" : "");
    }

    private static String firstDifference(JsonNode a, JsonNode b) {
        for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!a.get(f).equals(b.get(f))) {
                return f + " " + a.get(f) + " vs " + b.get(f);
            }
        }
        return "fields of their own";
    }
}
