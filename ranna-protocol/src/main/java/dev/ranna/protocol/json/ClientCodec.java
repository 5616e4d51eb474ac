package dev.ranna.protocol.json;

import static dev.ranna.protocol.json.JsonSupport.describe;
import static dev.ranna.protocol.json.JsonSupport.typeOf;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ranna.protocol.CompileResult;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.EventCode;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.SystemInfo;
import dev.ranna.protocol.Usage;
import dev.ranna.protocol.json.UntrustedFields.FieldException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A client's side of the wire: encodes what a client sends (operations, REST request bodies) and
 * decodes what a server answers (events, REST response bodies). For tests, benchmarks and Java clients.
 *
 * <p>The server is trusted: a message that is not valid is a bug or a broken connection, reported by an
 * {@link IllegalArgumentException} naming the field. Unknown fields are ignored, so a client keeps
 * working against a server that sends additive fields.
 *
 * <p>Immutable and thread-safe; share the one instance from {@link #create()}.
 */
public final class ClientCodec {

    private static final ClientCodec INSTANCE = new ClientCodec();

    private ClientCodec() {}

    /** The shared codec. */
    public static ClientCodec create() {
        return INSTANCE;
    }

    // ---------------------------------------------------------------------------------------------
    // What a client sends

    /** Encodes an operation as {@code {"op", "nonce"?, "args"?}}. */
    public String encode(Operation operation) {
        return JsonSupport.write(g -> {
            g.writeStartObject();
            g.writeNumberField("op", operation.opCode().code());
            JsonSupport.writeNonce(g, operation.nonce());
            switch (operation.opCode()) {
                case PING:
                    break;
                case EXEC:
                    g.writeFieldName("args");
                    writeExecutionRequest(g, ((Operation.Exec) operation).request());
                    break;
                case KILL:
                    g.writeObjectFieldStart("args");
                    g.writeStringField(
                            "runid", ((Operation.Kill) operation).runId().value());
                    g.writeEndObject();
                    break;
                case STDIN: {
                    var stdin = (Operation.Stdin) operation;
                    g.writeObjectFieldStart("args");
                    g.writeStringField("runid", stdin.runId().value());
                    g.writeStringField("data", stdin.data());
                    if (stdin.eof()) {
                        g.writeBooleanField("eof", true);
                    }
                    g.writeEndObject();
                    break;
                }
                case SIGNAL: {
                    var signal = (Operation.Signal) operation;
                    g.writeObjectFieldStart("args");
                    g.writeStringField("runid", signal.runId().value());
                    g.writeStringField("signal", signal.signal().name());
                    g.writeEndObject();
                    break;
                }
                case RESIZE: {
                    var resize = (Operation.Resize) operation;
                    g.writeObjectFieldStart("args");
                    g.writeStringField("runid", resize.runId().value());
                    g.writeNumberField("cols", resize.columns());
                    g.writeNumberField("rows", resize.rows());
                    g.writeEndObject();
                    break;
                }
            }
            g.writeEndObject();
        });
    }

    /** Encodes a REST execution request body for {@code POST /v1/exec}. */
    public String encode(ExecutionRequest request) {
        return JsonSupport.write(g -> writeExecutionRequest(g, request));
    }

    private static void writeExecutionRequest(JsonGenerator g, ExecutionRequest request) throws IOException {
        g.writeStartObject();
        g.writeStringField("language", request.language());
        g.writeStringField("code", request.code());
        g.writeBooleanField("inline_expression", request.inlineExpression());
        if (!request.arguments().isEmpty()) {
            g.writeArrayFieldStart("arguments");
            for (String argument : request.arguments()) {
                g.writeString(argument);
            }
            g.writeEndArray();
        }
        if (!request.environment().isEmpty()) {
            g.writeObjectFieldStart("environment");
            for (var entry : request.environment().entrySet()) {
                g.writeStringField(entry.getKey(), entry.getValue());
            }
            g.writeEndObject();
        }
        if (!request.stdin().isEmpty()) {
            g.writeStringField("stdin", request.stdin());
        }
        if (request.interactive()) {
            g.writeBooleanField("interactive", true);
        }
        if (request.tty()) {
            g.writeBooleanField("tty", true);
        }
        if (!request.files().isEmpty()) {
            g.writeArrayFieldStart("files");
            for (ProjectFile file : request.files()) {
                g.writeStartObject();
                g.writeStringField("name", file.name());
                g.writeStringField("content", file.content());
                if (file.encoding() != ProjectFile.Encoding.UTF8) {
                    g.writeStringField("encoding", file.encoding().wireName());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        RequestLimits limits = request.limits();
        if (!limits.isEmpty()) {
            g.writeObjectFieldStart("limits");
            writeLimit(g, "timeoutms", limits.timeoutMs());
            writeLimit(g, "compiletimeoutms", limits.compileTimeoutMs());
            writeLimit(g, "memorybytes", limits.memoryBytes());
            writeLimit(g, "outputbytes", limits.outputBytes());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void writeLimit(JsonGenerator g, String field, @Nullable Long value) throws IOException {
        if (value != null) {
            g.writeNumberField(field, value.longValue());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // What a server answers

    /**
     * Decodes an event sent by a server. Unknown data fields are ignored.
     *
     * @throws IllegalArgumentException if {@code text} is not a valid event
     */
    public Event decodeEvent(String text) {
        JsonNode root = readTrusted(text, "event");
        if (!root.isObject()) {
            throw new IllegalArgumentException("event: expected a JSON object");
        }
        Nonce nonce;
        try {
            nonce = UntrustedFields.readNonce(root.get("nonce"));
        } catch (FieldException e) {
            throw new IllegalArgumentException("nonce: " + e.getMessage());
        }
        JsonNode codeNode = root.get("code");
        if (codeNode == null || !codeNode.isIntegralNumber()) {
            throw new IllegalArgumentException("code: expected an integer");
        }
        EventCode code = EventCode.fromCode(codeNode.longValue())
                .orElseThrow(() -> new IllegalArgumentException("code: unknown event code " + codeNode));
        JsonNode data = root.path("data");
        switch (code) {
            case PONG:
                return new Event.Pong(nonce);
            case ERROR:
                return new Event.Error(
                        nonce, data.path("code").asInt(), data.path("message").asText(""));
            case SPAWN:
                return new Event.Spawn(nonce, new RunId(trustedString(data, "runid")));
            case LOG: {
                RunId runId = new RunId(trustedString(data, "runid"));
                for (StdStream stream : StdStream.values()) {
                    JsonNode chunk = data.get(stream.wireName());
                    if (chunk != null && chunk.isTextual()) {
                        return new Event.Log(nonce, runId, stream, chunk.textValue(), readStage(data));
                    }
                }
                throw new IllegalArgumentException("data: LOG has neither stdout nor stderr");
            }
            case STOP:
                return new Event.Stop(nonce, new RunId(trustedString(data, "runid")), readRunResult(data));
        }
        throw new AssertionError(code);
    }

    /** Receives the text of a LOG as chars, without a {@code String} being built for it. */
    @FunctionalInterface
    public interface LogHandler {
        /**
         * One LOG event. The chars {@code text[offset, offset + length)} are valid during this call only.
         *
         * @param stream the stream the text came from
         */
        void log(Nonce nonce, RunId runId, StdStream stream, char[] text, int offset, int length);

        /**
         * One LOG event of a run whose spec has a compile stage ({@code stage} non-null), or of any run: the
         * codec calls this method, which by default forgets the stage and calls {@link #log(Nonce, RunId,
         * StdStream, char[], int, int)}. Override it to see the stage.
         *
         * @param stage the LOG's {@code "stage"}, or null when it has none
         */
        default void log(
                Nonce nonce,
                RunId runId,
                @Nullable Stage stage,
                StdStream stream,
                char[] text,
                int offset,
                int length) {
            log(nonce, runId, stream, text, offset, length);
        }
    }

    /**
     * Decodes an event from {@code text[offset, offset + length)}, handing a LOG's text to {@code logs}
     * as chars instead of building an {@link Event.Log}: the fast path of a client that receives output in
     * bulk. A LOG as servers write it is parsed in one streaming pass, its text read where it lies in
     * {@code text} when it has no escapes; anything else takes the path of {@link #decodeEvent(String)},
     * with the same checks and the same result. {@code logs} is called only for a message that is valid to
     * its end.
     *
     * @return the event, or null if it was a LOG and was handed to {@code logs}
     * @throws IllegalArgumentException if the text is not a valid event
     */
    public @Nullable Event decodeEvent(char[] text, int offset, int length, LogHandler logs) {
        if (fastLog(text, offset, length, logs)) {
            return null;
        }
        Event event = decodeEvent(new String(text, offset, length));
        switch (event.eventCode()) {
            case LOG: {
                var log = (Event.Log) event;
                char[] chars = log.text().toCharArray();
                logs.log(log.nonce(), log.runId(), log.stage(), log.stream(), chars, 0, chars.length);
                return null;
            }
            case PONG:
            case ERROR:
            case SPAWN:
            case STOP:
                return event;
        }
        throw new AssertionError(event.eventCode());
    }

    /** A slice of a string value: in the caller's array when it had no escapes, else a copy. */
    private static final class Slice {
        final char[] chars;
        final int offset;
        final int length;

        Slice(JsonParser p, char[] input) throws IOException {
            char[] buffer = p.getTextCharacters();
            if (buffer == input) {
                chars = input;
                offset = p.getTextOffset();
            } else {
                // Unescaped into the parser's own buffer, which the next token reuses.
                chars = Arrays.copyOfRange(buffer, p.getTextOffset(), p.getTextOffset() + p.getTextLength());
                offset = 0;
            }
            length = p.getTextLength();
        }
    }

    /**
     * The streaming pass for a LOG: {@code {"code":3, "nonce"?, "data":{"runid", "stdout"|"stderr"}}} in the
     * order servers write the top-level fields. Returns false, having called nothing, for anything it does
     * not handle; the tree path then decides.
     */
    private static boolean fastLog(char[] text, int offset, int length, LogHandler logs) {
        try (JsonParser p = JsonSupport.FACTORY.createParser(text, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT || !field(p, "code")) {
                return false;
            }
            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT
                    || p.getNumberType() != JsonParser.NumberType.INT
                    || p.getIntValue() != EventCode.LOG.code()) {
                return false;
            }
            Nonce nonce = Nonce.NONE;
            if (p.nextToken() != JsonToken.FIELD_NAME) {
                return false;
            }
            if (p.currentName().equals("nonce")) {
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                    nonce = Nonce.of(p.getLongValue());
                } else if (value == JsonToken.VALUE_STRING) {
                    nonce = Nonce.of(UntrustedFields.checkText("nonce", p.getText()));
                } else {
                    return false;
                }
                if (p.nextToken() != JsonToken.FIELD_NAME) {
                    return false;
                }
            }
            if (!p.currentName().equals("data") || p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            String runId = null;
            Slice stdout = null;
            Slice stderr = null;
            Stage stage = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("stage")) {
                    // As the tree path: a stage it does not know is no stage.
                    stage = value == JsonToken.VALUE_STRING
                            ? Stage.fromWireName(p.getText()).orElse(null)
                            : null;
                    p.skipChildren();
                } else if (name.equals("runid") || name.equals("stdout") || name.equals("stderr")) {
                    if (value != JsonToken.VALUE_STRING) {
                        return false;
                    }
                    if (name.equals("runid")) {
                        runId = p.getText();
                    } else if (name.equals("stdout")) {
                        stdout = new Slice(p, text);
                    } else {
                        stderr = new Slice(p, text);
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || runId == null || runId.isEmpty()) {
                return false;
            }
            // Fields after "data" are allowed (and ignored) as long as the message is well formed.
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                if (p.currentName().equals("code") || p.currentName().equals("nonce")) {
                    return false;
                }
                p.nextToken();
                p.skipChildren();
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return false;
            }
            // As the tree path: stdout wins when a message carries both.
            StdStream stream = stdout != null ? StdStream.STDOUT : StdStream.STDERR;
            Slice slice = stdout != null ? stdout : stderr;
            if (slice == null) {
                return false;
            }
            logs.log(nonce, new RunId(runId), stage, stream, slice.chars, slice.offset, slice.length);
            return true;
        } catch (IOException | FieldException e) {
            return false;
        }
    }

    private static boolean field(JsonParser p, String name) throws IOException {
        return p.nextToken() == JsonToken.FIELD_NAME && name.equals(p.currentName());
    }

    /**
     * Decodes a REST execution response.
     *
     * @throws IllegalArgumentException if {@code text} is not a valid response
     */
    public ExecutionResponse decodeExecutionResponse(String text) {
        JsonNode root = readTrusted(text, "response");
        return new ExecutionResponse(
                trustedString(root, "stdout"), trustedString(root, "stderr"), readRunResult(root), readCompile(root));
    }

    private static @Nullable CompileResult readCompile(JsonNode root) {
        JsonNode compile = root.get("compile");
        if (compile == null || compile.isNull()) {
            return null;
        }
        if (!compile.isObject()) {
            throw new IllegalArgumentException("compile: expected an object, got " + typeOf(compile));
        }
        JsonNode exitCode = compile.get("exitcode");
        JsonNode signal = compile.get("signal");
        return new CompileResult(
                trustedString(compile, "stdout"),
                trustedString(compile, "stderr"),
                exitCode != null && exitCode.isIntegralNumber() ? exitCode.intValue() : null,
                signal != null && signal.isTextual() ? signal.textValue() : null,
                compile.path("exectimems").asLong());
    }

    private static @Nullable Stage readStage(JsonNode data) {
        JsonNode stage = data.get("stage");
        return stage != null && stage.isTextual()
                ? Stage.fromWireName(stage.textValue()).orElse(null)
                : null;
    }

    /**
     * Decodes a REST error body.
     *
     * @throws IllegalArgumentException if {@code text} is not a valid error body
     */
    public ErrorResponse decodeErrorResponse(String text) {
        JsonNode root = readTrusted(text, "error response");
        JsonNode code = root.get("code");
        if (code == null || !code.isIntegralNumber()) {
            throw new IllegalArgumentException("code: expected an integer");
        }
        return new ErrorResponse(trustedString(root, "error"), code.intValue());
    }

    /**
     * Decodes the body of {@code GET /v1/info}. Only ranna's fields are required ({@code version},
     * {@code builddate}, {@code go_version}, {@code sandbox.type}, {@code sandbox.version}, each read as
     * text); {@code features} and the sandbox's other text fields are kept when present.
     *
     * @throws IllegalArgumentException if {@code text} is not a valid info body
     */
    public SystemInfo decodeSystemInfo(String text) {
        JsonNode root = readTrusted(text, "info");
        if (!root.isObject()) {
            throw new IllegalArgumentException("info: expected a JSON object, got " + typeOf(root));
        }
        JsonNode sandbox = root.path("sandbox");
        if (!sandbox.isObject()) {
            throw new IllegalArgumentException("sandbox: expected an object, got " + typeOf(root.get("sandbox")));
        }
        var details = new LinkedHashMap<String, String>();
        for (Map.Entry<String, JsonNode> field : sandbox.properties()) {
            String name = field.getKey();
            if (!name.equals("type")
                    && !name.equals("version")
                    && field.getValue().isValueNode()) {
                details.put(name, field.getValue().asText());
            }
        }
        var features = new ArrayList<String>();
        for (JsonNode feature : root.path("features")) {
            if (feature.isTextual()) {
                features.add(feature.textValue());
            }
        }
        return new SystemInfo(
                scalarText(root, "version"),
                scalarText(root, "builddate"),
                scalarText(root, "go_version"),
                new SystemInfo.Sandbox(scalarText(sandbox, "type"), scalarText(sandbox, "version"), details),
                features);
    }

    /** A field that servers write as text; ranna's own server may write some as other scalars. */
    private static String scalarText(JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (node == null || !node.isValueNode() || node.isNull()) {
            throw new IllegalArgumentException(field + ": expected a string, got " + typeOf(node));
        }
        return node.asText();
    }

    private static RunResult readRunResult(JsonNode data) {
        JsonNode exitCode = data.get("exitcode");
        JsonNode signal = data.get("signal");
        JsonNode compileTime = data.get("compiletimems");
        return new RunResult(
                data.path("exectimems").asLong(),
                exitCode != null && exitCode.isIntegralNumber() ? exitCode.intValue() : null,
                signal != null && signal.isTextual() ? signal.textValue() : null,
                data.path("timedout").asBoolean(false),
                data.path("killed").asBoolean(false),
                data.path("truncated").asBoolean(false),
                readUsage(data.get("usage")),
                data.path("oomkilled").asBoolean(false),
                readStage(data),
                compileTime != null && compileTime.isIntegralNumber() ? compileTime.longValue() : null);
    }

    private static @Nullable Usage readUsage(@Nullable JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        JsonNode cpu = usage.get("cputimems");
        JsonNode memory = usage.get("memorybytes");
        if (cpu == null || !cpu.isIntegralNumber() || memory == null || !memory.isIntegralNumber()) {
            throw new IllegalArgumentException("usage: expected {\"cputimems\": int, \"memorybytes\": int}");
        }
        return new Usage(cpu.longValue(), memory.longValue());
    }

    private static String trustedString(JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException(field + ": expected a string, got " + typeOf(node));
        }
        return node.textValue();
    }

    private static JsonNode readTrusted(String text, String what) {
        try {
            JsonNode root = JsonSupport.MAPPER.readTree(text);
            if (root == null) {
                throw new IllegalArgumentException(what + ": empty input");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": " + describe(e), e);
        }
    }
}
