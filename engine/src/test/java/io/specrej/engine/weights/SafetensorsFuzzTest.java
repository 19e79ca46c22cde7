package io.specrej.engine.weights;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.specrej.engine.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Fuzzing the safetensors header parser and the shard index (issue 19, scope 5): whatever the bytes, opening gives a
 * validated file or a {@link BadInputException} with a message, never another exception.
 */
class SafetensorsFuzzTest {
    /** The file every try writes, one try at a time (the module's build directory: Maven runs tests from there). */
    private static final Path FILE = Path.of("target", "safetensors-fuzz.bin");

    /** Numbers around every boundary the parser cares about: signs, int and long overflow, the data size. */
    static Arbitrary<String> number() {
        return Arbitraries.oneOf(Arbitraries.of("0", "1", "2", "4", "8", "-1", "2147483648", "4611686018427387904",
                "9223372036854775807", "9223372036854775808", "1e3", "1.5", "\"3\"", "null", "[]", "{}"),
                Arbitraries.longs().between(0, 64).map(String::valueOf));
    }

    static Arbitrary<String> array(Arbitrary<String> element) {
        return element.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]");
    }

    static Arbitrary<String> entry() {
        Arbitrary<String> dtype = Arbitraries.of("\"F32\"", "\"BF16\"", "\"F16\"", "\"U8\"", "\"I64\"", "\"F8_E4M3\"",
                "\"X\"", "3", "null");
        Arbitrary<String> name = Arbitraries.of("\"a\"", "\"b\"", "\"model.w\"", "\"__metadata__\"", "\"\"",
                "\"\\u0000\"", "\"\\ud800\"");
        return Combinators.combine(name, dtype, array(number()), array(number()), Arbitraries.integers().between(0, 7))
                .as((n, d, shape, offsets, drop) -> n + ":{" + (drop == 1 ? "" : "\"dtype\":" + d + ",")
                        + (drop == 2 ? "" : "\"shape\":" + shape + ",") + "\"data_offsets\":" + offsets + "}");
    }

    @Provide
    Arbitrary<String> headers() {
        Arbitrary<String> structured = entry().list().ofMaxSize(5).map(l -> "{" + String.join(",", l) + "}");
        Arbitrary<String> metadata = Arbitraries.of("{\"__metadata__\":{\"format\":\"pt\"}}",
                "{\"__metadata__\":[1]}", "{\"__metadata__\":{\"n\":1}}");
        Arbitrary<String> junk = Arbitraries.strings().ofMaxLength(40);
        return Arbitraries.frequencyOf(Tuple.of(8, structured), Tuple.of(1, metadata),
                Tuple.of(1, junk));
    }

    @Property
    void anyHeaderOpensValidatedOrFailsWithAMessage(@ForAll("headers") String header,
                                                    @ForAll("dataSizes") int dataBytes,
                                                    @ForAll("lengthFields") long lengthDelta) throws IOException {
        byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        RawSafetensors.writeWithLength(FILE, json.length + lengthDelta, json,
                new byte[dataBytes]);
        try (SafetensorsFile f = SafetensorsFile.open(FILE)) {
            long dataStart = 8 + json.length;
            for (TensorInfo t : f.tensors().values()) {
                assertTrue(t.data().byteSize() == t.byteSize(), t.toString());
                assertTrue(dataStart + t.byteSize() <= Files.size(FILE), t.toString());
            }
        } catch (BadInputException e) {
            assertMessage(e);
        }
    }

    @Provide
    Arbitrary<Integer> dataSizes() {
        return Arbitraries.integers().between(0, 48);
    }

    @Provide
    Arbitrary<Long> lengthFields() {
        return Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(0L)),
                Tuple.of(1, Arbitraries.of(-3L, -1L, 1L, 1L << 40, Long.MIN_VALUE / 2)));
    }

    @Provide
    Arbitrary<String> indexes() {
        Arbitrary<String> shard = Arbitraries.of("\"model-00001.safetensors\"", "\"../x\"", "\"/etc/passwd\"",
                "\"\"", "\".\"", "\"a/b\"", "\"a\\u0000b\"", "1", "null", "[]");
        Arbitrary<String> map = Combinators.combine(Arbitraries.of("\"w\"", "\"v\"", "\"\""), shard)
                .as((k, v) -> k + ":" + v).list().ofMaxSize(3).map(l -> "{" + String.join(",", l) + "}");
        return Arbitraries.oneOf(map.map(m -> "{\"weight_map\":" + m + "}"),
                Arbitraries.of("{}", "[]", "null", "", "{\"weight_map\":[]}", "{\"weight_map\":1}"),
                Arbitraries.strings().ofMaxLength(30));
    }

    @Property
    void anyIndexReadsOrFailsWithAMessage(@ForAll("indexes") String text) throws IOException {
        Files.writeString(FILE, text);
        try {
            ShardIndex index = ShardIndex.read(FILE);
            assertFalse(index.weightMap().isEmpty());
            for (String shard : index.shards()) {
                assertTrue(Path.of(shard).getNameCount() == 1 && !shard.equals(".."), shard);
            }
        } catch (BadInputException e) {
            assertMessage(e);
        }
    }

    static void assertMessage(BadInputException e) {
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "a BadInputException without a message");
    }

}
