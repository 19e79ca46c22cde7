package io.specrej.engine.model;

import io.specrej.engine.model.TensorTable.Entry;
import io.specrej.engine.model.TensorTable.Role;
import io.specrej.engine.tensor.WeightMatrix;
import io.specrej.engine.weights.CheckpointWeights;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Binds every tensor of the config's table ({@link ModelConfig#tensors()}) to its role, checking shapes and dtypes.
 * Accepts both prefixed keys (model.layers.0..., transformer.h.0...) and bare backbone keys (layers.0..., h.0...).
 */
final class WeightBinder {
    private WeightBinder() {
    }

    static ModelWeights bind(ModelConfig c, CheckpointWeights w) {
        List<Entry> table = c.tensors();
        String prefix = c.family().backbonePrefix();
        String embedName = table.stream().filter(e -> e.role() == Role.EMBED).findFirst().orElseThrow().name();
        boolean bare = !w.contains(embedName) && w.contains(embedName.substring(prefix.length()));
        Map<Role, Object> model = new EnumMap<>(Role.class);
        @SuppressWarnings("unchecked")
        Map<Role, Object>[] layers = new Map[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new EnumMap<>(Role.class);
        }
        for (Entry e : table) {
            if (e.role() == Role.HEAD || e.role() == Role.LM_HEAD || e.role() == Role.LM_HEAD_BIAS) {
                continue; // the head binds its own tensors
            }
            String name = bare && e.name().startsWith(prefix) ? e.name().substring(prefix.length()) : e.name();
            (e.layer() < 0 ? model : layers[e.layer()]).put(e.role(), load(w, name, e));
        }
        LayerWeights[] blocks = new LayerWeights[c.layers()];
        for (int i = 0; i < blocks.length; i++) {
            Map<Role, Object> l = layers[i];
            blocks[i] = new LayerWeights(
                    v(l, Role.ATTN_NORM), v(l, Role.ATTN_NORM_BIAS),
                    m(l, Role.Q), m(l, Role.K), m(l, Role.V), m(l, Role.QKV),
                    v(l, Role.Q_BIAS), v(l, Role.K_BIAS), v(l, Role.V_BIAS), v(l, Role.QKV_BIAS),
                    v(l, Role.Q_NORM), v(l, Role.K_NORM),
                    m(l, Role.O), v(l, Role.O_BIAS),
                    v(l, Role.MLP_NORM), v(l, Role.MLP_NORM_BIAS),
                    m(l, Role.GATE), v(l, Role.GATE_BIAS), m(l, Role.UP), v(l, Role.UP_BIAS),
                    m(l, Role.DOWN), v(l, Role.DOWN_BIAS));
        }
        WeightMatrix embed = m(model, Role.EMBED);
        OutputHead head = c.rewardHead() == null ? LmHead.bind(c, w, embed) : c.rewardHead().bind(c, w);
        return new ModelWeights(embed, m(model, Role.POSITIONS), blocks, v(model, Role.FINAL_NORM),
                v(model, Role.FINAL_NORM_BIAS), head);
    }

    private static Object load(CheckpointWeights w, String name, Entry e) {
        long[] s = e.shape();
        if (s.length == 1) {
            return w.vector(name, Math.toIntExact(s[0]));
        }
        if (e.transposed()) {
            return w.matrixTransposed(name, Math.toIntExact(s[1]), Math.toIntExact(s[0]));
        }
        return w.matrix(name, Math.toIntExact(s[0]), Math.toIntExact(s[1]));
    }

    private static WeightMatrix m(Map<Role, Object> roles, Role role) {
        return (WeightMatrix) roles.get(role);
    }

    private static float[] v(Map<Role, Object> roles, Role role) {
        return (float[]) roles.get(role);
    }
}
