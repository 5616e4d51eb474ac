package dev.ranna.protocol.json;

import static dev.ranna.protocol.json.JsonSupport.describe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.json.UntrustedFields.FieldException;

/**
 * The server's reader of REST request bodies: untrusted text, with the same guarantees as {@link
 * OperationDecoder} (never throws for bad input, failures name the field, nesting limited to {@link
 * OperationDecoder#MAX_NESTING_DEPTH}).
 *
 * <p>Immutable and thread-safe; share the one instance from {@link #create()}.
 */
public final class RestRequestDecoder {

    /** The refusal of {@code "interactive": true}: nobody could send a REST run more input. */
    public static final String INTERACTIVE_NEEDS_WEBSOCKET = "interactive runs need the WebSocket API";

    private static final RestRequestDecoder INSTANCE = new RestRequestDecoder();

    private RestRequestDecoder() {}

    /** The shared decoder. */
    public static RestRequestDecoder create() {
        return INSTANCE;
    }

    /**
     * Decodes the body of {@code POST /v1/exec}. On success the operation is an {@link Operation.Exec}
     * with no nonce. Field names in messages have no {@code args.} prefix. {@code stdin} and {@code tty} are
     * accepted; {@code "interactive": true} is refused ({@value #INTERACTIVE_NEEDS_WEBSOCKET}).
     *
     * @param text untrusted text, any content
     * @return success, or a 400 failure whose message names the field
     */
    public DecodeResult decodeExecutionRequest(String text) {
        JsonNode root;
        try {
            root = JsonSupport.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return DecodeResult.Failure.badRequest(Nonce.NONE, "invalid request body: " + describe(e));
        }
        try {
            ExecutionRequest request = UntrustedFields.readExecutionRequest(root, "");
            if (request.interactive()) {
                return DecodeResult.Failure.badRequest(Nonce.NONE, INTERACTIVE_NEEDS_WEBSOCKET);
            }
            return new DecodeResult.Success(new Operation.Exec(Nonce.NONE, request));
        } catch (FieldException e) {
            return DecodeResult.Failure.badRequest(Nonce.NONE, e.field());
        }
    }
}
