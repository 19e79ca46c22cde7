package io.specrej.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import org.junit.jupiter.api.Test;

/** Sizes, shards and seeds: the small parsers behind run's options. */
class UnitsParsingTest {
    @Test
    void sizesInBinaryAndDecimalUnits() {
        assertEquals(1_000_000L, ByteSizes.parse("1000000", "--memory-budget"));
        assertEquals(512L << 20, ByteSizes.parse("512MiB", "--memory-budget"));
        assertEquals(2L << 30, ByteSizes.parse("2GiB", "--memory-budget"));
        assertEquals(2L << 30, ByteSizes.parse("2g", "--memory-budget"));
        assertEquals(1_500_000_000L, ByteSizes.parse("1.5GB", "--memory-budget"));
        assertEquals(3L << 39, ByteSizes.parse("1.5 TiB", "--memory-budget"));
        for (String bad : new String[] {"", "GiB", "-1GiB", "2 GiBs", "0", "1e9"}) {
            assertThrows(BadInputException.class, () -> ByteSizes.parse(bad, "--memory-budget"), bad);
        }
    }

    @Test
    void shardsPartitionTheIndices() {
        Shard s = Shard.parse("1/3");
        assertEquals(new Shard(1, 3), s);
        assertTrue(s.takes(1) && s.takes(4) && !s.takes(0) && !s.takes(5));
        for (String bad : new String[] {"3/3", "-1/2", "1", "a/b", "0/0", "1/2/3"}) {
            assertThrows(BadInputException.class, () -> Shard.parse(bad), bad);
        }
    }

    @Test
    void promptSeedsDependOnRunSeedAndIndexOnly() {
        assertEquals(PromptSeeds.forPrompt(7, 3), PromptSeeds.forPrompt(7, 3));
        assertNotEquals(PromptSeeds.forPrompt(7, 3), PromptSeeds.forPrompt(7, 4));
        assertNotEquals(PromptSeeds.forPrompt(7, 3), PromptSeeds.forPrompt(8, 3));
        assertTrue(PromptSeeds.forPrompt(-1, 0) >= 0);
    }
}
