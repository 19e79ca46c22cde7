package io.specrej.app;

import io.specrej.engine.BadInputException;

/** {@code --shard i/k}: this process takes the prompts whose index modulo k is i (0-based). */
record Shard(int index, int count) {
    static final Shard ALL = new Shard(0, 1);

    static Shard parse(String text) {
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

    boolean takes(int promptIndex) {
        return promptIndex % count == index;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
