package dev.ranna.netty.e2e;

import dev.ranna.protocol.schema.ContractSchemas;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The end-to-end tests' check of what the server sends against the wire contract's JSON Schemas
 * (ranna-protocol's {@code dev/ranna/protocol/schema/}): WebSocket events through {@link RecordingListener},
 * REST bodies through {@link #checkRest}. A failure names the schema, the problems and the message.
 */
final class Contract {
    private static final ContractSchemas SCHEMAS = ContractSchemas.get();

    private Contract() {}

    /** The problems of one WebSocket text message from the server, as one failure text; null if none. */
    static @Nullable String eventViolation(String text) {
        List<String> problems = SCHEMAS.eventProblems(text);
        if (problems.isEmpty()) {
            return null;
        }
        return ContractSchemas.describe(SCHEMAS.eventSchemaOf(text).orElse("an event schema"), problems, text);
    }

    /**
     * Fails unless the body of a REST answer matches the schema for its method, path and status: {@code
     * /v1/spec}, {@code /v1/info} and {@code /v1/exec} bodies, and the error body of every {@code /v1/}
     * failure. Paths outside {@code /v1/} ({@code /healthz}, {@code /metrics}) are not part of the JSON
     * contract; an empty body (a CORS preflight) has nothing to check.
     *
     * @return {@code response}, for chaining
     */
    static HttpResponse<String> checkRest(HttpResponse<String> response) {
        URI uri = response.request().uri();
        String path = uri.getPath();
        String method = response.request().method();
        String body = response.body();
        if (!path.startsWith("/v1/") || body == null || body.isEmpty()) {
            return response;
        }
        String schema = restSchema(method, path, response.statusCode());
        if (schema == null) {
            throw new AssertionError("no contract schema for the answer to " + method + " " + path + " ("
                    + response.statusCode() + "): " + body);
        }
        SCHEMAS.assertValid(schema, body);
        return response;
    }

    private static @Nullable String restSchema(String method, String path, int status) {
        if (status >= 400) {
            return ContractSchemas.ERROR_RESPONSE;
        }
        if (status != 200) {
            return null;
        }
        switch (method + " " + path) {
            case "GET /v1/spec":
                return ContractSchemas.SPEC_MAP;
            case "GET /v1/info":
                return ContractSchemas.SYSTEM_INFO;
            case "POST /v1/exec":
                return ContractSchemas.EXECUTION_RESPONSE;
            default:
                return null;
        }
    }
}
