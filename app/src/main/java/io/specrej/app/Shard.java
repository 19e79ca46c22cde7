package io.specrej.app;

import io.specrej.engine.BadInputException;

/**
 * {@code --shard i/k}: this process takes the prompts whose index modulo k is i (0-based). {@code --shard auto} takes
 * i and k from the scheduler that started the process: Kubernetes Indexed Jobs ({@code JOB_COMPLETION_INDEX}, with
 * the count in {@code SPECREJ_SHARDS}, since a pod is not told its job's completions) or Slurm job arrays
 * ({@code SLURM_ARRAY_TASK_ID} and {@code SLURM_ARRAY_TASK_COUNT}, the array starting at {@code SLURM_ARRAY_TASK_MIN}).
 */
record Shard(int index, int count) {
    static final Shard ALL = new Shard(0, 1);

    static Shard parse(String text) {
        return parse(text, System.getenv());
    }

    static Shard parse(String text, java.util.Map<String, String> env) {
        if (text != null && text.strip().equals("auto")) {
            return auto(env);
        }
        String[] parts = text == null ? new String[0] : text.strip().split("/", -1);
        try {
            if (parts.length == 2) {
                int i = Integer.parseInt(parts[0].strip());
                int k = Integer.parseInt(parts[1].strip());
                if (k >= 1 && i >= 0 && i < k) {
                    return new Shard(i, k);
                }
                throw new BadInputException("--shard " + text + ": need 0 <= i < k (shards are numbered from 0), "
                        + "e.g. --shard 0/" + Math.max(2, k));
            }
        } catch (NumberFormatException e) {
            // falls through to the format message
        }
        throw new BadInputException("--shard: \"" + text + "\" is not i/k (e.g. --shard 0/4 takes prompts 0, 4, 8, ...)");
    }

    private static Shard auto(java.util.Map<String, String> env) {
        if (env.containsKey("JOB_COMPLETION_INDEX")) {
            String count = env.get("SPECREJ_SHARDS");
            if (count == null) {
                throw new BadInputException("--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but"
                        + " SPECREJ_SHARDS is not: set it to the job's completions (see deploy/kubernetes)");
            }
            return of(env.get("JOB_COMPLETION_INDEX"), count, "JOB_COMPLETION_INDEX", "SPECREJ_SHARDS");
        }
        if (env.containsKey("SLURM_ARRAY_TASK_ID")) {
            String count = env.get("SLURM_ARRAY_TASK_COUNT");
            if (count == null) {
                throw new BadInputException("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is"
                        + " not (submit with sbatch --array)");
            }
            int min = env.containsKey("SLURM_ARRAY_TASK_MIN") ? number(env.get("SLURM_ARRAY_TASK_MIN"),
                    "SLURM_ARRAY_TASK_MIN") : 0;
            int id = number(env.get("SLURM_ARRAY_TASK_ID"), "SLURM_ARRAY_TASK_ID");
            return of(Integer.toString(id - min), count, "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN",
                    "SLURM_ARRAY_TASK_COUNT");
        }
        throw new BadInputException("--shard auto: neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX and "
                + "SPECREJ_SHARDS) nor a Slurm array (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) started this "
                + "process; give --shard i/k");
    }

    private static Shard of(String index, String count, String indexName, String countName) {
        int i = number(index, indexName);
        int k = number(count, countName);
        if (k < 1 || i < 0 || i >= k) {
            throw new BadInputException("--shard auto: " + indexName + " = " + i + " and " + countName + " = " + k
                    + " do not give 0 <= i < k");
        }
        return new Shard(i, k);
    }

    private static int number(String value, String name) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException | NullPointerException e) {
            throw new BadInputException("--shard auto: " + name + " is not an integer: \"" + value + "\"");
        }
    }

    boolean takes(int promptIndex) {
        return promptIndex % count == index;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
