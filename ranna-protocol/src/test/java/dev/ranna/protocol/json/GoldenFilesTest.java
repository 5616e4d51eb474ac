package dev.ranna.protocol.json;

import static dev.ranna.protocol.json.Golden.assertSameJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.CompileResult;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.InlineTemplate;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.SystemInfo;
import dev.ranna.protocol.Usage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GoldenFilesTest {
    private static final OperationDecoder OPERATIONS = OperationDecoder.create();
    private static final EventEncoder EVENTS = EventEncoder.create();
    private static final RestResponseEncoder REST_RESPONSES = RestResponseEncoder.create();
    private static final ClientCodec CLIENT = ClientCodec.create();
    private static final RunId RUN = new RunId("2a4d3e48e67995e1a7726d79344c96b8ac68ea035b3d25912a50c643da64d4dc");

    static Stream<Arguments> operations() {
        var env = new LinkedHashMap<String, String>();
        env.put("GREETING", "hello");
        env.put("EMPTY", "");
        return Stream.of(
                Arguments.of("ops/ping.json", new Operation.Ping(Nonce.of(1))),
                Arguments.of("ops/ping-no-nonce.json", new Operation.Ping(Nonce.NONE)),
                Arguments.of(
                        "ops/exec-seed-example.json",
                        new Operation.Exec(
                                Nonce.of(123),
                                new ExecutionRequest(
                                        "go",
                                        "import \"time\"\nfor i := 0; i < 5; i++ { time.Sleep(1 * time.Second);"
                                                + " println(\"👋\") }",
                                        true,
                                        List.of(),
                                        Map.of()))),
                Arguments.of(
                        "ops/exec-full.json",
                        new Operation.Exec(
                                Nonce.of("client-7"),
                                new ExecutionRequest(
                                        "python3",
                                        "import sys\nprint(sys.argv[1:])",
                                        false,
                                        List.of("a b", "", "$HOME", "ünï"),
                                        env))),
                Arguments.of("ops/kill.json", new Operation.Kill(Nonce.of(Long.MAX_VALUE), RUN)),
                Arguments.of("ops/kill-no-nonce.json", new Operation.Kill(Nonce.NONE, RUN)),
                Arguments.of(
                        "ops/exec-interactive.json",
                        new Operation.Exec(
                                Nonce.of("tty-1"),
                                ExecutionRequest.of("sh", "read line; echo \"got $line\"")
                                        .withInput("first line\n", true, true))),
                Arguments.of("ops/stdin.json", new Operation.Stdin(Nonce.of(11), RUN, "more input\nünï 👋\n", false)),
                Arguments.of("ops/stdin-eof.json", new Operation.Stdin(Nonce.NONE, RUN, "", true)),
                Arguments.of("ops/signal.json", new Operation.Signal(Nonce.of(12), RUN, ProgramSignal.SIGINT)),
                Arguments.of("ops/resize.json", new Operation.Resize(Nonce.of("r"), RUN, 132, 43)),
                Arguments.of(
                        "ops/exec-project.json",
                        new Operation.Exec(
                                Nonce.of("project-1"),
                                ExecutionRequest.of("c", "#include \"lib/util.h\"\nint main(void) { return util(); }\n")
                                        .withProject(
                                                List.of(
                                                        ProjectFile.utf8("lib/util.h", "int util(void);\n"),
                                                        ProjectFile.utf8(
                                                                "lib/util.c", "int util(void) { return 0; }\n"),
                                                        ProjectFile.base64("data/blob.bin", "AAEC/w==")),
                                                new RequestLimits(1000L, 5000L, 33554432L, 4096L)))),
                Arguments.of(
                        "ops/exec-limits-only.json",
                        new Operation.Exec(
                                Nonce.of(3),
                                ExecutionRequest.of("python3", "print(1)")
                                        .withProject(List.of(), new RequestLimits(250L, null, null, null)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void operationEncodesToItsGoldenFile(String file, Operation operation) {
        assertSameJson(CLIENT.encode(operation), Golden.read(file));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void goldenFileDecodesToItsOperation(String file, Operation operation) {
        assertThat(OPERATIONS.decode(Golden.read(file))).isEqualTo(new DecodeResult.Success(operation));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void operationRoundTrips(String file, Operation operation) {
        assertThat(OPERATIONS.decode(CLIENT.encode(operation))).isEqualTo(new DecodeResult.Success(operation));
    }

    static Stream<Arguments> events() {
        return Stream.of(
                Arguments.of("events/pong.json", new Event.Pong(Nonce.of(1))),
                Arguments.of("events/error.json", new Event.Error(Nonce.of(123), 400, "unsupported language spec")),
                Arguments.of(
                        "events/error-no-nonce.json",
                        new Event.Error(Nonce.NONE, 400, "invalid message: op is missing")),
                Arguments.of("events/spawn.json", new Event.Spawn(Nonce.of(123), RUN)),
                Arguments.of(
                        "events/log-stderr-seed-example.json",
                        new Event.Log(Nonce.of(123), RUN, StdStream.STDERR, "👋\n")),
                Arguments.of("events/log-stdout.json", new Event.Log(Nonce.of(-5), RUN, StdStream.STDOUT, "hello\n")),
                Arguments.of("events/stop-exited.json", new Event.Stop(Nonce.of(123), RUN, RunResult.exited(6748, 0))),
                Arguments.of(
                        "events/stop-killed.json",
                        new Event.Stop(Nonce.of("n"), RUN, new RunResult(12, null, "SIGKILL", false, true, false))),
                Arguments.of(
                        "events/stop-timedout.json",
                        new Event.Stop(Nonce.NONE, RUN, new RunResult(20000, null, "SIGKILL", true, false, false))),
                Arguments.of(
                        "events/stop-usage.json",
                        new Event.Stop(
                                Nonce.of(9),
                                RUN,
                                new RunResult(1003, 0, null, false, false, false, new Usage(998, 1388544), false))),
                Arguments.of(
                        "events/stop-oomkilled.json",
                        new Event.Stop(
                                Nonce.of(10),
                                RUN,
                                new RunResult(
                                        212, null, "SIGKILL", false, false, false, new Usage(180, 104857600), true))),
                Arguments.of(
                        "events/log-compile-stage.json",
                        new Event.Log(
                                Nonce.of(123),
                                RUN,
                                StdStream.STDERR,
                                "main.c:1:1: warning: empty file\n",
                                Stage.COMPILE)),
                Arguments.of(
                        "events/log-run-stage.json",
                        new Event.Log(Nonce.of(123), RUN, StdStream.STDOUT, "1\n", Stage.RUN)),
                Arguments.of(
                        "events/stop-compile-failed.json",
                        new Event.Stop(
                                Nonce.of(123), RUN, RunResult.exited(0, 1).withStage(Stage.COMPILE, 96))),
                Arguments.of(
                        "events/stop-compile-timedout.json",
                        new Event.Stop(
                                Nonce.of(124),
                                RUN,
                                new RunResult(0, null, "SIGKILL", true, false, false).withStage(Stage.COMPILE, 30000))),
                Arguments.of(
                        "events/stop-run-stage.json",
                        new Event.Stop(
                                Nonce.of(125), RUN, RunResult.exited(3, 0).withStage(Stage.RUN, 640))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void eventEncodesToItsGoldenFile(String file, Event event) {
        assertSameJson(EVENTS.encode(event), Golden.read(file));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void goldenFileDecodesToItsEvent(String file, Event event) {
        assertThat(CLIENT.decodeEvent(Golden.read(file))).isEqualTo(event);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void eventRoundTrips(String file, Event event) {
        assertThat(CLIENT.decodeEvent(EVENTS.encode(event))).isEqualTo(event);
    }

    @Test
    void seedStopWithoutAdditiveFieldsDecodes() {
        var stop = (Event.Stop) CLIENT.decodeEvent(Golden.read("events/stop-seed-example.json"));
        assertThat(stop.nonce()).isEqualTo(Nonce.of(123));
        assertThat(stop.runId()).isEqualTo(RUN);
        assertThat(stop.result()).isEqualTo(new RunResult(6748, null, null, false, false, false));
    }

    @Test
    void encodedStopIsASupersetOfTheSeedStop() {
        var encoded = Golden.tree(EVENTS.encode(new Event.Stop(Nonce.of(123), RUN, RunResult.exited(6748, 0))));
        var seed = Golden.tree(Golden.read("events/stop-seed-example.json"));
        assertThat(encoded.get("code")).isEqualTo(seed.get("code"));
        assertThat(encoded.get("nonce")).isEqualTo(seed.get("nonce"));
        seed.get("data")
                .fieldNames()
                .forEachRemaining(field -> assertThat(encoded.get("data").get(field))
                        .as(field)
                        .isEqualTo(seed.get("data").get(field)));
    }

    @Test
    void encodingKeepsAStableKeyOrder() {
        String json = EVENTS.encode(new Event.Stop(Nonce.of(7), RUN, new RunResult(5, 1, null, false, false, true)));
        assertThat(json)
                .isEqualTo("{\"code\":4,\"nonce\":7,\"data\":{\"runid\":\"" + RUN
                        + "\",\"exectimems\":5,\"exitcode\":1,\"timedout\":false,\"killed\":false,"
                        + "\"truncated\":true}}");
    }

    @Test
    void executionResponseMatchesGolden() {
        var response = new ExecutionResponse("hi\n", "", RunResult.exited(15, 3));
        assertSameJson(REST_RESPONSES.encode(response), Golden.read("rest/execution-response.json"));
        assertThat(CLIENT.decodeExecutionResponse(Golden.read("rest/execution-response.json")))
                .isEqualTo(response);
        assertThat(Golden.tree(REST_RESPONSES.encode(response)).has("from_cache"))
                .isFalse();
    }

    @Test
    void executionResponseWithUsageMatchesGolden() {
        var response = new ExecutionResponse(
                "hi\n", "", new RunResult(15, 3, null, false, false, false, new Usage(4, 52428800), false));
        assertSameJson(REST_RESPONSES.encode(response), Golden.read("rest/execution-response-usage.json"));
        assertThat(CLIENT.decodeExecutionResponse(Golden.read("rest/execution-response-usage.json")))
                .isEqualTo(response);
    }

    @Test
    void runWithoutUsageOrOomWritesNeitherField() {
        String json = EVENTS.encode(new Event.Stop(Nonce.of(7), RUN, RunResult.exited(5, 0)));
        assertThat(json).doesNotContain("usage").doesNotContain("oomkilled").doesNotContain("null");
    }

    @Test
    void clientRejectsAMalformedUsage() {
        String stop = "{\"code\":4,\"data\":{\"runid\":\"" + RUN
                + "\",\"exectimems\":1,\"usage\":{\"cputimems\":\"x\",\"memorybytes\":1}}}";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CLIENT.decodeEvent(stop))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("usage");
    }

    @Test
    void executionResponseWithCompileStageMatchesGolden() {
        var response = new ExecutionResponse(
                "1\n",
                "",
                RunResult.exited(3, 0).withStage(Stage.RUN, 640),
                new CompileResult("", "main.c:1: warning\n", 0, null, 640));
        assertSameJson(REST_RESPONSES.encode(response), Golden.read("rest/execution-response-compile.json"));
        assertThat(CLIENT.decodeExecutionResponse(Golden.read("rest/execution-response-compile.json")))
                .isEqualTo(response);
    }

    @Test
    void executionResponseOfAFailedCompileMatchesGolden() {
        var response = new ExecutionResponse(
                "",
                "",
                RunResult.exited(0, 1).withStage(Stage.COMPILE, 96),
                new CompileResult("", "main.c:1:1: error: expected ';'\n", 1, null, 96));
        assertSameJson(REST_RESPONSES.encode(response), Golden.read("rest/execution-response-compile-failed.json"));
        assertThat(CLIENT.decodeExecutionResponse(Golden.read("rest/execution-response-compile-failed.json")))
                .isEqualTo(response);
    }

    @Test
    void runWithoutCompileStageWritesNoStageFields() {
        String stop = EVENTS.encode(new Event.Stop(Nonce.of(7), RUN, RunResult.exited(5, 0)));
        String log = EVENTS.encode(new Event.Log(Nonce.of(7), RUN, StdStream.STDOUT, "x"));
        String rest = REST_RESPONSES.encode(new ExecutionResponse("x", "", RunResult.exited(5, 0)));
        for (String json : List.of(stop, log, rest)) {
            assertThat(json).doesNotContain("stage").doesNotContain("compile");
        }
    }

    @Test
    void specMapWithCompileStagesRoundTrips() {
        SpecMap specs = SpecMapReader.create().read(Golden.read("rest/spec-map-compile.json"));
        assertThat(specs.get("c").orElseThrow().compile()).isEqualTo("gcc -O1 -o main main.c util.c");
        assertThat(specs.get("java").orElseThrow().compile()).isEqualTo("javac -d out Main.java");
        assertSameJson(REST_RESPONSES.encode(specs), Golden.read("rest/spec-map-compile.json"));
    }

    @Test
    void systemInfoListsProjectFeatures() {
        var info = new SystemInfo(
                "0.1.0",
                "2026-11-26T00:00:00Z",
                "17.0.15",
                new SystemInfo.Sandbox("process", "bubblewrap 0.8.0", Map.of("isolation", "bubblewrap")),
                List.of("stdin", "files", "compile", "limits"));
        assertSameJson(REST_RESPONSES.encode(info), Golden.read("rest/system-info-project-features.json"));
    }

    @Test
    void errorResponseMatchesGolden() {
        var error = new ErrorResponse("unsupported language spec", 400);
        assertSameJson(REST_RESPONSES.encode(error), Golden.read("rest/error-response.json"));
        assertThat(CLIENT.decodeErrorResponse(Golden.read("rest/error-response.json")))
                .isEqualTo(error);
    }

    @Test
    void systemInfoMatchesGolden() {
        var info = new SystemInfo(
                "0.1.0",
                "2026-11-26T00:00:00Z",
                "17.0.15",
                new SystemInfo.Sandbox("process", "bubblewrap 0.8.0", Map.of("isolation", "bubblewrap")));
        assertSameJson(REST_RESPONSES.encode(info), Golden.read("rest/system-info.json"));
        assertThat(CLIENT.decodeSystemInfo(Golden.read("rest/system-info.json")))
                .isEqualTo(info);
    }

    @Test
    void aClientReadsRannasOwnInfoWithoutOurFields() {
        // ranna's Go server: no features, no sandbox details, and numbers where a client might not expect them.
        SystemInfo info = CLIENT.decodeSystemInfo("{\"version\": \"1.2.0\", \"builddate\": \"2021-09-01\","
                + " \"go_version\": \"go1.17\", \"sandbox\": {\"type\": \"docker\", \"version\": 20}}");
        assertThat(info.sandbox()).isEqualTo(new SystemInfo.Sandbox("docker", "20", Map.of()));
        assertThat(info.features()).isEmpty();
        assertThatThrownBy(() -> CLIENT.decodeSystemInfo("{\"version\": \"1\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sandbox");
    }

    @Test
    void systemInfoListsFeaturesWhenThereAreSome() {
        var info = new SystemInfo(
                "0.1.0",
                "2026-11-26T00:00:00Z",
                "17.0.15",
                new SystemInfo.Sandbox("process", "bubblewrap 0.8.0", Map.of("isolation", "bubblewrap")),
                List.of("usage"));
        assertSameJson(REST_RESPONSES.encode(info), Golden.read("rest/system-info-features.json"));
        assertThat(CLIENT.decodeSystemInfo(Golden.read("rest/system-info-features.json")))
                .isEqualTo(info);
    }

    @Test
    void specMapRoundTripsKeepingOrderAndAliases() {
        SpecMap specs = SpecMapReader.create().read(Golden.read("rest/spec-map.json"));
        assertThat(specs.entries().keySet()).containsExactly("python3", "python", "go");
        assertThat(specs.get("python")).contains(SpecEntry.alias("python3"));
        assertThat(specs.get("go").orElseThrow().inline())
                .isEqualTo(new InlineTemplate(
                        "import\\s+\"[\\w/]+\"", "package main\n\n$${IMPORTS}\n\nfunc main() {\n$${CODE}\n}"));
        assertSameJson(REST_RESPONSES.encode(specs), Golden.read("rest/spec-map.json"));
    }
}
