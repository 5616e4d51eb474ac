package dev.ranna.protocol.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.EventCode;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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

    /**
     * Encodes an event as {@code {"code", "nonce"?, "data"}}. A LOG is written by the byte path ({@link
     * #encode(Event, OutputStream)}) and decoded once, which costs less than escaping it char by char; one
     * with an unpaired surrogate (which has no UTF-8 form) goes through Jackson, which keeps it.
     */
    public String encode(Event event) {
        if (event.eventCode() == EventCode.LOG && !hasUnpairedSurrogate(event)) {
            var out = new ByteArray(sizeHint(event));
            try {
                writeLog((Event.Log) event, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a byte array does not fail
            }
            return out.decode();
        }
        return JsonSupport.write(g -> writeEvent(g, event), sizeHint(event));
    }

    /**
     * Writes {@link #encode(Event)} as UTF-8 straight to {@code out}, without building a {@code String}:
     * the bytes are exactly {@code encode(event).getBytes(UTF_8)}, including for text that holds an unpaired
     * surrogate (which has no UTF-8 form and becomes {@code '?'}, as with Java's and Netty's encoders). The
     * stream is neither flushed nor closed.
     *
     * <p>A LOG is written on bytes: its output's UTF-8, escaped where JSON needs it and otherwise copied in
     * runs, with no {@code String} and no char-by-char escaping; the other events go through Jackson.
     *
     * @throws IOException only if {@code out} throws
     */
    public void encode(Event event, OutputStream out) throws IOException {
        if (event.eventCode() == EventCode.LOG) {
            writeLog((Event.Log) event, out);
            return;
        }
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

    /** Every event through Jackson: the reference the byte path of a LOG is tested against. */
    static String encodeWithJackson(Event event) {
        return JsonSupport.write(g -> writeEvent(g, event), sizeHint(event));
    }

    /**
     * A likely upper bound of the encoded size, in UTF-8 bytes (exact but for escapes and a long nonce, for
     * a LOG).
     */
    public static int sizeHint(Event event) {
        switch (event.eventCode()) {
            case LOG:
                return ((Event.Log) event).output().byteLength() + 176;
            case ERROR:
                return ((Event.Error) event).message().length() + 96;
            case PONG:
            case SPAWN:
            case STOP:
                return 256;
        }
        throw new AssertionError(event.eventCode());
    }

    private static final byte[] LOG_START = ascii("{\"code\":" + EventCode.LOG.code());
    private static final byte[] NONCE = ascii(",\"nonce\":");
    private static final byte[] DATA_RUNID = ascii(",\"data\":{\"runid\":");
    private static final byte[] STDOUT = ascii(",\"" + StdStream.STDOUT.wireName() + "\":");
    private static final byte[] STDERR = ascii(",\"" + StdStream.STDERR.wireName() + "\":");
    private static final byte[] STAGE = ascii(",\"stage\":");
    private static final byte[] LOG_END = ascii("}}");

    /**
     * A LOG by hand, in the order and form of {@link #writeEvent} (the golden files and the tests that compare
     * the two paths hold them together): {@code {"code":3,"nonce":..,"data":{"runid":..,"stdout":..,
     * "stage":..}}}.
     */
    private static void writeLog(Event.Log log, OutputStream out) throws IOException {
        out.write(LOG_START);
        Nonce nonce = log.nonce();
        switch (nonce.kind()) {
            case NONE:
                break;
            case NUMERIC:
                out.write(NONCE);
                out.write(ascii(Long.toString(((Nonce.Numeric) nonce).value())));
                break;
            case TEXT:
                out.write(NONCE);
                JsonBytes.writeString(((Nonce.Text) nonce).value(), out);
                break;
        }
        out.write(DATA_RUNID);
        JsonBytes.writeString(log.runId().value(), out);
        out.write(log.stream() == StdStream.STDOUT ? STDOUT : STDERR);
        JsonBytes.writeString(log.output(), out);
        Stage stage = log.stage();
        if (stage != null) {
            out.write(STAGE);
            JsonBytes.writeString(stage.wireName(), out);
        }
        out.write(LOG_END);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A byte array output of a known likely size, decoded without a copy of the array. */
    private static final class ByteArray extends java.io.ByteArrayOutputStream {
        ByteArray(int size) {
            super(size);
        }

        String decode() {
            return new String(buf, 0, count, StandardCharsets.UTF_8);
        }
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
                return !log.output().isWellFormed()
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
