package dev.ranna.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.EventCode;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientCodec#decodeEvent(char[], int, int, ClientCodec.LogHandler)}: the same events as {@link
 * ClientCodec#decodeEvent(String)}, a LOG handed over as chars, and nothing handed over for a message
 * that is not valid to its end.
 */
class ClientCodecStreamingTest {
    private static final ClientCodec CLIENT = ClientCodec.create();
    private static final EventEncoder EVENTS = EventEncoder.create();
    private static final RunId RUN = new RunId("2a4d3e48e67995e1a7726d79344c96b8ac68ea035b3d25912a50c643da64d4dc");

    /** What a handler saw, rebuilt as the LOG it stands for. */
    private static final class Recorder implements ClientCodec.LogHandler {
        final List<Event.Log> logs = new ArrayList<>();

        @Override
        public void log(Nonce nonce, RunId runId, StdStream stream, char[] text, int offset, int length) {
            throw new AssertionError("the codec calls the method with the stage");
        }

        @Override
        public void log(
                Nonce nonce,
                RunId runId,
                @Nullable Stage stage,
                StdStream stream,
                char[] text,
                int offset,
                int length) {
            logs.add(new Event.Log(nonce, runId, stream, new String(text, offset, length), stage));
        }
    }

    @Test
    void aLogsStageReachesTheHandlerOnBothPaths() {
        for (Stage stage : Stage.values()) {
            var log = new Event.Log(Nonce.of(3), RUN, StdStream.STDERR, "warning\n", stage);
            var fast = new Recorder();
            assertThat(stream(EVENTS.encode(log), 2, fast)).isNull();
            assertThat(fast.logs).containsExactly(log);
            // Stage before the text, and a field the fast path does not take: the tree path decides alike.
            String reordered = "{\"code\":3,\"nonce\":3,\"data\":{\"stage\":\"" + stage.wireName() + "\",\"runid\":\""
                    + RUN.value() + "\",\"stderr\":\"warning\\n\"},\"extra\":[1]}";
            var tree = new Recorder();
            assertThat(stream(reordered, 0, tree)).isNull();
            assertThat(tree.logs).containsExactly(log);
        }
        // An unknown stage is no stage, as the tree path reads it.
        var unknown = new Recorder();
        stream(
                "{\"code\":3,\"data\":{\"runid\":\"" + RUN.value() + "\",\"stdout\":\"x\",\"stage\":\"link\"}}",
                0,
                unknown);
        assertThat(unknown.logs).containsExactly(new Event.Log(Nonce.NONE, RUN, StdStream.STDOUT, "x"));
    }

    /** Decodes {@code json} placed at {@code padding} inside a larger array, as a reused buffer holds it. */
    private static @Nullable Event stream(String json, int padding, Recorder recorder) {
        char[] buffer = new char[padding + json.length() + padding];
        java.util.Arrays.fill(buffer, '#');
        json.getChars(0, json.length(), buffer, padding);
        return CLIENT.decodeEvent(buffer, padding, json.length(), recorder);
    }

    @Property(tries = 2000)
    void everyEventDecodesAsTheTreePathDoes(
            @ForAll("events") Event event, @ForAll @IntRange(min = 0, max = 5) int padding) {
        String json = EVENTS.encode(event);
        var recorder = new Recorder();
        Event returned = stream(json, padding, recorder);
        if (event.eventCode() == EventCode.LOG) {
            assertThat(returned).isNull();
            assertThat(recorder.logs).containsExactly((Event.Log) event);
        } else {
            assertThat(returned).isEqualTo(event);
            assertThat(recorder.logs).isEmpty();
        }
        assertThat(CLIENT.decodeEvent(json)).isEqualTo(event);
    }

    @Provide
    Arbitrary<Event> events() {
        return new CodecPropertiesTest().events();
    }

    @Test
    void unescapedTextIsHandedOverWhereItLiesInTheMessage() {
        String json = EVENTS.encode(new Event.Log(Nonce.of(42), RUN, StdStream.STDOUT, "x".repeat(20_000)));
        char[] buffer = ("  " + json + "  ").toCharArray();
        var seen = new ArrayList<String>();
        Event returned = CLIENT.decodeEvent(buffer, 2, json.length(), (nonce, runId, stream, text, offset, length) -> {
            assertThat(text).isSameAs(buffer);
            seen.add(nonce + " " + runId + " " + stream + " " + offset + " " + length);
        });
        assertThat(returned).isNull();
        assertThat(seen).containsExactly("42 " + RUN + " STDOUT " + (2 + json.indexOf("xxx")) + " 20000");
    }

    @Test
    void textWithEscapesAndLogsInAnotherFieldOrderDecodeToo() {
        var escaped = new Event.Log(Nonce.of("n"), RUN, StdStream.STDERR, "a \"quoted\"\nline \u0000 😀");
        var recorder = new Recorder();
        assertThat(stream(EVENTS.encode(escaped), 3, recorder)).isNull();
        assertThat(recorder.logs).containsExactly(escaped);

        // Not the order servers write (data first, nonce last): the tree path decides, same result.
        recorder.logs.clear();
        String reordered =
                "{\"data\":{\"stdout\":\"hi\",\"runid\":\"" + RUN + "\",\"extra\":[1]},\"code\":3,\"nonce\":7}";
        assertThat(stream(reordered, 0, recorder)).isNull();
        assertThat(recorder.logs).containsExactly(new Event.Log(Nonce.of(7), RUN, StdStream.STDOUT, "hi"));
    }

    @Test
    void aMessageThatIsNotValidToItsEndHandsNothingOver() {
        String valid = EVENTS.encode(new Event.Log(Nonce.of(1), RUN, StdStream.STDOUT, "hello"));
        var recorder = new Recorder();
        for (String bad : List.of(
                valid.substring(0, valid.length() - 1),
                valid + "x",
                valid + "{}",
                valid.replace("\"nonce\":1,", "\"nonce\":1,\"nonce\":2,"),
                valid.replace("\"stdout\"", "\"runid\":\"again\",\"stdout\""),
                valid.replace("\"runid\":\"" + RUN + "\",", ""),
                valid.replace("\"stdout\":\"hello\"", "\"other\":\"hello\""))) {
            assertThatThrownBy(() -> stream(bad, 2, recorder)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(recorder.logs).isEmpty();
    }
}
