package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.internal.StandaloneConfig;
import dev.ranna.netty.internal.StandaloneLauncher;
import dev.ranna.sandbox.tck.Infrastructure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 14, projects, over real WebSockets and REST on both real sandboxes, written against the wire
 * contract ({@code protocol.md}, "Extensions (ours)", the parts marked [files], [compile] and [limits]) with
 * raw JSON: EXEC's {@code files} and {@code limits}, a spec map with compile stages, LOG's and STOP's
 * {@code stage}, STOP's {@code compiletimems}, and REST's {@code compile} object.
 *
 * <p>The server is started the way the README starts it: the standalone configuration, an operator's spec
 * file (with {@code compile} commands) and configuration keys. The process sandbox uses the host's
 * {@code python3} and {@code gcc}; the Docker sandbox the image {@value #IMAGE} (Debian's python3, gcc and
 * libc6-dev, built by {@code .ci/run}). Every message the server sends is checked against the contract's
 * schemas; no test sleeps.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProjectsEndToEndTest {
    private static final Logger log = LoggerFactory.getLogger(ProjectsEndToEndTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    static final String IMAGE = "ranna-test/toolchain:local";
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final long MIB = 1024 * 1024;
    /** The server's own limits, set by its configuration keys. */
    private static final int SERVER_TIMEOUT_SECONDS = 20;

    private static final long SERVER_MEMORY = 256 * MIB;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, RannaServer> servers = new HashMap<>();
    private final List<WebSocket> sockets = new ArrayList<>();
    private final List<Path> temporary = new ArrayList<>();

    @AfterEach
    void closeSocketsAndCheckTheContract() {
        sockets.forEach(WebSocket::abort);
        sockets.clear();
        RecordingListener.assertEveryMessageMatchedTheContract();
    }

    @AfterAll
    void stopServers() throws IOException {
        servers.values().forEach(RannaServer::close);
        for (Path path : temporary) {
            deleteTree(path);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The server, as the README starts it

    /** The server on {@code sandbox}, started once per class; skipped (failed under CI) without the sandbox. */
    private RannaServer server(String sandbox) {
        RannaServer running = servers.get(sandbox);
        if (running != null) {
            return running;
        }
        SandboxProvider provider = ServiceLoader.load(SandboxProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(sandbox))
                .findFirst()
                .orElseThrow();
        var env = new LinkedHashMap<String, String>();
        env.put("RANNA_SANDBOX_TIMEOUTSECONDS", String.valueOf(SERVER_TIMEOUT_SECONDS));
        env.put("RANNA_SANDBOX_MEMORY", "256M");
        SandboxConfig probe;
        if (sandbox.equals("docker")) {
            env.put("RANNA_SKIPSTARTUPPREP", "true");
            env.put("RANNA_SCHEDULER_UPDATEIMAGES", "off");
            env.put("RANNA_SANDBOX_DOCKER_IMAGES", IMAGE);
            probe = SandboxConfig.of(Map.of(
                    SandboxConfig.SKIP_STARTUP_PREP,
                    "true",
                    "scheduler.updateimages",
                    "off",
                    "sandbox.docker.images",
                    IMAGE));
        } else {
            Infrastructure.require(Files.isExecutable(PYTHON), PYTHON + " is not on this host");
            Infrastructure.require(
                    Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not on this host (apt-get install gcc)");
            probe = SandboxConfig.defaults();
            // The memory limits are part of what is tested: only the isolated process sandbox has them.
            Infrastructure.require(
                    provider.availability(probe, List.of()).available(),
                    "bubblewrap is not working here: "
                            + provider.availability(probe, List.of()).reason());
        }
        var availability = provider.availability(probe, List.of());
        Infrastructure.require(
                availability.available(), "sandbox " + sandbox + " is not available here: " + availability.reason());
        RannaServer started = StandaloneLauncher.start(
                StandaloneConfig.load(
                        List.of(
                                "--host",
                                "127.0.0.1",
                                "--port",
                                "0",
                                "--sandbox",
                                sandbox,
                                "--spec-file",
                                specFile(sandbox).toString()),
                        env),
                ProjectsEndToEndTest.class.getClassLoader());
        servers.put(sandbox, started);
        return started;
    }

    /**
     * An operator's spec map with compile stages: {@code c} (every {@code .c} file compiled by gcc, then
     * {@code ./main}), {@code build} (a shell program whose compile stage is the project's own {@code
     * build.sh}, so a test decides how long the compile takes), {@code python3} and {@code sh}.
     */
    private Path specFile(String sandbox) {
        try {
            Path dir = Files.createTempDirectory("ranna-projects-e2e-");
            temporary.add(dir);
            ObjectNode map = JSON.createObjectNode();
            ObjectNode c = map.putObject("c");
            c.put("compile", "/bin/sh -c \"gcc -O1 -Wall -o main *.c\"");
            c.put("cmd", "./main");
            c.put("filename", "main.c");
            c.put("language", "c");
            ObjectNode build = map.putObject("build");
            build.put("compile", "/bin/sh build.sh");
            build.put("entrypoint", "/bin/sh");
            build.put("filename", "main.sh");
            ObjectNode python = map.putObject("python3");
            python.put("entrypoint", PYTHON.toString());
            python.put("filename", "main.py");
            ObjectNode sh = map.putObject("sh");
            sh.put("entrypoint", "/bin/sh");
            sh.put("filename", "main.sh");
            if (sandbox.equals("docker")) {
                for (ObjectNode entry : List.of(c, build, python, sh)) {
                    entry.put("image", IMAGE);
                }
            }
            Path file = dir.resolve(sandbox + ".json");
            Files.writeString(file, JSON.writeValueAsString(map));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Raw JSON, as in protocol.md

    /** One {@code files} entry. */
    private static ObjectNode file(String name, String content) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("name", name);
        entry.put("content", content);
        return entry;
    }

    private static ObjectNode base64File(String name, byte[] content) {
        ObjectNode entry = file(name, Base64.getEncoder().encodeToString(content));
        entry.put("encoding", "base64");
        return entry;
    }

    /** EXEC's {@code args}; {@link Args#files} and {@link Args#limit} add the new members. */
    private static final class Args {
        final ObjectNode node = JSON.createObjectNode();

        Args(String language, String code) {
            node.put("language", language);
            node.put("code", code);
        }

        Args files(ObjectNode... entries) {
            ArrayNode array = node.putArray("files");
            for (ObjectNode entry : entries) {
                array.add(entry);
            }
            return this;
        }

        Args limit(String field, Object value) {
            ObjectNode limits = node.has("limits") ? (ObjectNode) node.get("limits") : node.putObject("limits");
            limits.set(field, JSON.valueToTree(value));
            return this;
        }

        String exec(Object nonce) {
            ObjectNode op = JSON.createObjectNode();
            op.put("op", 1);
            op.set("nonce", JSON.valueToTree(nonce));
            op.set("args", node);
            return op.toString();
        }

        String rest() {
            return node.toString();
        }
    }

    /** What the server sent for one EXEC over a WebSocket, as raw JSON trees. */
    private static final class Outcome {
        final List<JsonNode> events = new ArrayList<>();

        List<JsonNode> of(int code) {
            return events.stream().filter(e -> e.get("code").asInt() == code).toList();
        }

        List<JsonNode> errors() {
            return of(1);
        }

        JsonNode stop() {
            List<JsonNode> stops = of(4);
            assertThat(stops).as("one STOP in %s", events).hasSize(1);
            return stops.get(0).get("data");
        }

        /** The LOG text of {@code stream} ({@code stdout}/{@code stderr}) in {@code stage}, or any stage if null. */
        String text(String stream, String stage) {
            var out = new StringBuilder();
            for (JsonNode log : of(3)) {
                JsonNode data = log.get("data");
                if (data.has(stream)
                        && (stage == null || stage.equals(data.path("stage").asText(null)))) {
                    out.append(data.get(stream).asText());
                }
            }
            return out.toString();
        }

        String stdout() {
            return text("stdout", "run");
        }

        /** Every LOG's stage. */
        List<String> logStages() {
            return of(3).stream()
                    .map(e -> e.get("data").path("stage").asText("<none>"))
                    .toList();
        }

        @Override
        public String toString() {
            return events.toString();
        }
    }

    private WebSocket connect(RannaServer server, RecordingListener listener) {
        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/ws"), listener)
                .join();
        sockets.add(socket);
        return socket;
    }

    /**
     * Sends one EXEC and reads its events to the end: a STOP, or an ERROR that is not followed by a SPAWN's
     * run (a refusal). Checks the lifecycle's order on the way.
     */
    private Outcome exec(String sandbox, Args args) throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(server(sandbox), listener);
        socket.sendText(args.exec(1), true).join();
        var outcome = new Outcome();
        boolean spawned = false;
        while (true) {
            JsonNode event = JSON.readTree(listener.next(WAIT).text());
            outcome.events.add(event);
            assertThat(event.get("nonce").asInt()).as("nonce of %s", event).isEqualTo(1);
            int code = event.get("code").asInt();
            if (code == 2) {
                assertThat(spawned).as("one SPAWN").isFalse();
                spawned = true;
            } else if (code == 3 || code == 4) {
                assertThat(spawned).as("SPAWN before %s", event).isTrue();
            }
            if (code == 4 || (code == 1 && !spawned)) {
                break;
            }
        }
        log.info("{}: {}", sandbox, outcome);
        return outcome;
    }

    private static JsonNode error(int code, String message) {
        ObjectNode data = JSON.createObjectNode();
        data.put("code", code);
        data.put("message", message);
        return data;
    }

    /** The data of the one refusal in {@code outcome}, which must have no SPAWN. */
    private static JsonNode refusal(Outcome outcome) {
        assertThat(outcome.events).as("a refusal: one ERROR, nothing else").hasSize(1);
        assertThat(outcome.events.get(0).get("code").asInt()).isEqualTo(1);
        return outcome.events.get(0).get("data");
    }

    /**
     * A refusal's message without the WebSocket decoder's {@code "args."} (its shape errors name the field
     * within the operation, {@code args.limits.timeoutms}; REST bodies have no {@code args}).
     */
    private static String withoutArgsPrefix(String message) {
        return message.startsWith("args.") ? message.substring("args.".length()) : message;
    }

    private HttpResponse<String> rest(String sandbox, String method, String path, String body) throws Exception {
        var request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server(sandbox).port() + path))
                .timeout(WAIT)
                .header("Content-Type", "application/json");
        if (method.equals("POST")) {
            request.POST(HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.GET();
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        log.info("{}: {} {} -> {} {}", sandbox, method, path, response.statusCode(), response.body());
        return Contract.checkRest(response);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // files

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void pythonImportsModulesFromFilesInSubdirectories(String sandbox) throws Exception {
        Outcome out = exec(
                sandbox,
                new Args(
                                "python3",
                                "from pkg.util import greet\nfrom pkg.sub.deep import ANSWER\n"
                                        + "print(greet('ranna'), ANSWER)\n")
                        .files(
                                file("pkg/__init__.py", ""),
                                file("pkg/util.py", "def greet(name):\n    return f'hello {name}'\n"),
                                file("pkg/sub/__init__.py", ""),
                                file("pkg/sub/deep.py", "ANSWER = 6 * 7\n")));

        assertThat(out.errors()).isEmpty();
        assertThat(out.text("stdout", null)).isEqualTo("hello ranna 42\n");
        assertThat(out.text("stderr", null)).isEmpty();
        JsonNode stop = out.stop();
        assertThat(stop.get("exitcode").asInt()).isZero();
        assertThat(out.logStages())
                .as("a spec without a compile stage has no stage")
                .containsOnly("<none>");
        assertThat(stop.has("stage"))
                .as("STOP of a spec without a compile stage: %s", stop)
                .isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void cProgramOverMainUtilAndHeaderCompilesThenRuns(String sandbox) throws Exception {
        Outcome out = exec(
                sandbox,
                new Args(
                                "c",
                                "#include <stdio.h>\n#include \"util.h\"\n"
                                        + "int main(void) { printf(\"sum=%d\\n\", add(2, 3)); return 7; }\n")
                        .files(
                                file("util.h", "int add(int a, int b);\n"),
                                file("util.c", "#include \"util.h\"\nint add(int a, int b) { return a + b; }\n")));

        assertThat(out.errors()).isEmpty();
        assertThat(out.stdout()).isEqualTo("sum=5\n");
        assertThat(out.text("stdout", "compile") + out.text("stderr", "compile"))
                .as("gcc -Wall is silent on a clean project")
                .isEmpty();
        assertThat(out.logStages()).containsOnly("run");
        JsonNode stop = out.stop();
        assertThat(stop.get("stage").asText()).isEqualTo("run");
        assertThat(stop.get("exitcode").asInt())
                .as("the program's own exit code")
                .isEqualTo(7);
        assertThat(stop.get("compiletimems").asLong()).isPositive();
        assertThat(stop.get("timedout").asBoolean()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void compileErrorEndsInTheCompileStageWithTheCompilersExitCode(String sandbox) throws Exception {
        Outcome out = exec(
                sandbox,
                new Args("c", "#include \"util.h\"\nint main(void) { return add(1, 2) }\n")
                        .files(file("util.h", "int add(int a, int b);\n")));

        assertThat(out.errors())
                .as("a compile error is the compiler's output, not an ERROR")
                .isEmpty();
        assertThat(out.text("stderr", "compile")).contains("main.c").contains("error");
        assertThat(out.logStages()).as("no run-stage output").containsOnly("compile");
        JsonNode stop = out.stop();
        assertThat(stop.get("stage").asText()).isEqualTo("compile");
        assertThat(stop.get("exitcode").asInt()).as("gcc's exit code").isEqualTo(1);
        assertThat(stop.get("exectimems").asLong())
                .as("the run stage never started")
                .isZero();
        assertThat(stop.get("timedout").asBoolean()).isFalse();
        assertThat(stop.get("compiletimems").asLong()).isPositive();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void compileOverItsOwnTimeoutIs408AndTheRunTimeoutIsUntouched(String sandbox) throws Exception {
        Outcome slow = exec(
                sandbox,
                new Args("build", "echo never\n")
                        .files(file("build.sh", "echo compiling\nexec sleep 60\n"))
                        .limit("compiletimeoutms", 1000));

        assertThat(slow.errors()).extracting(e -> e.get("data")).containsExactly(error(408, "compilation timed out"));
        assertThat(slow.text("stdout", "compile")).isEqualTo("compiling\n");
        assertThat(slow.logStages()).containsOnly("compile");
        JsonNode stop = slow.stop();
        assertThat(stop.get("timedout").asBoolean()).isTrue();
        assertThat(stop.get("stage").asText()).isEqualTo("compile");
        assertThat(stop.get("exectimems").asLong()).isZero();
        assertThat(stop.get("compiletimems").asLong()).isBetween(900L, 10_000L);

        // A 3 s compile under a 2 s run timeout: the compile's time is not the run's.
        Outcome fine = exec(
                sandbox,
                new Args("build", "echo ran\n")
                        .files(file("build.sh", "sleep 3\necho built\n"))
                        .limit("timeoutms", 2000));

        assertThat(fine.errors()).isEmpty();
        assertThat(fine.text("stdout", "compile")).isEqualTo("built\n");
        assertThat(fine.stdout()).isEqualTo("ran\n");
        JsonNode fineStop = fine.stop();
        assertThat(fineStop.get("timedout").asBoolean()).isFalse();
        assertThat(fineStop.get("exitcode").asInt()).isZero();
        assertThat(fineStop.get("stage").asText()).isEqualTo("run");
        assertThat(fineStop.get("compiletimems").asLong()).isGreaterThanOrEqualTo(2900L);
        assertThat(fineStop.get("exectimems").asLong()).isLessThan(2000L);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void binaryFileViaBase64ArrivesByteForByte(String sandbox) throws Exception {
        byte[] blob = new byte[64 * 1024 + 3];
        new Random(14).nextBytes(blob);
        for (int i = 0; i < 256; i++) {
            blob[i] = (byte) i; // every byte value, NUL and invalid UTF-8 included
        }
        Outcome out = exec(
                sandbox,
                new Args(
                                "python3",
                                "import hashlib\ndata = open('data/blob.bin', 'rb').read()\n"
                                        + "print(len(data), hashlib.sha256(data).hexdigest())\n")
                        .files(base64File("data/blob.bin", blob)));

        assertThat(out.errors()).isEmpty();
        assertThat(out.text("stderr", null)).isEmpty();
        assertThat(out.text("stdout", null)).isEqualTo(blob.length + " " + sha256(blob) + "\n");
    }

    /** Every bad name of the contract, with the index it is sent at, and the message's tail. */
    private static Map<String, String> badNames() {
        var names = new LinkedHashMap<String, String>();
        names.put("", "must not be empty");
        names.put("..", "must be a relative path without '..'");
        names.put("../escape.txt", "must be a relative path without '..'");
        names.put("lib/../../escape.txt", "must be a relative path without '..'");
        names.put("/etc/passwd", "must be a relative path");
        names.put("lib\\..\\escape.txt", "must not contain a backslash");
        names.put("lib\u0000.txt", "must not contain NUL");
        names.put("./lib.txt", "must not have an empty or '.' segment");
        names.put("lib//x.txt", "must not have an empty or '.' segment");
        names.put("lib/", "must not have an empty or '.' segment");
        names.put("x".repeat(256), "must be at most 255 bytes");
        names.put("é".repeat(128), "must be at most 255 bytes");
        return names;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void everyBadNameIsRefusedWithItsMessageOverWebSocketAndRest(String sandbox) throws Exception {
        for (Map.Entry<String, String> bad : badNames().entrySet()) {
            Args args = new Args("sh", "echo ran\n").files(file("ok.txt", "fine"), file(bad.getKey(), "bad"));
            String expected = "files[1].name: " + bad.getValue();

            JsonNode refused = refusal(exec(sandbox, args));
            assertThat(refused.get("code").asInt()).isEqualTo(400);
            assertThat(withoutArgsPrefix(refused.get("message").asText()))
                    .as("WebSocket, name %s", JSON.valueToTree(bad.getKey()))
                    .isEqualTo(expected);
            HttpResponse<String> response = rest(sandbox, "POST", "/v1/exec", args.rest());
            assertThat(response.statusCode())
                    .as("REST, name %s", JSON.valueToTree(bad.getKey()))
                    .isEqualTo(400);
            assertThat(JSON.readTree(response.body()).get("error").asText()).isEqualTo(expected);
        }
        // Rules that depend on the rest of the request: the main file's name, a duplicate, a file that is
        // another's directory, an unknown encoding, content that is not base64.
        List<Args> contextual = List.of(
                new Args("sh", "echo ran\n").files(file("ok.txt", "fine"), file("main.sh", "echo shadowed")),
                new Args("sh", "echo ran\n").files(file("ok.txt", "fine"), file("ok.txt", "again")),
                new Args("sh", "echo ran\n").files(file("ok.txt", "fine"), file("ok.txt/inner.txt", "nested")),
                new Args("sh", "echo ran\n")
                        .files(file("ok.txt", "fine"), file("b.bin", "AAAA").put("encoding", "hex")),
                new Args("sh", "echo ran\n")
                        .files(
                                file("ok.txt", "fine"),
                                file("b.bin", "not base64!").put("encoding", "base64")));
        List<String> fields = List.of(
                "files[1].name: ", "files[1].name: ", "files[1].name: ", "files[1].encoding: ", "files[1].content: ");
        for (int i = 0; i < contextual.size(); i++) {
            JsonNode data = refusal(exec(sandbox, contextual.get(i)));
            assertThat(data.get("code").asInt()).isEqualTo(400);
            assertThat(withoutArgsPrefix(data.get("message").asText()))
                    .as("refusal %s", i)
                    .startsWith(fields.get(i));
            HttpResponse<String> response =
                    rest(sandbox, "POST", "/v1/exec", contextual.get(i).rest());
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(response.body()).get("error").asText())
                    .isEqualTo(withoutArgsPrefix(data.get("message").asText()));
        }
        // One file too many (api.maxfiles, 64 by default).
        var many = new ObjectNode[65];
        for (int i = 0; i < many.length; i++) {
            many[i] = file("f" + i + ".txt", "x");
        }
        JsonNode tooMany = refusal(exec(sandbox, new Args("sh", "echo ran\n").files(many)));
        assertThat(tooMany.get("code").asInt()).isEqualTo(400);
        assertThat(withoutArgsPrefix(tooMany.get("message").asText()))
                .startsWith("files: ")
                .contains("64");
        // And the server still runs a project after all of it.
        Outcome ok = exec(sandbox, new Args("sh", "cat ok.txt\n").files(file("ok.txt", "fine")));
        assertThat(ok.text("stdout", null)).isEqualTo("fine");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void symlinksAndFilesPlantedByOneRunNeverReachTheNextRunsFiles(String sandbox) throws Exception {
        // A host directory anyone may write to: if a host-side write followed a planted link, it would land here.
        Path hostDir = Files.createTempDirectory("ranna-projects-host-");
        temporary.add(hostDir);
        Files.setPosixFilePermissions(hostDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        String mark = UUID.randomUUID().toString();
        Outcome planter = exec(
                sandbox,
                new Args(
                        "sh",
                        "ln -s " + hostDir + " lib; ln -s " + hostDir
                                + "/data.txt data.txt; ln -s /etc/passwd conf.txt\n"
                                + "mkdir -p sub; echo " + mark + " > sub/data.txt\n"
                                + "ln -s " + hostDir + " /tmp/lib 2>/dev/null; echo " + mark + " > /tmp/data.txt\n"
                                + "ls -la . /tmp\n"));
        assertThat(planter.stop().get("exitcode").asInt()).as("%s", planter).isZero();

        Outcome next = exec(
                sandbox,
                new Args(
                                "sh",
                                "cat lib/mod.txt data.txt sub/data.txt conf.txt\n"
                                        + "for f in lib data.txt sub conf.txt; do [ -L \"$f\" ] && echo \"$f is a link\"; done\n"
                                        + "true\n")
                        .files(
                                file("lib/mod.txt", "B-lib "),
                                file("data.txt", "B-data "),
                                file("sub/data.txt", "B-sub "),
                                file("conf.txt", "B-conf\n")));

        assertThat(next.errors()).isEmpty();
        assertThat(next.text("stdout", null)).isEqualTo("B-lib B-data B-sub B-conf\n");
        assertThat(next.text("stdout", null) + next.text("stderr", null)).doesNotContain(mark);
        try (Stream<Path> written = Files.list(hostDir)) {
            assertThat(written).as("host files written through a planted link").isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // limits

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void oneSecondTimeoutEndsTheRunWith408(String sandbox) throws Exception {
        Outcome out = exec(sandbox, new Args("sh", "echo started\nexec sleep 30\n").limit("timeoutms", 1000));

        assertThat(out.errors()).extracting(e -> e.get("data")).containsExactly(error(408, "code execution timed out"));
        assertThat(out.text("stdout", null)).isEqualTo("started\n");
        JsonNode stop = out.stop();
        assertThat(stop.get("timedout").asBoolean()).isTrue();
        assertThat(stop.get("exectimems").asLong())
                .as("1 s, not the server's %s s", SERVER_TIMEOUT_SECONDS)
                .isBetween(900L, 6000L);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void thirtyTwoMebibyteMemoryLimitEndsInOomKilled(String sandbox) throws Exception {
        // 64 MiB at once: far below the server's 256M, twice the run's own limit.
        String allocate = "exec dd if=/dev/zero of=/dev/null bs=64M count=1\n";
        Outcome limited = exec(sandbox, new Args("sh", allocate).limit("memorybytes", 32 * MIB));
        JsonNode stop = limited.stop();
        assertThat(stop.path("oomkilled").asBoolean()).as("%s", limited).isTrue();
        assertThat(stop.path("timedout").asBoolean()).isFalse();

        Outcome unlimited = exec(sandbox, new Args("sh", allocate));
        assertThat(unlimited.stop().get("exitcode").asInt())
                .as("the same program under the server's limit: %s", unlimited)
                .isZero();
        assertThat(unlimited.stop().path("oomkilled").asBoolean()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void outputLimitTruncatesWith413AndDeliversAtMostThatMany(String sandbox) throws Exception {
        Outcome out = exec(
                sandbox,
                new Args("sh", "i=0; while [ $i -lt 5000 ]; do echo \"line $i of a flood\"; i=$((i+1)); done\n")
                        .limit("outputbytes", 1000));

        assertThat(out.errors()).extracting(e -> e.get("data")).containsExactly(error(413, "output limit exceeded"));
        JsonNode stop = out.stop();
        assertThat(stop.get("truncated").asBoolean()).isTrue();
        int delivered = (out.text("stdout", null) + out.text("stderr", null)).getBytes(StandardCharsets.UTF_8).length;
        assertThat(delivered).isBetween(1, 1000);
        assertThat(out.text("stdout", null)).startsWith("line 0 of a flood\n");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void limitsAboveTheServersOrNotPositiveIntegersAreRefusedNamingTheField(String sandbox) throws Exception {
        Map<Args, String> exact = new LinkedHashMap<>();
        exact.put(
                new Args("sh", "echo ran\n").limit("memorybytes", SERVER_MEMORY + 1),
                "limits.memorybytes: at most " + SERVER_MEMORY);
        exact.put(
                new Args("sh", "echo ran\n").limit("timeoutms", SERVER_TIMEOUT_SECONDS * 1000L + 1),
                "limits.timeoutms: at most " + SERVER_TIMEOUT_SECONDS * 1000L);
        exact.put(
                new Args("sh", "echo ran\n").limit("compiletimeoutms", 30_001),
                "limits.compiletimeoutms: at most 30000");
        for (Map.Entry<Args, String> each : exact.entrySet()) {
            assertThat(refusal(exec(sandbox, each.getKey()))).isEqualTo(error(400, each.getValue()));
            HttpResponse<String> response =
                    rest(sandbox, "POST", "/v1/exec", each.getKey().rest());
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(response.body()).get("error").asText()).isEqualTo(each.getValue());
        }
        // Zero, negative, a fraction, a string, a bool, and an integer past 64 bits.
        List<Object> notPositiveIntegers =
                List.of(0, -1, 1.5, "1000", true, new java.math.BigInteger(Long.MAX_VALUE + "0"));
        for (String field : List.of("timeoutms", "compiletimeoutms", "memorybytes", "outputbytes")) {
            for (Object value : notPositiveIntegers) {
                Args args = new Args("sh", "echo ran\n").limit(field, value);
                JsonNode data = refusal(exec(sandbox, args));
                assertThat(data.get("code").asInt()).as("%s", args.rest()).isEqualTo(400);
                assertThat(withoutArgsPrefix(data.get("message").asText()))
                        .as("%s", args.rest())
                        .startsWith("limits." + field + ": ");
                HttpResponse<String> response = rest(sandbox, "POST", "/v1/exec", args.rest());
                assertThat(response.statusCode()).isEqualTo(400);
                assertThat(JSON.readTree(response.body()).get("error").asText())
                        .isEqualTo(withoutArgsPrefix(data.get("message").asText()));
            }
        }
        Outcome ok = exec(
                sandbox, new Args("sh", "echo ran\n").limit("outputbytes", 10).limit("timeoutms", 5000));
        assertThat(ok.text("stdout", null)).isEqualTo("ran\n");
    }

    // ---------------------------------------------------------------------------------------------
    // REST and discovery

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void restExecCarriesFilesTheCompileObjectAndLimits(String sandbox) throws Exception {
        Args project = new Args(
                        "c",
                        "#include <stdio.h>\n#include \"util.h\"\nint main(void) { printf(\"%d\\n\", add(40, 2)); }\n")
                .files(
                        file("util.h", "int add(int a, int b);\n"),
                        file("util.c", "#include \"util.h\"\nint add(int a, int b) { return a + b; }\n"))
                .limit("timeoutms", 5000)
                .limit("outputbytes", 4096);
        HttpResponse<String> response = rest(sandbox, "POST", "/v1/exec", project.rest());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("stdout").asText()).isEqualTo("42\n");
        assertThat(body.get("stderr").asText()).isEmpty();
        assertThat(body.get("exitcode").asInt()).isZero();
        JsonNode compile = body.get("compile");
        assertThat(compile).as("the compile object of %s", body).isNotNull();
        assertThat(compile.get("exitcode").asInt()).isZero();
        assertThat(compile.get("stdout").asText()).isEmpty();
        assertThat(compile.get("stderr").asText()).isEmpty();
        assertThat(compile.get("exectimems").asLong()).isPositive();

        Args broken = new Args("c", "int main(void) { return missing(); }\n");
        HttpResponse<String> failed = rest(sandbox, "POST", "/v1/exec", broken.rest());
        assertThat(failed.statusCode()).isEqualTo(200);
        JsonNode failedBody = JSON.readTree(failed.body());
        assertThat(failedBody.get("compile").get("exitcode").asInt()).isNotZero();
        assertThat(failedBody.get("compile").get("stderr").asText()).contains("missing");
        assertThat(failedBody.get("stdout").asText())
                .as("the run stage never started")
                .isEmpty();

        Args timed = new Args("sh", "exec sleep 30\n").limit("timeoutms", 1000);
        HttpResponse<String> timedOut = rest(sandbox, "POST", "/v1/exec", timed.rest());
        assertThat(timedOut.statusCode()).as("never 408 over REST").isNotEqualTo(408);
        assertThat(timedOut.body()).contains("timed out");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void infoListsTheFeaturesAndSpecShowsTheCompileCommand(String sandbox) throws Exception {
        JsonNode info = JSON.readTree(rest(sandbox, "GET", "/v1/info", "").body());
        List<String> features = new ArrayList<>();
        info.get("features").forEach(f -> features.add(f.asText()));
        assertThat(features).contains("files", "compile", "limits");

        JsonNode spec = JSON.readTree(rest(sandbox, "GET", "/v1/spec", "").body());
        assertThat(spec.get("c").get("compile").asText()).isEqualTo("/bin/sh -c \"gcc -O1 -Wall -o main *.c\"");
        assertThat(spec.get("build").get("compile").asText()).isEqualTo("/bin/sh build.sh");
        assertThat(spec.get("sh").has("compile")).isFalse();
    }
}
