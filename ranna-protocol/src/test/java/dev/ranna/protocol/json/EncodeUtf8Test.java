package dev.ranna.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.Utf8Text;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link EventEncoder#encode(Event, OutputStream)} writes exactly the UTF-8 of {@link EventEncoder#encode(Event)}. */
class EncodeUtf8Test {
    private static final EventEncoder EVENTS = EventEncoder.create();
    private static final ClientCodec CLIENT = ClientCodec.create();
    private static final RunId RUN = new RunId("2a4d3e48e67995e1a7726d79344c96b8ac68ea035b3d25912a50c643da64d4dc");

    static byte[] utf8(Event event) {
        var out = new ByteArrayOutputStream();
        try {
            EVENTS.encode(event, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static void assertSameBytes(Event event) {
        byte[] expected = EVENTS.encode(event).getBytes(StandardCharsets.UTF_8);
        assertThat(utf8(event)).as("%s", event).isEqualTo(expected);
        // A LOG is written on bytes both ways: Jackson is the reference that holds the byte path to the wire.
        assertThat(expected)
                .as("%s against Jackson", event)
                .isEqualTo(EventEncoder.encodeWithJackson(event).getBytes(StandardCharsets.UTF_8));
        if (event instanceof Event.Log) {
            var log = (Event.Log) event;
            if (log.output().isWellFormed()) {
                // The engine's form: the output held as bytes, never as a String.
                var fromBytes = new Event.Log(
                        log.nonce(),
                        log.runId(),
                        log.stream(),
                        Utf8Text.copyOf(
                                log.output().toByteArray(), 0, log.output().byteLength()),
                        log.stage());
                assertThat(utf8(fromBytes)).as("%s held as bytes", event).isEqualTo(expected);
                assertThat(EVENTS.encode(fromBytes)).isEqualTo(EVENTS.encode(event));
                assertThat(fromBytes).isEqualTo(log).hasSameHashCodeAs(log);
            }
        }
    }

    static List<String> goldenEventFiles() throws IOException, URISyntaxException {
        Path dir = Path.of(EncodeUtf8Test.class.getResource("/golden/events").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> "events/" + p.getFileName()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void everyGoldenEventFileIsCovered() throws Exception {
        assertThat(goldenEventFiles()).hasSizeGreaterThanOrEqualTo(10);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenEventFiles")
    void goldenEventEncodesToTheSameBytesBothWays(String file) {
        Event event = CLIENT.decodeEvent(Golden.read(file));
        assertSameBytes(event);
        assertThat(CLIENT.decodeEvent(new String(utf8(event), StandardCharsets.UTF_8)))
                .isEqualTo(event);
    }

    static List<String> texts() {
        return List.of(
                "",
                "hello\n",
                "👋\n",
                "ünïcödé € 𝄞 😀👋🏽 \u2028\u2029 \u00a0 \uffff \ue000",
                "quote \" backslash \\ slash / tab \t cr \r nl \n bs \b ff \f",
                "controls \u0000\u0001\u001f\u007f\u0080\u009f",
                "<script>&amp;</script>",
                // Long enough to cross the generator's output buffer, with pairs straddling every offset.
                "a".repeat(7999) + "😀" + "é".repeat(4001) + "😀".repeat(5000) + "x",
                "a".repeat(1 << 17));
    }

    @ParameterizedTest
    @MethodSource("texts")
    void everyEventKindWithAwkwardTextEncodesToTheSameBytes(String text) {
        for (Nonce nonce : List.of(Nonce.NONE, Nonce.of(-5), Nonce.of(Long.MIN_VALUE), Nonce.of(text))) {
            assertSameBytes(new Event.Log(nonce, RUN, StdStream.STDOUT, text));
            assertSameBytes(new Event.Log(nonce, RUN, StdStream.STDERR, text));
            assertSameBytes(new Event.Error(nonce, 400, text));
            assertSameBytes(new Event.Pong(nonce));
            assertSameBytes(new Event.Spawn(nonce, RUN));
            assertSameBytes(new Event.Stop(nonce, RUN, new RunResult(12, null, "SIGKILL", false, true, false)));
            assertSameBytes(new Event.Stop(nonce, RUN, RunResult.exited(6748, 0)));
        }
    }

    @Test
    void unpairedSurrogatesBecomeQuestionMarksAsOnTheStringPath() {
        for (String text : List.of("\ud800", "a\udc00b", "end \ud83d", "\ude00\ud83d", "ok 😀 then \ud83d")) {
            assertSameBytes(new Event.Log(Nonce.of(1), RUN, StdStream.STDOUT, text));
            assertSameBytes(new Event.Error(Nonce.of(text), 500, text));
        }
        assertThat(new String(
                        utf8(new Event.Log(Nonce.NONE, RUN, StdStream.STDOUT, "a\ud800b")), StandardCharsets.UTF_8))
                .contains("\"stdout\":\"a?b\"");
    }

    @Test
    void theStreamIsNeitherClosedNorReplaced() throws IOException {
        var closed = new boolean[1];
        var out = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        out.write('[');
        EVENTS.encode(new Event.Pong(Nonce.of(1)), out);
        out.write(']');
        assertThat(closed[0]).isFalse();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo("[" + EVENTS.encode(new Event.Pong(Nonce.of(1))) + "]");
    }

    @Property(tries = 2000)
    void everyEventEncodesToTheSameBytesBothWays(@ForAll("events") Event event) {
        assertSameBytes(event);
    }

    @Property(tries = 2000)
    void anyCharsIncludingLoneSurrogatesEncodeToTheSameBytes(@ForAll("anyChars") String text) {
        assertSameBytes(new Event.Log(Nonce.of(text), RUN, StdStream.STDOUT, text));
    }

    @Provide
    Arbitrary<Event> events() {
        return new CodecPropertiesTest().events();
    }

    @Provide
    Arbitrary<String> anyChars() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(200),
                Arbitraries.of("a", "\ud83d", "\ude00", "😀", "\"", "é", "\u0000")
                        .list()
                        .ofMaxSize(30)
                        .map(parts -> String.join("", parts)));
    }
}
