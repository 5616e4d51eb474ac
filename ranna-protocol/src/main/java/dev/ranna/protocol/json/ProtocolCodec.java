package dev.ranna.protocol.json;

import com.fasterxml.jackson.core.JsonEncoding;
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
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.EventCode;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.InlineTemplate;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.OpCode;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.SystemInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Encodes and decodes the ranna wire format.
 *
 * <p>Decoding of client input ({@link #decodeOperation}, {@link #decodeExecutionRequest}) never throws
 * for bad input: it returns a {@link DecodeResult.Failure} whose message names the offending field and
 * which keeps the nonce if it could be read. Encoding is exact: fixed field names and order, absent
 * fields omitted, nonces written back with their original JSON type.
 *
 * <p>Instances are immutable and thread-safe; share one.
 */
public final class ProtocolCodec {

    /** The deepest JSON nesting accepted; a valid operation is 3 levels deep. */
    public static final int MAX_NESTING_DEPTH = 32;

    private static final ProtocolCodec DEFAULT = new ProtocolCodec();

    private final ObjectMapper mapper;
    private final JsonFactory factory;

    private ProtocolCodec() {
        this.factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                // The UTF-8 generator otherwise writes every surrogate pair (emoji) as two \\u escapes;
                // combined, its bytes equal the UTF-8 of the String encoder's output.
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .build();
        this.mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    /** The shared codec. */
    public static ProtocolCodec create() {
        return DEFAULT;
    }

    // ---------------------------------------------------------------------------------------------
    // Client input

    /**
     * Decodes one WebSocket text message into an operation.
     *
     * @param text untrusted text, any content
     * @return success, or a failure carrying the nonce it could read, a 400 code and a message
     */
    public DecodeResult decodeOperation(String text) {
        JsonNode root;
        try {
            root = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            return DecodeResult.Failure.badRequest(Nonce.NONE, "invalid message: " + describe(e));
        }
        if (root == null || !root.isObject()) {
            return DecodeResult.Failure.badRequest(
                    Nonce.NONE, "invalid message: expected a JSON object, got " + typeOf(root));
        }

        JsonNode nonceNode = root.get("nonce");
        Nonce nonce;
        try {
            nonce = readNonce(nonceNode);
        } catch (FieldException e) {
            return DecodeResult.Failure.badRequest(Nonce.NONE, "invalid nonce: " + e.getMessage());
        }

        JsonNode opNode = root.get("op");
        if (opNode == null || opNode.isNull()) {
            return DecodeResult.Failure.badRequest(nonce, "invalid message: op is missing");
        }
        if (!opNode.isIntegralNumber()) {
            return DecodeResult.Failure.badRequest(
                    nonce, "invalid message: op must be an integer, got " + typeOf(opNode));
        }
        Optional<OpCode> op = opNode.canConvertToLong() ? OpCode.fromCode(opNode.longValue()) : Optional.empty();
        if (op.isEmpty()) {
            return DecodeResult.Failure.badRequest(nonce, "invalid operation code");
        }

        JsonNode args = root.get("args");
        try {
            switch (op.get()) {
                case PING:
                    return new DecodeResult.Success(new Operation.Ping(nonce));
                case EXEC:
                    return new DecodeResult.Success(new Operation.Exec(nonce, readExecutionRequest(args, "args")));
                case KILL:
                    return new DecodeResult.Success(new Operation.Kill(nonce, readKillArgs(args)));
            }
        } catch (FieldException e) {
            return DecodeResult.Failure.badRequest(nonce, e.getMessage());
        }
        throw new AssertionError(op.get());
    }

    /**
     * Decodes the body of {@code POST /v1/exec}. On success the operation is an {@link Operation.Exec}
     * with no nonce. Field names in messages have no {@code args.} prefix.
     */
    public DecodeResult decodeExecutionRequest(String text) {
        JsonNode root;
        try {
            root = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            return DecodeResult.Failure.badRequest(Nonce.NONE, "invalid request body: " + describe(e));
        }
        try {
            return new DecodeResult.Success(new Operation.Exec(Nonce.NONE, readExecutionRequest(root, "")));
        } catch (FieldException e) {
            return DecodeResult.Failure.badRequest(Nonce.NONE, e.getMessage());
        }
    }

    private static Nonce readNonce(@Nullable JsonNode node) throws FieldException {
        if (node == null || node.isNull()) {
            return Nonce.NONE;
        }
        if (node.isTextual()) {
            return Nonce.of(checkText("nonce", node.textValue()));
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw new FieldException("integer out of 64-bit range");
            }
            return Nonce.of(node.longValue());
        }
        throw new FieldException("expected an integer or a string, got " + typeOf(node));
    }

    private static ExecutionRequest readExecutionRequest(@Nullable JsonNode args, String prefix) throws FieldException {
        String where = prefix.isEmpty() ? "request body" : prefix;
        if (args == null || args.isNull()) {
            throw new FieldException(where + ": missing");
        }
        if (!args.isObject()) {
            throw new FieldException(where + ": expected an object, got " + typeOf(args));
        }
        String p = prefix.isEmpty() ? "" : prefix + ".";
        String language = requiredString(args, p + "language", "language");
        String code = requiredString(args, p + "code", "code");

        boolean inline = false;
        JsonNode inlineNode = args.get("inline_expression");
        if (inlineNode != null && !inlineNode.isNull()) {
            if (!inlineNode.isBoolean()) {
                throw new FieldException(p + "inline_expression: expected a boolean, got " + typeOf(inlineNode));
            }
            inline = inlineNode.booleanValue();
        }

        List<String> arguments = List.of();
        JsonNode argsNode = args.get("arguments");
        if (argsNode != null && !argsNode.isNull()) {
            if (!argsNode.isArray()) {
                throw new FieldException(p + "arguments: expected an array of strings, got " + typeOf(argsNode));
            }
            arguments = new ArrayList<>(argsNode.size());
            for (int i = 0; i < argsNode.size(); i++) {
                JsonNode element = argsNode.get(i);
                String field = p + "arguments[" + i + "]";
                if (!element.isTextual()) {
                    throw new FieldException(field + ": expected a string, got " + typeOf(element));
                }
                arguments.add(checkText(field, element.textValue()));
            }
        }

        Map<String, String> environment = Map.of();
        JsonNode envNode = args.get("environment");
        if (envNode != null && !envNode.isNull()) {
            if (!envNode.isObject()) {
                throw new FieldException(p + "environment: expected an object of strings, got " + typeOf(envNode));
            }
            environment = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = envNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String field = p + "environment." + entry.getKey();
                checkText(p + "environment (a key)", entry.getKey());
                if (!entry.getValue().isTextual()) {
                    throw new FieldException(field + ": expected a string, got " + typeOf(entry.getValue()));
                }
                environment.put(
                        entry.getKey(), checkText(field, entry.getValue().textValue()));
            }
        }
        return new ExecutionRequest(language, code, inline, arguments, environment);
    }

    private static RunId readKillArgs(@Nullable JsonNode args) throws FieldException {
        if (args == null || args.isNull()) {
            throw new FieldException("args: missing");
        }
        if (!args.isObject()) {
            throw new FieldException("args: expected an object, got " + typeOf(args));
        }
        String runId = requiredString(args, "args.runid", "runid");
        if (runId.isEmpty()) {
            throw new FieldException("args.runid: must not be empty");
        }
        return new RunId(runId);
    }

    private static String requiredString(JsonNode object, String field, String name) throws FieldException {
        JsonNode node = object.get(name);
        if (node == null || node.isNull()) {
            throw new FieldException(field + ": missing");
        }
        if (!node.isTextual()) {
            throw new FieldException(field + ": expected a string, got " + typeOf(node));
        }
        return checkText(field, node.textValue());
    }

    /** Rejects unpaired surrogates (from {@code \ud800}-style escapes): they have no UTF-8 encoding. */
    private static String checkText(String field, String value) throws FieldException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new FieldException(field + ": invalid unicode (unpaired surrogate at index " + i + ")");
            }
            if (Character.isLowSurrogate(c)) {
                throw new FieldException(field + ": invalid unicode (unpaired surrogate at index " + i + ")");
            }
        }
        return value;
    }

    private static String typeOf(@Nullable JsonNode node) {
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
            default:
                return "nothing";
        }
    }

    /** Jackson's message without the echo of the input that it appends. */
    private static String describe(JsonProcessingException e) {
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

    /** A field-level decode problem; its message names the field. Never escapes this class. */
    private static final class FieldException extends Exception {
        private static final long serialVersionUID = 1L;

        FieldException(String message) {
            super(message, null, false, false);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Server output

    /** Encodes an event as {@code {"code", "nonce"?, "data"}}. */
    public String encode(Event event) {
        return write(g -> writeEvent(g, event), sizeHint(event));
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
        try (JsonGenerator g = factory.createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
            writeEvent(g, event);
        }
    }

    /** A likely upper bound of the encoded size in chars (UTF-8 bytes for ASCII text). */
    public static int sizeHint(Event event) {
        if (event instanceof Event.Log) {
            return ((Event.Log) event).text().length() + 160;
        }
        if (event instanceof Event.Error) {
            return ((Event.Error) event).message().length() + 96;
        }
        return 256;
    }

    private static boolean hasUnpairedSurrogate(Event event) {
        if (event.nonce() instanceof Nonce.Text && hasUnpairedSurrogate(((Nonce.Text) event.nonce()).value())) {
            return true;
        }
        if (event instanceof Event.Log) {
            return hasUnpairedSurrogate(((Event.Log) event).text())
                    || hasUnpairedSurrogate(((Event.Log) event).runId().value());
        }
        if (event instanceof Event.Error) {
            return hasUnpairedSurrogate(((Event.Error) event).message());
        }
        if (event instanceof Event.Spawn) {
            return hasUnpairedSurrogate(((Event.Spawn) event).runId().value());
        }
        if (event instanceof Event.Stop) {
            var stop = (Event.Stop) event;
            return hasUnpairedSurrogate(stop.runId().value())
                    || (stop.result().signal() != null
                            && hasUnpairedSurrogate(stop.result().signal()));
        }
        return false;
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
        writeNonce(g, event.nonce());
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
                g.writeEndObject();
                break;
            }
            case STOP: {
                var stop = (Event.Stop) event;
                g.writeStartObject();
                g.writeStringField("runid", stop.runId().value());
                writeRunResult(g, stop.result());
                g.writeEndObject();
                break;
            }
        }
        g.writeEndObject();
    }

    /** Encodes an operation as {@code {"op", "nonce"?, "args"?}} (for clients and tests). */
    public String encode(Operation operation) {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("op", operation.opCode().code());
            writeNonce(g, operation.nonce());
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
            }
            g.writeEndObject();
        });
    }

    /** Encodes a REST execution request body (for clients and tests). */
    public String encode(ExecutionRequest request) {
        return write(g -> writeExecutionRequest(g, request));
    }

    /** Encodes a REST execution response: {@code {"stdout", "stderr", "exectimems", ...}}. */
    public String encode(ExecutionResponse response) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("stdout", response.stdout());
            g.writeStringField("stderr", response.stderr());
            writeRunResult(g, response.result());
            g.writeEndObject();
        });
    }

    /** Encodes a REST error body: {@code {"error", "code"}}. */
    public String encode(ErrorResponse error) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("error", error.error());
            g.writeNumberField("code", error.code());
            g.writeEndObject();
        });
    }

    /**
     * Encodes a REST error body for a run that started and was ended by the error: {@code {"error", "code",
     * "stdout", "stderr", "exectimems", ...}}, so the client sees the output up to the error and how the run
     * ended (e.g. {@code "timedout": true}).
     */
    public String encode(ErrorResponse error, ExecutionResponse run) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("error", error.error());
            g.writeNumberField("code", error.code());
            g.writeStringField("stdout", run.stdout());
            g.writeStringField("stderr", run.stderr());
            writeRunResult(g, run.result());
            g.writeEndObject();
        });
    }

    /** Encodes {@code GET /v1/info}. */
    public String encode(SystemInfo info) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("version", info.version());
            g.writeStringField("builddate", info.buildDate());
            g.writeStringField("go_version", info.runtimeVersion());
            g.writeObjectFieldStart("sandbox");
            g.writeStringField("type", info.sandbox().type());
            g.writeStringField("version", info.sandbox().version());
            for (var detail : info.sandbox().details().entrySet()) {
                if (!detail.getKey().equals("type") && !detail.getKey().equals("version")) {
                    g.writeStringField(detail.getKey(), detail.getValue());
                }
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** Encodes a spec map for {@code GET /v1/spec}, keeping its order; absent fields are omitted. */
    public String encode(SpecMap specs) {
        return write(g -> {
            g.writeStartObject();
            for (var entry : specs.entries().entrySet()) {
                g.writeFieldName(entry.getKey());
                writeSpecEntry(g, entry.getValue());
            }
            g.writeEndObject();
        });
    }

    private static void writeSpecEntry(JsonGenerator g, SpecEntry spec) throws IOException {
        g.writeStartObject();
        writeOptional(g, "use", spec.use());
        writeOptional(g, "image", spec.image());
        writeOptional(g, "registry", spec.registry());
        writeOptional(g, "entrypoint", spec.entrypoint());
        writeOptional(g, "cmd", spec.cmd());
        writeOptional(g, "filename", spec.filename());
        writeOptional(g, "language", spec.language());
        writeOptional(g, "example", spec.example());
        InlineTemplate inline = spec.inline();
        if (inline != null) {
            g.writeObjectFieldStart("inline");
            writeOptional(g, "import_regex", inline.importRegex());
            g.writeStringField("template", inline.template());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void writeOptional(JsonGenerator g, String field, @Nullable String value) throws IOException {
        if (value != null) {
            g.writeStringField(field, value);
        }
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
        g.writeEndObject();
    }

    private static void writeRunResult(JsonGenerator g, RunResult result) throws IOException {
        g.writeNumberField("exectimems", result.execTimeMs());
        if (result.exitCode() != null) {
            g.writeNumberField("exitcode", result.exitCode());
        }
        if (result.signal() != null) {
            g.writeStringField("signal", result.signal());
        }
        g.writeBooleanField("timedout", result.timedOut());
        g.writeBooleanField("killed", result.killed());
        g.writeBooleanField("truncated", result.truncated());
    }

    private static void writeNonce(JsonGenerator g, Nonce nonce) throws IOException {
        if (nonce instanceof Nonce.Numeric) {
            g.writeNumberField("nonce", ((Nonce.Numeric) nonce).value());
        } else if (nonce instanceof Nonce.Text) {
            g.writeStringField("nonce", ((Nonce.Text) nonce).value());
        }
    }

    @FunctionalInterface
    private interface Writer {
        void write(JsonGenerator generator) throws IOException;
    }

    private String write(Writer writer) {
        return write(writer, 128);
    }

    private String write(Writer writer, int sizeHint) {
        // Sized for the whole message: growing from a small buffer copied a 16 KiB LOG about 8 times.
        var out = new StringWriter(sizeHint);
        try (JsonGenerator g = factory.createGenerator(out)) {
            writer.write(g);
        } catch (IOException e) {
            // A StringWriter does not fail; a generator error here is a bug in this class.
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Trusted input: what a client reads from a server, and spec files

    /**
     * Decodes an event sent by a server (for clients and tests). Unknown data fields are ignored.
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
            nonce = readNonce(root.get("nonce"));
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
                        return new Event.Log(nonce, runId, stream, chunk.textValue());
                    }
                }
                throw new IllegalArgumentException("data: LOG has neither stdout nor stderr");
            }
            case STOP:
                return new Event.Stop(nonce, new RunId(trustedString(data, "runid")), readRunResult(data));
        }
        throw new AssertionError(code);
    }

    /**
     * Decodes a REST execution response (for clients and tests).
     *
     * @throws IllegalArgumentException if {@code text} is not a valid response
     */
    public ExecutionResponse decodeExecutionResponse(String text) {
        JsonNode root = readTrusted(text, "response");
        return new ExecutionResponse(trustedString(root, "stdout"), trustedString(root, "stderr"), readRunResult(root));
    }

    /**
     * Decodes a REST error body (for clients and tests).
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
     * Decodes a spec map written as JSON (a YAML spec file is converted to JSON first by the engine).
     * Entry order is kept; unknown fields are ignored.
     *
     * @throws IllegalArgumentException naming the key and field, if an entry is malformed
     */
    public SpecMap decodeSpecMap(String json) {
        JsonNode root = readTrusted(json, "spec map");
        if (root.isNull()) {
            return SpecMap.EMPTY;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("spec map: expected an object of language specs, got " + typeOf(root));
        }
        var entries = new LinkedHashMap<String, SpecEntry>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            entries.put(field.getKey(), readSpecEntry(field.getKey(), field.getValue()));
        }
        return new SpecMap(entries);
    }

    private static SpecEntry readSpecEntry(String key, JsonNode node) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(key + ": expected an object, got " + typeOf(node));
        }
        InlineTemplate inline = null;
        JsonNode inlineNode = node.get("inline");
        if (inlineNode != null && !inlineNode.isNull()) {
            if (!inlineNode.isObject()) {
                throw new IllegalArgumentException(key + ".inline: expected an object, got " + typeOf(inlineNode));
            }
            String template = optionalSpecString(key + ".inline", inlineNode, "template");
            if (template == null) {
                throw new IllegalArgumentException(key + ".inline.template: missing");
            }
            inline = new InlineTemplate(optionalSpecString(key + ".inline", inlineNode, "import_regex"), template);
        }
        return new SpecEntry(
                optionalSpecString(key, node, "use"),
                optionalSpecString(key, node, "image"),
                optionalSpecString(key, node, "registry"),
                optionalSpecString(key, node, "entrypoint"),
                optionalSpecString(key, node, "cmd"),
                optionalSpecString(key, node, "filename"),
                optionalSpecString(key, node, "language"),
                optionalSpecString(key, node, "example"),
                inline);
    }

    private static @Nullable String optionalSpecString(String where, JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + ": expected a string, got " + typeOf(node));
        }
        return node.textValue();
    }

    private static RunResult readRunResult(JsonNode data) {
        JsonNode exitCode = data.get("exitcode");
        JsonNode signal = data.get("signal");
        return new RunResult(
                data.path("exectimems").asLong(),
                exitCode != null && exitCode.isIntegralNumber() ? exitCode.intValue() : null,
                signal != null && signal.isTextual() ? signal.textValue() : null,
                data.path("timedout").asBoolean(false),
                data.path("killed").asBoolean(false),
                data.path("truncated").asBoolean(false));
    }

    private static String trustedString(JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException(field + ": expected a string, got " + typeOf(node));
        }
        return node.textValue();
    }

    private JsonNode readTrusted(String text, String what) {
        try {
            JsonNode root = mapper.readTree(text);
            if (root == null) {
                throw new IllegalArgumentException(what + ": empty input");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": " + describe(e), e);
        }
    }
}
