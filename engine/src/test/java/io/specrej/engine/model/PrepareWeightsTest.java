package io.specrej.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.TestData;
import io.specrej.engine.cache.KvCache;
import io.specrej.engine.tensor.MatmulBackend;
import io.specrej.engine.tensor.VectorMatmul;
import io.specrej.engine.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model hands its backend every weight it multiplies by once, before its first multiply (so a copying backend such
 * as oneDNN can copy the largest first), and not at load (inspect must stay cheap).
 */
class PrepareWeightsTest {
    private static final class Recording implements MatmulBackend {
        final List<List<WeightMatrix>> prepared = new ArrayList<>();
        int multipliesBeforePrepare;
        final VectorMatmul inner = new VectorMatmul();

        @Override
        public void prepare(List<WeightMatrix> weights) {
            prepared.add(List.copyOf(weights));
        }

        @Override
        public void multiply(float[] input, int rows, WeightMatrix weight, float[] output) {
            if (prepared.isEmpty()) {
                multipliesBeforePrepare++;
            }
            inner.multiply(input, rows, weight, output);
        }

        @Override
        public String name() {
            return "recording";
        }
    }

    @Test
    void everyMultipliedWeightIsPreparedOnceBeforeTheFirstPass() {
        Recording backend = new Recording();
        try (TransformerModel model = TransformerModel.load(TestData.fixtureModel("llama"), backend)) {
            assertEquals(0, backend.prepared.size(), "nothing is prepared at load");
            KvCache cache = model.newCache();
            int a = cache.newSequence();
            int b = cache.newSequence();
            model.forwardLast(cache, new int[] {a, b}, new int[] {0, 3, 5}, 2, new int[] {5, 6, 7, 8, 9});
            model.forwardLast(cache, new int[] {a}, new int[] {0, 1}, 1, new int[] {10});
            assertEquals(1, backend.prepared.size(), "prepared exactly once");
            assertEquals(0, backend.multipliesBeforePrepare);
            long elements = 0;
            for (WeightMatrix w : backend.prepared.get(0)) {
                elements += (long) w.rows() * w.cols();
            }
            assertEquals(model.matmulParameters(), elements, "the prepared weights are all the multiplied ones");
            assertTrue(backend.prepared.get(0).contains(model.lmHead()), "the head is among them");
        }
    }
}
