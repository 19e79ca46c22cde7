package io.specrej.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import org.junit.jupiter.api.Test;

/** Issue 19 item 10: a bad -Dspecrej.threads is one clear error, checked apart from Parallel's class initializer. */
class ThreadsPropertyTest {
    @Test
    void parsesPositiveIntegersAndRefusesTheRest() {
        String before = System.getProperty(ThreadsProperty.NAME);
        try {
            System.clearProperty(ThreadsProperty.NAME);
            assertNull(ThreadsProperty.parse());
            System.setProperty(ThreadsProperty.NAME, " 3 ");
            assertEquals(3, ThreadsProperty.parse());
            for (String bad : new String[] {"abc", "0", "-2", "1.5"}) {
                System.setProperty(ThreadsProperty.NAME, bad);
                String m = assertThrows(BadInputException.class, ThreadsProperty::parse).getMessage();
                assertTrue(m.contains("-Dspecrej.threads") && m.contains("'" + bad + "'"), m);
            }
        } finally {
            if (before == null) {
                System.clearProperty(ThreadsProperty.NAME);
            } else {
                System.setProperty(ThreadsProperty.NAME, before);
            }
        }
    }
}
