package dev.ranna.protocol.schema;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The JSON Schemas of the wire contract (the resources under {@code dev/ranna/protocol/schema/} of
 * ranna-protocol), loaded once, for tests that check messages against them: ranna-protocol's own, and the
 * end-to-end tests of ranna-netty through this module's test-jar.
 *
 * <p>Schemas are named by their path under the schema folder ({@code "events/stop.json"}); their {@code $id}
 * is {@link #BASE_ID} plus that path, which the validator maps back onto the class path, so nothing is
 * fetched from the network. Thread-safe: the end-to-end client validates on the HTTP client's threads.
 */
public final class ContractSchemas {
    /** The {@code $id} of every schema is this plus its path. */
    public static final String BASE_ID = "https://ranna.dev/schema/v1/";

    /** Where the schemas are on the class path. */
    public static final String RESOURCE_ROOT = "dev/ranna/protocol/schema/";

    /** The operation schemas, indexed by op code. */
    public static final List<String> OPERATIONS = List.of(
            "ops/ping.json", "ops/exec.json", "ops/kill.json", "ops/stdin.json", "ops/signal.json", "ops/resize.json");

    /** The event schemas, indexed by event code. */
    public static final List<String> EVENTS = List.of(
            "events/pong.json", "events/error.json", "events/spawn.json", "events/log.json", "events/stop.json");

    public static final String EXECUTION_REQUEST = "rest/execution-request.json";
    public static final String EXECUTION_RESPONSE = "rest/execution-response.json";
    public static final String ERROR_RESPONSE = "rest/error-response.json";
    public static final String SPEC_MAP = "rest/spec-map.json";
    public static final String SYSTEM_INFO = "rest/system-info.json";

    /** Every schema file, message schemas and the ones they share. */
    public static final List<String> ALL = Stream.of(
                    List.of("common.json", "execution-request.json", "operation.json", "event.json"),
                    OPERATIONS,
                    EVENTS,
                    List.of(EXECUTION_REQUEST, EXECUTION_RESPONSE, ERROR_RESPONSE, SPEC_MAP, SYSTEM_INFO))
            .flatMap(List::stream)
            .collect(Collectors.toUnmodifiableList());

    /** The AsyncAPI document, beside the schemas. */
    public static final String ASYNCAPI = "asyncapi.yaml";

    private static final int QUOTED_MESSAGE_CHARS = 2_000;

    // Duplicate keys are a broken message, though a plain parser would keep the last one.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final ContractSchemas INSTANCE = new ContractSchemas();

    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new LinkedHashMap<>();

    private ContractSchemas() {
        registry = SchemaRegistry.withDefaultDialect(
                SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaIdResolvers(ids -> ids.mapPrefix(BASE_ID, "classpath:" + RESOURCE_ROOT)));
        for (String path : ALL) {
            Schema schema = registry.getSchema(SchemaLocation.of(BASE_ID + path));
            // Resolves every $ref now, so a broken reference fails here rather than in the middle of a test.
            schema.initializeValidators();
            schemas.put(path, schema);
        }
    }

    /** The shared instance; loading it fails if a schema or one of its references cannot be loaded. */
    public static ContractSchemas get() {
        return INSTANCE;
    }

    /** The schema at {@code path} (one of {@link #ALL}). */
    public Schema schema(String path) {
        Schema schema = schemas.get(path);
        if (schema == null) {
            throw new IllegalArgumentException("no contract schema " + path + "; known: " + ALL);
        }
        return schema;
    }

    /** The validator's registry, set up to find the contract's schemas (and the draft's meta-schema). */
    public SchemaRegistry registry() {
        return registry;
    }

    /**
     * What is wrong with {@code json} against the schema at {@code path}: one line per problem, naming the
     * place in the message; empty when it matches. Text that is not JSON is one problem.
     */
    public List<String> problems(String path, String json) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
        return problems(path, tree);
    }

    /** {@link #problems(String, String)} for a parsed message. */
    public List<String> problems(String path, JsonNode message) {
        return schema(path).validate(message).stream().map(Error::toString).collect(Collectors.toList());
    }

    /** Fails with a message naming the schema, the problems and the message if {@code json} does not match. */
    public void assertValid(String path, String json) {
        List<String> problems = problems(path, json);
        if (!problems.isEmpty()) {
            throw new AssertionError(describe(path, problems, json));
        }
    }

    /** The event schema for the WebSocket message {@code json}, by its {@code code}; empty if no code 0-4. */
    public Optional<String> eventSchemaOf(String json) {
        return schemaByCode(json, "code", EVENTS);
    }

    /** The operation schema for the WebSocket message {@code json}, by its {@code op}; empty if no op 0-5. */
    public Optional<String> operationSchemaOf(String json) {
        return schemaByCode(json, "op", OPERATIONS);
    }

    /**
     * What is wrong with a WebSocket message the server sent, against the schema of its event code ({@link
     * #eventSchemaOf}); empty when it matches.
     */
    public List<String> eventProblems(String json) {
        Optional<String> path = eventSchemaOf(json);
        if (path.isEmpty()) {
            return List.of("no event schema applies: not a JSON object with a \"code\" of 0-" + (EVENTS.size() - 1));
        }
        return problems(path.get(), json);
    }

    /** Fails, naming the schema and quoting the message, unless {@code json} is a valid event. */
    public void assertValidEvent(String json) {
        List<String> problems = eventProblems(json);
        if (!problems.isEmpty()) {
            throw new AssertionError(describe(eventSchemaOf(json).orElse("an event schema"), problems, json));
        }
    }

    /** How a failure reads: the schema, each problem, then the message (cut if long). */
    public static String describe(String path, List<String> problems, String json) {
        String quoted = json.length() <= QUOTED_MESSAGE_CHARS
                ? json
                : json.substring(0, QUOTED_MESSAGE_CHARS) + "... (" + json.length() + " chars)";
        return "message does not match " + path + ":\n  " + String.join("\n  ", problems) + "\nmessage: " + quoted;
    }

    private static Optional<String> schemaByCode(String json, String field, List<String> byCode) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (IOException e) {
            return Optional.empty();
        }
        JsonNode code = tree == null ? null : tree.get(field);
        if (code == null || !code.isIntegralNumber() || !code.canConvertToInt()) {
            return Optional.empty();
        }
        int value = code.intValue();
        return value >= 0 && value < byCode.size() ? Optional.of(byCode.get(value)) : Optional.empty();
    }
}
