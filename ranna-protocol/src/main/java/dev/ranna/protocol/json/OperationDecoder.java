package dev.ranna.protocol.json;

import static dev.ranna.protocol.json.JsonSupport.describe;
import static dev.ranna.protocol.json.JsonSupport.typeOf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.OpCode;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.json.UntrustedFields.FieldException;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The server's reader of what a WebSocket client sends: untrusted text to an {@link Operation}.
 *
 * <p>Never throws for bad input: any text, however malformed, deep or large, gives a {@link
 * DecodeResult.Failure} (code 400) whose message names the offending field
 * ({@code "args.language: expected a string, got an integer"}) and which keeps the nonce if it could be
 * read, so the ERROR reaches the right request. Nesting deeper than {@link #MAX_NESTING_DEPTH}, duplicate
 * keys, trailing tokens and unpaired surrogates are refused.
 *
 * <p>Immutable and thread-safe; share the one instance from {@link #create()}.
 */
public final class OperationDecoder {

    /** The deepest JSON nesting accepted; a valid operation is 3 levels deep. */
    public static final int MAX_NESTING_DEPTH = JsonSupport.MAX_NESTING_DEPTH;

    private static final OperationDecoder INSTANCE = new OperationDecoder();

    private OperationDecoder() {}

    /** The shared decoder. */
    public static OperationDecoder create() {
        return INSTANCE;
    }

    /**
     * Decodes one WebSocket text message into an operation.
     *
     * @param text untrusted text, any content
     * @return success, or a failure carrying the nonce it could read, a 400 code and a message
     */
    public DecodeResult decode(String text) {
        JsonNode root;
        try {
            root = JsonSupport.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return DecodeResult.Failure.badRequest(Nonce.NONE, "invalid message: " + describe(e));
        }
        if (root == null || !root.isObject()) {
            return DecodeResult.Failure.badRequest(
                    Nonce.NONE, "invalid message: expected a JSON object, got " + typeOf(root));
        }

        Nonce nonce;
        try {
            nonce = UntrustedFields.readNonce(root.get("nonce"));
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
            return new DecodeResult.Success(read(op.get(), nonce, args));
        } catch (FieldException e) {
            return DecodeResult.Failure.badRequest(nonce, e.field());
        }
    }

    private static Operation read(OpCode op, Nonce nonce, @Nullable JsonNode args) throws FieldException {
        switch (op) {
            case PING:
                return new Operation.Ping(nonce);
            case EXEC:
                return new Operation.Exec(nonce, UntrustedFields.readExecutionRequest(args, "args"));
            case KILL:
                return new Operation.Kill(nonce, readRunId(object(args)));
            case STDIN: {
                JsonNode object = object(args);
                return new Operation.Stdin(
                        nonce,
                        readRunId(object),
                        UntrustedFields.optionalString(object, "args.data", "data"),
                        UntrustedFields.optionalBoolean(object, "args.eof", "eof"));
            }
            case SIGNAL: {
                JsonNode object = object(args);
                return new Operation.Signal(nonce, readRunId(object), readSignal(object));
            }
            case RESIZE: {
                JsonNode object = object(args);
                RunId runId = readRunId(object);
                int columns = UntrustedFields.requiredInt(
                        object, "args.cols", "cols", Operation.Resize.MIN_SIZE, Operation.Resize.MAX_SIZE);
                int rows = UntrustedFields.requiredInt(
                        object, "args.rows", "rows", Operation.Resize.MIN_SIZE, Operation.Resize.MAX_SIZE);
                return new Operation.Resize(nonce, runId, columns, rows);
            }
        }
        throw new AssertionError(op);
    }

    private static JsonNode object(@Nullable JsonNode args) throws FieldException {
        if (args == null || args.isNull()) {
            throw new FieldException("args: missing");
        }
        if (!args.isObject()) {
            throw new FieldException("args: expected an object, got " + typeOf(args));
        }
        return args;
    }

    private static RunId readRunId(JsonNode args) throws FieldException {
        String runId = UntrustedFields.requiredString(args, "args.runid", "runid");
        if (runId.isEmpty()) {
            throw new FieldException("args.runid: must not be empty");
        }
        return new RunId(runId);
    }

    /** The allowed names, for the message that refuses any other (never echoes what the client sent). */
    private static final String ALLOWED_SIGNALS =
            Arrays.stream(ProgramSignal.values()).map(ProgramSignal::name).collect(Collectors.joining(", "));

    private static ProgramSignal readSignal(JsonNode args) throws FieldException {
        String name = UntrustedFields.requiredString(args, "args.signal", "signal");
        return ProgramSignal.fromName(name)
                .orElseThrow(() -> new FieldException("args.signal: expected one of " + ALLOWED_SIGNALS));
    }
}
