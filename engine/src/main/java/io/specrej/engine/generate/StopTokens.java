package io.specrej.engine.generate;

import java.util.List;

/** The token ids that end a sequence (eos, as generate takes them); bos and pad are never stop tokens. */
public final class StopTokens {
    public static final StopTokens NONE = new StopTokens(new int[0]);
    private final int[] ids;

    private StopTokens(int[] ids) {
        this.ids = ids;
    }

    public static StopTokens of(List<Integer> ids) {
        return new StopTokens(ids.stream().mapToInt(Integer::intValue).distinct().toArray());
    }

    public boolean isStop(int token) {
        for (int id : ids) {
            if (id == token) {
                return true;
            }
        }
        return false;
    }

    public int[] ids() {
        return ids.clone();
    }
}
