package dev.ranna.protocol.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.Usage;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import org.jspecify.annotations.Nullable;

/** The Jackson set-up and the small routines every codec class of this package shares. */
final class JsonSupport {

    /** The deepest JSON nesting accepted; a valid operation is 3 levels deep. */
    static final int MAX_NESTING_DEPTH = 32;

    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // The UTF-8 generator otherwise writes every surrogate pair (emoji) as two \\u escapes;
            // combined, its bytes equal the UTF-8 of the String encoder's output.
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonSupport() {}

    /** How a node is named in messages: {@code "an integer"}, {@code "a string"}, ... */
    static String typeOf(@Nullable JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        switch (node.getNodeType()) {
            case STRING:
                return "a string";
            case NUMBER:
                return node.isIntegralNumber() ? "an integer" : "a float";
            case BOOLEAN:
                return "a boolean";
            case NULL:
                return "null";
            case ARRAY:
                return "an array";
            case OBJECT:
            case POJO:
                return "an object";
            case BINARY:
            case MISSING:
                return "nothing";
        }
        return "nothing";
    }

    /** Jackson's message without the echo of the input that it appends. */
    static String describe(JsonProcessingException e) {
        if (e instanceof StreamConstraintsException) {
            return "nesting or size limit exceeded";
        }
        String message = e.getOriginalMessage();
        if (message == null) {
            message = "malformed JSON";
        }
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        if (message.length() > 160) {
            message = message.substring(0, 160) + "...";
        }
        var location = e.getLocation();
        if (location != null && location.getLineNr() > 0) {
            return "malformed JSON at line " + location.getLineNr() + ", column " + location.getColumnNr() + ": "
                    + message;
        }
        return "malformed JSON: " + message;
    }

    static void writeNonce(JsonGenerator g, Nonce nonce) throws IOException {
        switch (nonce.kind()) {
            case NONE:
                break;
            case NUMERIC:
                g.writeNumberField("nonce", ((Nonce.Numeric) nonce).value());
                break;
            case TEXT:
                g.writeStringField("nonce", ((Nonce.Text) nonce).value());
                break;
        }
    }

    /** The fields a STOP and a REST execution response share, after {@code runid} or the output. */
    static void writeRunResult(JsonGenerator g, RunResult result) throws IOException {
        g.writeNumberField("exectimems", result.execTimeMs());
        Integer exitCode = result.exitCode();
        if (exitCode != null) {
            g.writeNumberField("exitcode", exitCode);
        }
        String signal = result.signal();
        if (signal != null) {
            g.writeStringField("signal", signal);
        }
        g.writeBooleanField("timedout", result.timedOut());
        g.writeBooleanField("killed", result.killed());
        g.writeBooleanField("truncated", result.truncated());
        // Additive and absent unless known or true: a run without them encodes exactly as before.
        Usage usage = result.usage();
        if (usage != null) {
            g.writeObjectFieldStart("usage");
            g.writeNumberField("cputimems", usage.cpuTimeMs());
            g.writeNumberField("memorybytes", usage.memoryBytes());
            g.writeEndObject();
        }
        if (result.oomKilled()) {
            g.writeBooleanField("oomkilled", true);
        }
        // Only for a spec with a compile stage: a run without one encodes exactly as ranna's STOP does.
        Stage stage = result.stage();
        if (stage != null) {
            g.writeStringField("stage", stage.wireName());
        }
        Long compileTimeMs = result.compileTimeMs();
        if (compileTimeMs != null) {
            g.writeNumberField("compiletimems", compileTimeMs.longValue());
        }
    }

    @FunctionalInterface
    interface Writer {
        void write(JsonGenerator generator) throws IOException;
    }

    /** Runs {@code writer} against a generator over a string buffer of {@code sizeHint} chars. */
    static String write(Writer writer, int sizeHint) {
        // Sized for the whole message: growing from a small buffer copied a 16 KiB LOG about 8 times.
        var out = new StringWriter(sizeHint);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writer.write(g);
        } catch (IOException e) {
            // A StringWriter does not fail; a generator error here is a bug in the calling class.
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static String write(Writer writer) {
        return write(writer, 128);
    }
}
