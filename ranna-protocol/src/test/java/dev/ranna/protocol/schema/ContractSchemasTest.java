package dev.ranna.protocol.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecificationVersion;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.json.OperationDecoder;
import dev.ranna.protocol.json.RestRequestDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The machine-readable contract: the schemas are valid JSON Schema, every golden message and contract
 * example matches its schema, each schema rejects a message that breaks one of its rules, and the AsyncAPI
 * document's references all land on these schemas.
 */
class ContractSchemasTest {
    private static final ContractSchemas CONTRACT = ContractSchemas.get();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** REST bodies have no code to choose a schema by: the file name's start says which body it is. */
    private static final Map<String, String> REST_BY_PREFIX = Map.of(
            "execution-request", ContractSchemas.EXECUTION_REQUEST,
            "execution-response", ContractSchemas.EXECUTION_RESPONSE,
            "error-response", ContractSchemas.ERROR_RESPONSE,
            "spec-map", ContractSchemas.SPEC_MAP,
            "system-info", ContractSchemas.SYSTEM_INFO);

    // ---------------------------------------------------------------------------------------------
    // The schemas themselves

    static Stream<String> schemas() {
        return ContractSchemas.ALL.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemas")
    void schemaIsValidDraft202012(String path) {
        Schema metaSchema =
                CONTRACT.registry().getSchema(SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));
        JsonNode schema = tree(resource(ContractSchemas.RESOURCE_ROOT + path));

        assertThat(metaSchema.validate(schema)).as(path).isEmpty();
        assertThat(schema.path("$schema").asText()).isEqualTo(SpecificationVersion.DRAFT_2020_12.getDialectId());
        assertThat(schema.path("$id").asText()).isEqualTo(ContractSchemas.BASE_ID + path);
    }

    @Test
    void theSchemaFolderHoldsExactlyTheListedSchemasAndTheAsyncApiDocument() {
        Set<String> expected = new TreeSet<>(ContractSchemas.ALL);
        expected.add(ContractSchemas.ASYNCAPI);

        assertThat(filesUnder(ContractSchemas.RESOURCE_ROOT)).isEqualTo(expected);
    }

    @Test
    void aSchemaRejectsWhatItsMetaSchemaForbids() {
        // The meta-schema check above could pass vacuously; a broken schema must fail it.
        Schema metaSchema =
                CONTRACT.registry().getSchema(SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));

