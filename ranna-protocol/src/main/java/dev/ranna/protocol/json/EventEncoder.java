package dev.ranna.protocol.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Stage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The server's writer of events, on the hot path of every run's output: {@code {"code", "nonce"?,
 * "data"}} with fixed field names and order, absent fields omitted, the nonce written back with its
 * original JSON type.
 *
 * <p>Immutable and thread-safe; share the one instance from {@link #create()}.
 */
public final class EventEncoder {

    private static final EventEncoder INSTANCE = new EventEncoder();

    private EventEncoder() {}

    /** The shared encoder. */
    public static EventEncoder create() {
        return INSTANCE;
    }

    /** Encodes an event as {@code {"code", "nonce"?, "data"}}. */
    public String encode(Event event) {
        return JsonSupport.write(g -> writeEvent(g, event), sizeHint(event));
    }

    /**
     * Writes {@link #encode(Event)} as UTF-8 straight to {@code out}, without building a {@code String}:
     * the bytes are exactly {@code encode(event).getBytes(UTF_8)}, including for text that holds an unpaired
     * surrogate (which has no UTF-8 form and becomes {@code '?'}, as with Java's and Netty's encoders). The
     * stream is neither flushed nor closed.
     *
     * @throws IOException only if {@code out} throws
     */
    public void encode(Event event, OutputStream out) throws IOException {
        if (hasUnpairedSurrogate(event)) {
            // Rare (the engine never splits a pair): keep the exact bytes of the String path.
            out.write(encode(event).getBytes(StandardCharsets.UTF_8));
            return;
        }
        try (JsonGenerator g = JsonSupport.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
            writeEvent(g, event);
        }
    }

    /** A likely upper bound of the encoded size in chars (UTF-8 bytes for ASCII text). */
    public static int sizeHint(Event event) {
        switch (event.eventCode()) {
            case LOG:
                return ((Event.Log) event).text().length() + 176;
            case ERROR:
                return ((Event.Error) event).message().length() + 96;
            case PONG:
            case SPAWN:
            case STOP:
                return 256;
        }
        throw new AssertionError(event.eventCode());
    }

    private static boolean hasUnpairedSurrogate(Event event) {
        Nonce nonce = event.nonce();
        if (nonce.kind() == Nonce.Kind.TEXT && hasUnpairedSurrogate(((Nonce.Text) nonce).value())) {
            return true;
        }
        switch (event.eventCode()) {
            case PONG:
                return false;
            case ERROR:
                return hasUnpairedSurrogate(((Event.Error) event).message());
            case SPAWN:
                return hasUnpairedSurrogate(((Event.Spawn) event).runId().value());
            case LOG: {
                var log = (Event.Log) event;
                return hasUnpairedSurrogate(log.text())
                        || hasUnpairedSurrogate(log.runId().value());
            }
            case STOP: {
                var stop = (Event.Stop) event;
                String signal = stop.result().signal();
                return hasUnpairedSurrogate(stop.runId().value()) || (signal != null && hasUnpairedSurrogate(signal));
            }
        }
        throw new AssertionError(event.eventCode());
    }

    private static boolean hasUnpairedSurrogate(String value) {
        for (int i = 0, n = value.length(); i < n; i++) {
            char c = value.charAt(i);
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            }
        }
        return false;
    }

    /** The one routine that writes an event, for both the {@code String} and the UTF-8 encoders. */
    private static void writeEvent(JsonGenerator g, Event event) throws IOException {
        g.writeStartObject();
        g.writeNumberField("code", event.eventCode().code());
        JsonSupport.writeNonce(g, event.nonce());
        g.writeFieldName("data");
        switch (event.eventCode()) {
            case PONG:
                g.writeString(Event.Pong.DATA);
                break;
            case ERROR: {
                var error = (Event.Error) event;
                g.writeStartObject();
                g.writeNumberField("code", error.code());
                g.writeStringField("message", error.message());
                g.writeEndObject();
                break;
            }
            case SPAWN:
                g.writeStartObject();
                g.writeStringField("runid", ((Event.Spawn) event).runId().value());
                g.writeEndObject();
                break;
            case LOG: {
                var log = (Event.Log) event;
                g.writeStartObject();
                g.writeStringField("runid", log.runId().value());
                g.writeStringField(log.stream().wireName(), log.text());
                Stage stage = log.stage();
                if (stage != null) {
                    g.writeStringField("stage", stage.wireName());
                }
                g.writeEndObject();
                break;
            }
            case STOP: {
                var stop = (Event.Stop) event;
                g.writeStartObject();
                g.writeStringField("runid", stop.runId().value());
                JsonSupport.writeRunResult(g, stop.result());
                g.writeEndObject();
                break;
            }
        }
        g.writeEndObject();
    }
}