        assertThat(metaSchema.validate(tree("{\"type\": \"integr\", \"minimum\": \"one\"}")))
                .isNotEmpty();
    }

    // ---------------------------------------------------------------------------------------------
    // Golden files and contract examples match

    static Stream<Arguments> messages() {
        return Stream.concat(
                        filesUnder("golden/").stream().map(file -> "golden/" + file),
                        filesUnder("contract-examples/").stream()
                                .filter(file -> file.endsWith(".json"))
                                .map(file -> "contract-examples/" + file))
                .map(file -> Arguments.of(file, schemaFor(file)));
    }

    @ParameterizedTest(name = "{0} matches {1}")
    @MethodSource("messages")
    void messageMatchesItsSchema(String file, String schema) {
        String json = resource(file);

        assertThat(CONTRACT.problems(schema, json))
                .as(ContractSchemas.describe(schema, List.of(), json))
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void webSocketMessageMatchesTheUnionSchemaOfItsDirection(String file, String schema) {
        String json = resource(file);
        if (schema.startsWith("ops/")) {
            assertThat(CONTRACT.problems("operation.json", json)).isEmpty();
        } else if (schema.startsWith("events/")) {
            assertThat(CONTRACT.problems("event.json", json)).isEmpty();
            assertThat(CONTRACT.eventProblems(json)).isEmpty();
        } else {
            assertThat(schema).startsWith("rest/");
        }
    }

    @Test
    void everyMessageSchemaHasAtLeastOneExample() {
        Set<String> covered = messages().map(args -> (String) args.get()[1]).collect(Collectors.toSet());
        List<String> messageSchemas = new ArrayList<>(ContractSchemas.OPERATIONS);
        messageSchemas.addAll(ContractSchemas.EVENTS);
        messageSchemas.addAll(REST_BY_PREFIX.values());

        assertThat(covered).containsAll(messageSchemas);
    }

    // ---------------------------------------------------------------------------------------------
    // Each schema can fail: a message that breaks one rule is rejected, and the problem names the field

    static Stream<Arguments> mutations() {
        return Stream.of(
                // Operations: envelope
                m("golden/ops/ping.json", "/op", "\"0\"", "op is a string"),
                m("golden/ops/ping.json", "/op", "1", "op of another operation"),
                m("golden/ops/ping.json", "/op", null, "op missing"),
                m("golden/ops/ping.json", "/nonce", "1.5", "nonce is a float"),
                m("golden/ops/ping.json", "/nonce", "true", "nonce is a boolean"),
                m("golden/ops/ping.json", "/nonce", "{}", "nonce is an object"),
                m("golden/ops/kill.json", "/nonce", "9223372036854775808", "nonce beyond 64 bits"),
                // EXEC
                m("golden/ops/exec-full.json", "/args", null, "args missing"),
                m("golden/ops/exec-full.json", "/args", "[]", "args is an array"),
                m("golden/ops/exec-full.json", "/args/language", null, "language missing"),
                m("golden/ops/exec-full.json", "/args/language", "7", "language is a number"),
                m("golden/ops/exec-full.json", "/args/code", null, "code missing"),
                m("golden/ops/exec-full.json", "/args/code", "\"\"", "code is empty"),
                m("golden/ops/exec-full.json", "/args/inline_expression", "\"yes\"", "inline_expression is a string"),
                m("golden/ops/exec-full.json", "/args/arguments", "\"a b\"", "arguments is a string"),
                m("golden/ops/exec-full.json", "/args/arguments/1", "1", "an argument is a number"),
                m("golden/ops/exec-full.json", "/args/environment", "[]", "environment is an array"),
                m("golden/ops/exec-full.json", "/args/environment/GREETING", "1", "an environment value is a number"),
                m("golden/ops/exec-full.json", "/args/environment/A=B", "\"x\"", "an environment key has ="),
                m("golden/ops/exec-full.json", "/args/environment/", "\"x\"", "an environment key is empty"),
                m("golden/ops/exec-full.json", "/args/environment/A\u0000B", "\"x\"", "an environment key has NUL"),
                m("contract-examples/ops/exec-extensions.json", "/args/stdin", "5", "stdin is a number"),
                m("contract-examples/ops/exec-extensions.json", "/args/interactive", "\"yes\"", "interactive"),
                m("contract-examples/ops/exec-extensions.json", "/args/tty", "1", "tty is a number"),
                m("contract-examples/ops/exec-extensions.json", "/args/files", "{}", "files is an object"),
                m("contract-examples/ops/exec-extensions.json", "/args/files/0/name", "\"../x\"", "files name .."),
                m("contract-examples/ops/exec-extensions.json", "/args/files/0/name", "\"/etc/x\"", "absolute"),
                m("contract-examples/ops/exec-extensions.json", "/args/files/0/name", "\"a//b\"", "empty segment"),
                m("contract-examples/ops/exec-extensions.json", "/args/files/0/name", "\"a/./b\"", ". segment"),
                m("contract-examples/ops/exec-extensions.json", "/args/files/0/name", "\"a\\\\b\"", "backslash"),
                m(
                        "contract-examples/ops/exec-extensions.json",
                        "/args/files/0/name",
                        "\"" + "n".repeat(256) + "\"",
                        "long"),
                m("contract-examples/ops/exec-extensions.json", "/args/files/0/name", null, "files name missing"),
                m("contract-examples/ops/exec-extensions.json", "/args/files/1/content", null, "content missing"),
                m("contract-examples/ops/exec-extensions.json", "/args/files/1/encoding", "\"hex\"", "encoding"),
                m("contract-examples/ops/exec-extensions.json", "/args/limits", "5", "limits is a number"),
                m("contract-examples/ops/exec-extensions.json", "/args/limits/memorybytes", "0", "memorybytes 0"),
                m("contract-examples/ops/exec-extensions.json", "/args/limits/timeoutms", "-1", "negative"),
                m("contract-examples/ops/exec-extensions.json", "/args/limits/outputbytes", "1.5", "not an integer"),
                m("contract-examples/ops/exec-extensions.json", "/args/limits/compiletimeoutms", "\"5\"", "a string"),
                // KILL, STDIN, SIGNAL, RESIZE
                m("golden/ops/kill.json", "/args/runid", null, "runid missing"),
                m("golden/ops/kill.json", "/args/runid", "\"\"", "runid empty"),
                m("golden/ops/kill.json", "/args/runid", "42", "runid is a number"),
                m("golden/ops/kill-no-nonce.json", "/args", null, "args missing"),
                m("contract-examples/ops/stdin.json", "/args/runid", null, "runid missing"),
                m("contract-examples/ops/stdin.json", "/args/data", "5", "data is a number"),
                m("contract-examples/ops/stdin-eof.json", "/args/eof", "\"yes\"", "eof is a string"),
                m("contract-examples/ops/stdin.json", "/args", null, "args missing"),
                m("contract-examples/ops/signal.json", "/args/signal", "\"SIGSEGV\"", "a signal not allowed"),
                m("contract-examples/ops/signal.json", "/args/signal", "\"sigint\"", "lower case"),
                m("contract-examples/ops/signal.json", "/args/signal", "2", "a signal number"),
                m("contract-examples/ops/signal.json", "/args/signal", null, "signal missing"),
                m("contract-examples/ops/resize.json", "/args/cols", "0", "cols 0"),
                m("contract-examples/ops/resize.json", "/args/rows", "1001", "rows 1001"),
                m("contract-examples/ops/resize.json", "/args/cols", "80.5", "cols not an integer"),
                m("contract-examples/ops/resize.json", "/args/rows", "\"24\"", "rows a string"),
                m("contract-examples/ops/resize.json", "/args/rows", null, "rows missing"),
                // Events
                m("golden/events/pong.json", "/data", "\"pong\"", "PONG data"),
                m("golden/events/pong.json", "/code", "1", "code of another event"),
                m("golden/events/pong.json", "/extra", "1", "an unknown field"),
                m("golden/events/pong.json", "/nonce", "null", "a null nonce"),
                m("golden/events/error.json", "/data/code", "\"400\"", "code is a string"),
                m("golden/events/error.json", "/data/code", "200", "code below 400"),
                m("golden/events/error.json", "/data/message", null, "message missing"),
                m("golden/events/error.json", "/data/runid", "\"x\"", "an unknown field"),
                m("golden/events/spawn.json", "/data/runid", "\"2A4D3E48E67995E1A7726D79344C96B8\"", "upper case"),
                m("golden/events/spawn.json", "/data/runid", "\"abc123\"", "under 128 bits"),
                m("golden/events/spawn.json", "/data", null, "data missing"),
                m("golden/events/log-stdout.json", "/data/stderr", "\"both\"", "stdout and stderr"),
                m("golden/events/log-stdout.json", "/data/stdout", null, "neither stdout nor stderr"),
                m("golden/events/log-stdout.json", "/data/stdout", "5", "stdout is a number"),
                m("golden/events/log-stdout.json", "/data/runid", null, "runid missing"),
                m("contract-examples/events/log-compile-stage.json", "/data/stage", "\"link\"", "unknown stage"),
                m("golden/events/stop-exited.json", "/data/exectimems", "-1", "exectimems negative"),
                m("golden/events/stop-exited.json", "/data/exectimems", null, "exectimems missing"),
                m("golden/events/stop-exited.json", "/data/exectimems", "1.5", "exectimems not an integer"),
                m("golden/events/stop-exited.json", "/data/signal", "\"SIGKILL\"", "exitcode and signal both"),
                m("golden/events/stop-exited.json", "/data/exitcode", "\"0\"", "exitcode is a string"),
                m("golden/events/stop-killed.json", "/data/signal", "\"KILL\"", "signal without SIG"),
                m("golden/events/stop-exited.json", "/data/timedout", "\"false\"", "timedout is a string"),
                m("golden/events/stop-exited.json", "/data/killed", "0", "killed is a number"),
                m("golden/events/stop-exited.json", "/data/truncated", "null", "truncated is null"),
                m("golden/events/stop-exited.json", "/data/exitCode", "0", "an unknown field"),
                m("contract-examples/events/stop-usage.json", "/data/usage/memorybytes", null, "usage half"),
                m("contract-examples/events/stop-usage.json", "/data/usage/cputimems", "-5", "usage negative"),
                m("contract-examples/events/stop-usage.json", "/data/usage/rss", "5", "usage unknown field"),
                m("contract-examples/events/stop-usage.json", "/data/oomkilled", "\"no\"", "oomkilled a string"),
                m("contract-examples/events/stop-usage.json", "/data/stage", "\"build\"", "unknown stage"),
                m("contract-examples/events/stop-usage.json", "/data/compiletimems", "-1", "negative"),
                // REST
                m("golden/rest/execution-response.json", "/stderr", null, "stderr missing"),
                m("golden/rest/execution-response.json", "/exectimems", "\"15\"", "exectimems a string"),
                m("golden/rest/execution-response.json", "/from_cache", "true", "from_cache true"),
                m("golden/rest/execution-response.json", "/runid", "\"x\"", "an unknown field"),
                m("contract-examples/rest/execution-response-compile.json", "/compile/exectimems", null, "missing"),
                m("contract-examples/rest/execution-response-compile.json", "/compile/signal", "\"SIGKILL\"", "both"),
                m("golden/rest/error-response.json", "/code", "\"400\"", "code a string"),
                m("golden/rest/error-response.json", "/error", null, "error missing"),
                m("golden/rest/error-response.json", "/message", "\"x\"", "an unknown field"),
                m("golden/rest/error-response.json", "/stdout", "\"\"", "output without the run's end"),
                m("contract-examples/rest/error-response-run-ended.json", "/exectimems", null, "exectimems gone"),
                m("contract-examples/rest/error-response-run-ended.json", "/truncated", "\"yes\"", "a string"),
                m("golden/rest/error-response.json", "/timedout", "true", "a run field without the run"),
                m("golden/rest/spec-map.json", "/go/inline/template", null, "inline without template"),
                m("golden/rest/spec-map.json", "/python3/imgae", "\"x\"", "an unknown field"),
                m("golden/rest/spec-map.json", "/python/use", "1", "use a number"),
                m("golden/rest/spec-map.json", "/python3", "\"python:3\"", "an entry is a string"),
                m("golden/rest/system-info.json", "/sandbox", null, "sandbox missing"),
                m("golden/rest/system-info.json", "/sandbox/version", null, "sandbox version missing"),
                m("golden/rest/system-info.json", "/go_version", "17", "go_version a number"),
                m("golden/rest/system-info.json", "/sandbox/isolation", "true", "a detail not a string"),
                m("contract-examples/rest/system-info-features.json", "/features/0", "\"gpu\"", "unknown feature"),
                m("contract-examples/rest/system-info-features.json", "/features/1", "\"stdin\"", "duplicate"),
                m("contract-examples/rest/system-info-features.json", "/features", "\"stdin\"", "a string"),
                m("contract-examples/rest/execution-request-extensions.json", "/interactive", "true", "REST"),
                m("contract-examples/rest/execution-request-extensions.json", "/code", "\"\"", "code empty"),
                m("contract-examples/rest/execution-request-go-client.json", "/language", null, "missing"));
    }

    private static Arguments m(String file, String pointer, @Nullable String json, String why) {
        return Arguments.of(file, pointer, json, why);
    }

    @ParameterizedTest(name = "{0}: {3}")
    @MethodSource("mutations")
    void aMessageThatBreaksARuleIsRejected(String file, String pointer, @Nullable String value, String why) {
        String schema = schemaFor(file);
        JsonNode original = tree(resource(file));
        assertThat(CONTRACT.problems(schema, original))
                .as("the original " + file)
                .isEmpty();

        JsonNode mutated = mutate(original, pointer, value);
        assertThat(mutated).as("the mutation changed the message").isNotEqualTo(original);
        List<String> problems = CONTRACT.problems(schema, mutated);

        assertThat(problems).as("%s against %s (%s)", mutated, schema, why).isNotEmpty();
        List<String> names = namesIn(pointer);
        assertThat(problems)
                .as("a problem names the field or its object, one of %s", names)
                .anySatisfy(problem ->
                        assertThat(names).anySatisfy(name -> assertThat(problem).contains(name)));
    }

    // The schemas of what clients send must agree with the server's decoders: a message they accept must
    // match (or a valid client would fail the schema), one they refuse must not.

    static Stream<String> operationsTheDecoderAccepts() {
        return Stream.of(
                "{\"op\":0}",
                "{\"op\":0,\"nonce\":null}",
                "{\"op\":0,\"nonce\":0,\"args\":null}",
                "{\"op\":0,\"nonce\":\"\",\"args\":[1,2,{}]}",
                "{\"op\":0,\"nonce\":-9223372036854775808}",
                "{\"op\":0,\"nonce\":9223372036854775807,\"pad\":\"x\"}",
                "{\"op\":1,\"args\":{\"language\":\"go\",\"code\":\"x\",\"arguments\":null,\"environment\":null}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"inline_expression\":null}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":[\"\"],\"environment\":{}}}",
                "{\"op\":1,\"x\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"from_cache\":1,"
                        + "\"limits\":{\"cpus\":2},\"files\":[{\"name\":\"a\",\"content\":\"\",\"mode\":\"0644\"}]}}",
                "{\"op\":2,\"args\":{\"runid\":\"r\",\"why\":1},\"x\":2}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"stdin\":null,\"interactive\":null,\"tty\":null}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"stdin\":\"\",\"interactive\":true,\"tty\":false}}",
                "{\"op\":3,\"args\":{\"runid\":\"r\"}}",
                "{\"op\":3,\"nonce\":1,\"args\":{\"runid\":\"r\",\"data\":null,\"eof\":null,\"x\":1}}",
                "{\"op\":3,\"args\":{\"runid\":\"r\",\"data\":\"\",\"eof\":true}}",
                "{\"op\":4,\"args\":{\"runid\":\"r\",\"signal\":\"SIGSTOP\"}}",
                "{\"op\":4,\"args\":{\"runid\":\"r\",\"signal\":\"SIGHUP\",\"x\":1}}",
                "{\"op\":5,\"args\":{\"runid\":\"r\",\"cols\":1,\"rows\":1000}}");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operationsTheDecoderAccepts")
    void anOperationTheDecoderAcceptsMatchesItsSchema(String json) {
        assertThat(OperationDecoder.create().decode(json)).isInstanceOf(DecodeResult.Success.class);

        String schema = CONTRACT.operationSchemaOf(json).orElseThrow();
        assertThat(CONTRACT.problems(schema, json)).isEmpty();
        assertThat(CONTRACT.problems("operation.json", json)).isEmpty();
    }

    static Stream<String> operationsTheDecoderRefuses() {
        // (One gap a schema cannot close: JSON Schema counts 1.0 as the integer 1; the decoder refuses it.)
        return Stream.of(
                "{\"op\":\"0\"}",
                "{\"op\":0.5}",
                "{\"op\":0,\"nonce\":1.5}",
                "{\"op\":0,\"nonce\":true}",
                "{\"op\":0,\"nonce\":[1]}",
                "{\"op\":0,\"nonce\":9223372036854775808}",
                "{\"op\":1}",
                "{\"op\":1,\"args\":null}",
                "{\"op\":1,\"args\":[]}",
                "{\"op\":1,\"args\":{\"code\":\"x\"}}",
                "{\"op\":1,\"args\":{\"language\":1,\"code\":\"x\"}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\"}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"inline_expression\":1}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":\"a\"}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"arguments\":[null]}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":[]}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"environment\":{\"A\":1}}}",
                "{\"op\":2}",
                "{\"op\":2,\"args\":{}}",
                "{\"op\":2,\"args\":{\"runid\":\"\"}}",
                "{\"op\":2,\"args\":{\"runid\":7}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"stdin\":5}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"interactive\":\"yes\"}}",
                "{\"op\":1,\"args\":{\"language\":\"sh\",\"code\":\"x\",\"tty\":1}}",
                "{\"op\":3}",
                "{\"op\":3,\"args\":{\"data\":\"x\"}}",
                "{\"op\":3,\"args\":{\"runid\":\"\"}}",
                "{\"op\":3,\"args\":{\"runid\":\"r\",\"data\":1}}",
                "{\"op\":3,\"args\":{\"runid\":\"r\",\"eof\":\"true\"}}",
                "{\"op\":4,\"args\":{\"runid\":\"r\"}}",
                "{\"op\":4,\"args\":{\"runid\":\"r\",\"signal\":\"SIGSEGV\"}}",
                "{\"op\":4,\"args\":{\"runid\":\"r\",\"signal\":\"sigint\"}}",
                "{\"op\":4,\"args\":{\"runid\":\"r\",\"signal\":9}}",
                "{\"op\":5,\"args\":{\"runid\":\"r\",\"cols\":80}}",
                "{\"op\":5,\"args\":{\"runid\":\"r\",\"cols\":0,\"rows\":24}}",
                "{\"op\":5,\"args\":{\"runid\":\"r\",\"cols\":80,\"rows\":1001}}",
                "{\"op\":5,\"args\":{\"runid\":\"r\",\"cols\":\"80\",\"rows\":24}}");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operationsTheDecoderRefuses")
    void anOperationTheDecoderRefusesFailsItsSchema(String json) {
        assertThat(OperationDecoder.create().decode(json)).isInstanceOf(DecodeResult.Failure.class);

        assertThat(CONTRACT.problems("operation.json", json)).isNotEmpty();
        CONTRACT.operationSchemaOf(json)
                .ifPresent(schema -> assertThat(CONTRACT.problems(schema, json)).isNotEmpty());
    }

    @Test
    void restBodiesTheDecoderAcceptsMatchTheirSchema() {
        String body = "{\"language\":\"go\",\"code\":\"x\",\"arguments\":null,\"environment\":null,\"x\":1}";

        assertThat(RestRequestDecoder.create().decodeExecutionRequest(body)).isInstanceOf(DecodeResult.Success.class);
        assertThat(CONTRACT.problems(ContractSchemas.EXECUTION_REQUEST, body)).isEmpty();
    }

    @Test
    void restBodiesWithStdinAndTtyMatchButInteractiveIsRefusedByBoth() {
        String accepted = "{\"language\":\"sh\",\"code\":\"x\",\"stdin\":\"in\",\"tty\":true,\"interactive\":false}";
        String refused = "{\"language\":\"sh\",\"code\":\"x\",\"interactive\":true}";

        assertThat(RestRequestDecoder.create().decodeExecutionRequest(accepted))
                .isInstanceOf(DecodeResult.Success.class);
        assertThat(CONTRACT.problems(ContractSchemas.EXECUTION_REQUEST, accepted))
                .isEmpty();
        assertThat(RestRequestDecoder.create().decodeExecutionRequest(refused))
                .isInstanceOf(DecodeResult.Failure.class);
        assertThat(CONTRACT.problems(ContractSchemas.EXECUTION_REQUEST, refused))
                .isNotEmpty();
    }

    @Test
    void nonceNullIsNeverSentInEvents() {
        assertThat(CONTRACT.problems("events/pong.json", "{\"code\":0,\"nonce\":null,\"data\":\"Pong!\"}"))
                .isNotEmpty();
    }

    @Test
    void anUnknownCodeOrOpHasNoSchema() {
        assertThat(CONTRACT.eventSchemaOf("{\"code\":5,\"data\":{}}")).isEmpty();
        assertThat(CONTRACT.eventSchemaOf("{\"code\":\"1\",\"data\":{}}")).isEmpty();
        assertThat(CONTRACT.eventSchemaOf("[]")).isEmpty();
        assertThat(CONTRACT.eventProblems("not json"))
                .singleElement()
                .asString()
                .contains("no event schema");
        assertThat(CONTRACT.operationSchemaOf("{\"op\":6}")).isEmpty();
        assertThat(CONTRACT.problems("operation.json", "{\"op\":6}")).isNotEmpty();
        assertThat(CONTRACT.problems("event.json", "{\"code\":9,\"data\":1}")).isNotEmpty();
    }

    @Test
    void aFailedAssertionNamesTheSchemaAndQuotesTheMessage() {
        String bad = "{\"code\":4,\"data\":{\"runid\":\"2a4d3e48e67995e1a7726d79344c96b8\",\"exectimems\":\"5\"}}";

        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> CONTRACT.assertValidEvent(bad));

        assertThat(failure)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("events/stop.json")
                .hasMessageContaining("exectimems")
                .hasMessageContaining(bad);
    }

    // ---------------------------------------------------------------------------------------------
    // The AsyncAPI document

    @Test
    void asyncApiDocumentDescribesTheWebSocketChannel() {
        JsonNode doc = asyncApi();

        assertThat(doc.path("asyncapi").asText()).isEqualTo("3.0.0");
        assertThat(doc.path("channels").path("ws").path("address").asText()).isEqualTo("/v1/ws");
        doc.path("operations").fields().forEachRemaining(operation -> {
            String action = operation.getValue().path("action").asText();
            assertThat(action).as(operation.getKey()).isIn("send", "receive");
            assertThat(operation.getValue().path("channel").path("$ref").asText())
                    .isEqualTo("#/channels/ws");
            // The server receives operations and sends events: the payloads must say the same.
            String folder = action.equals("receive") ? "ops/" : "events/";
            operation
                    .getValue()
                    .path("messages")
                    .forEach(ref -> assertThat(payloadSchema(doc, ref))
                            .as(operation.getKey())
                            .startsWith(folder));
        });
    }

    @Test
    void everyReferenceInTheAsyncApiDocumentResolves() {
        JsonNode doc = asyncApi();
        List<String> references = new ArrayList<>();
        collectReferences(doc, references);
        assertThat(references).isNotEmpty();

        Set<String> schemaFiles = new TreeSet<>();
        for (String reference : references) {
            if (reference.startsWith("#")) {
                assertThat(doc.at(reference.substring(1)).isMissingNode())
                        .as("%s resolves in the document", reference)
                        .isFalse();
            } else {
                String file = reference.contains("#") ? reference.substring(0, reference.indexOf('#')) : reference;
                assertThat(ContractSchemas.ALL)
                        .as("%s is a contract schema", reference)
                        .contains(file);
                assertThat(CONTRACT.schema(file)).isNotNull();
                schemaFiles.add(file);
            }
        }
        Set<String> messageSchemas = new TreeSet<>(ContractSchemas.OPERATIONS);
        messageSchemas.addAll(ContractSchemas.EVENTS);
        assertThat(schemaFiles).as("every operation and event has its message").isEqualTo(messageSchemas);
    }

    private static JsonNode asyncApi() {
        try {
            return new YAMLMapper().readTree(resource(ContractSchemas.RESOURCE_ROOT + ContractSchemas.ASYNCAPI));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The schema file a message reference (in an operation) carries as its payload. */
    private static String payloadSchema(JsonNode doc, JsonNode messageRef) {
        JsonNode message = doc.at(messageRef.path("$ref").asText().substring(1));
        if (message.has("$ref")) {
            message = doc.at(message.path("$ref").asText().substring(1));
        }
        return message.path("payload").path("schema").path("$ref").asText();
    }

    private static void collectReferences(JsonNode node, List<String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                if (field.getKey().equals("$ref")) {
                    into.add(field.getValue().asText());
                } else {
                    collectReferences(field.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(element -> collectReferences(element, into));
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Which schema a golden file or contract example is checked against. */
    static String schemaFor(String file) {
        String name = file.substring(file.lastIndexOf('/') + 1);
        String json = resource(file);
        Optional<String> schema;
        if (file.contains("/ops/")) {
            schema = CONTRACT.operationSchemaOf(json);
        } else if (file.contains("/events/")) {
            schema = CONTRACT.eventSchemaOf(json);
        } else {
            schema = REST_BY_PREFIX.entrySet().stream()
                    .filter(entry -> name.startsWith(entry.getKey()))
                    .map(Map.Entry::getValue)
                    .findFirst();
        }
        return schema.orElseThrow(() -> new AssertionError("no contract schema for " + file
                + ": ops/ and events/ need an op or code of the contract, REST files a name starting with one of "
                + REST_BY_PREFIX.keySet()));
    }

    private static JsonNode mutate(JsonNode original, String pointer, @Nullable String json) {
        JsonNode copy = original.deepCopy();
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = copy.at(pointer.substring(0, slash));
        String name = pointer.substring(slash + 1);
        JsonNode value = json == null ? null : tree(json);
        if (parent instanceof ObjectNode) {
            if (value == null) {
                ((ObjectNode) parent).remove(name);
            } else {
                ((ObjectNode) parent).set(name, value);
            }
        } else if (parent instanceof ArrayNode) {
            int index = Integer.parseInt(name);
            if (value == null) {
                ((ArrayNode) parent).remove(index);
            } else {
                ((ArrayNode) parent).set(index, value);
            }
        } else {
            throw new IllegalArgumentException("no object or array at " + pointer + " in " + original);
        }
        return copy;
    }

    /**
     * The names a problem about {@code pointer} may give: the field's own (an environment key stands for its
     * map) or its object's, skipping array indexes.
     */
    private static List<String> namesIn(String pointer) {
        List<String> names = new ArrayList<>();
        for (String part : pointer.substring(1).split("/", -1)) {
            boolean index = !part.isEmpty() && part.chars().allMatch(Character::isDigit);
            if (!part.isEmpty() && !index && !part.contains("=") && !part.contains("\u0000")) {
                names.add(part);
            }
        }
        return names.subList(Math.max(0, names.size() - 2), names.size());
    }

    static String resource(String path) {
        try (InputStream in = ContractSchemasTest.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The resources under a class-path folder, as paths relative to it, from every class-path directory that
     * has the folder (the schema folder's name is also the package of these test classes, which are left out).
     */
    private static Set<String> filesUnder(String folder) {
        Set<String> names = new TreeSet<>();
        try {
            Enumeration<URL> urls = ContractSchemasTest.class.getClassLoader().getResources(folder);
            while (urls.hasMoreElements()) {
                Path root = Path.of(urls.nextElement().toURI());
                try (Stream<Path> files = Files.walk(root)) {
                    files.filter(Files::isRegularFile)
                            .map(file -> root.relativize(file).toString().replace('\\', '/'))
                            .filter(name -> !name.endsWith(".class"))
                            .forEach(names::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        assertThat(names).as("files under " + folder).isNotEmpty();
        return names;
    }
}
