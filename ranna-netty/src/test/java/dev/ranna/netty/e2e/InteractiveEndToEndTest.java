package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.internal.StandaloneConfig;
import dev.ranna.netty.internal.StandaloneLauncher;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.StdStream;
import dev.ranna.sandbox.tck.Infrastructure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 13, interactive runs, over real WebSockets (and REST) on both real sandboxes, written against the
 * wire contract ({@code protocol.md}, "Extensions (ours)") with raw JSON operations: EXEC's {@code stdin},
 * {@code interactive} and {@code tty}, and the operations STDIN (3), SIGNAL (4) and RESIZE (5).
 *
 * <p>The server is started the way the README starts it, through the standalone configuration, so the
 * stdin bound is set by its configuration key ({@code api.maxstdinbuffer}, here 64K) as an operator would.
 * Every message the server sends is checked against the contract's schemas. No test sleeps: each one waits
 * for the event that says the program is where it needs to be (a prompt, {@code ready}) before acting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class InteractiveEndToEndTest {
    private static final Logger log = LoggerFactory.getLogger(InteractiveEndToEndTest.class);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String IMAGE = "ranna-test/busybox:local";
    private static final int STDIN_BOUND = 64 * 1024;
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    /** A loop that prints {@code ready} once, then idles until a signal ends it. */
    private static final String IDLE = "echo ready\nwhile :; do sleep 1; done\n";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, RannaServer> servers = new HashMap<>();
    private final List<WebSocket> sockets = new ArrayList<>();
    private Path dir;

    @AfterEach
    void closeSocketsAndCheckTheContract() {
        sockets.forEach(WebSocket::abort);
        sockets.clear();
        RecordingListener.assertEveryMessageMatchedTheContract();
    }

    @AfterAll
    void stopServers() throws IOException {
        servers.values().forEach(RannaServer::close);
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The server, as the README starts it

    /** The server on {@code sandbox}, started once per class; the test is skipped (or fails under CI) without it. */
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
        env.put("RANNA_API_MAXSTDINBUFFER", "64K");
        env.put("RANNA_SANDBOX_TIMEOUTSECONDS", "30");
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
            probe = SandboxConfig.defaults();
            if (!provider.availability(probe, List.of()).available()) {
                // No working bubblewrap here: the process sandbox's unisolated mode, as E2eSandbox does.
                probe = E2eSandbox.config(provider);
                env.put("RANNA_SANDBOX_PROCESS_ISOLATION", "none");
            }
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
                InteractiveEndToEndTest.class.getClassLoader());
        servers.put(sandbox, started);
        return started;
    }

    /** {@code sh} on both sandboxes; {@code python3} on the process sandbox when the host has it. */
    private Path specFile(String sandbox) {
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("ranna-interactive-e2e-");
            }
            var yaml = new StringBuilder("sh:\n  entrypoint: /bin/sh\n  filename: main.sh\n");
            if (sandbox.equals("docker")) {
                yaml.append("  image: ").append(IMAGE).append('\n');
            } else if (Files.isExecutable(PYTHON)) {
                yaml.append("python3:\n  entrypoint: ").append(PYTHON).append("\n  filename: main.py\n");
            }
            Path file = dir.resolve(sandbox + ".yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Raw JSON operations, as in protocol.md

    private static String json(String text) {
        var out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"').toString();
    }

    /** EXEC on nonce 1; {@code extra} is more members of {@code args}, e.g. {@code "interactive":true}. */
    private static String exec(String language, String code, String extra) {
        return "{\"op\":1,\"nonce\":1,\"args\":{\"language\":" + json(language) + ",\"code\":" + json(code)
                + (extra.isEmpty() ? "" : "," + extra) + "}}";
    }

    private static String stdin(Object nonce, String runId, String data, boolean eof) {
        return "{\"op\":3,\"nonce\":" + nonce + ",\"args\":{\"runid\":\"" + runId + "\",\"data\":" + json(data)
                + ",\"eof\":" + eof + "}}";
    }

    private static String signal(Object nonce, String runId, String signal) {
        return "{\"op\":4,\"nonce\":" + nonce + ",\"args\":{\"runid\":\"" + runId + "\",\"signal\":\"" + signal
                + "\"}}";
    }

    private static String resize(Object nonce, String runId, int cols, int rows) {
        return "{\"op\":5,\"nonce\":" + nonce + ",\"args\":{\"runid\":\"" + runId + "\",\"cols\":" + cols + ",\"rows\":"
                + rows + "}}";
    }

    private static String kill(String runId) {
        return "{\"op\":2,\"args\":{\"runid\":\"" + runId + "\"}}";
    }

    /**
     * One connection with one run on nonce 1: what it printed so far, by stream, and the events on other
     * nonces (the answers to STDIN, SIGNAL, RESIZE and PING) in the order they came.
     */
    private final class Run {
        final RecordingListener listener = new RecordingListener();
        final WebSocket socket;
        final StringBuilder stdout = new StringBuilder();
        final StringBuilder stderr = new StringBuilder();
        final List<Event> others = new ArrayList<>();
        String runId;
        Event.Stop stop;

        Run(RannaServer server, String execJson) throws InterruptedException {
            socket = http.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/ws"), listener)
                    .join();
            sockets.add(socket);
            send(execJson);
            Event spawn = nextOfRun();
            assertThat(spawn).as("the answer to EXEC").isInstanceOf(Event.Spawn.class);
            runId = ((Event.Spawn) spawn).runId().value();
        }

        void send(String text) {
            socket.sendText(text, true).join();
        }

        /** The next event on nonce 1, keeping LOG text and setting aside events on other nonces. */
        private Event nextOfRun() throws InterruptedException {
            while (true) {
                Event event = nextAny();
                if (event.nonce().equals(Nonce.of(1))) {
                    return event;
                }
            }
        }

        /** The next event of any nonce: LOG text kept, the STOP noted, events on other nonces set aside. */
        private Event nextAny() throws InterruptedException {
            Event event = listener.nextEvent(WAIT);
            if (!event.nonce().equals(Nonce.of(1))) {
                others.add(event);
            } else if (event instanceof Event.Log) {
                Event.Log logEvent = (Event.Log) event;
                (logEvent.stream() == StdStream.STDOUT ? stdout : stderr).append(logEvent.text());
            } else if (event instanceof Event.Stop) {
                stop = (Event.Stop) event;
            }
            return event;
        }

        /** Waits until the run's stdout so far satisfies {@code condition}; fails if the run stops first. */
        void awaitStdout(String what, Predicate<String> condition) throws InterruptedException {
            while (!condition.test(stdout.toString())) {
                assertThat(stop)
                        .as("the run stopped before its stdout had %s: %s", what, stdout)
                        .isNull();
                nextOfRun();
            }
        }

        void awaitStdout(String text) throws InterruptedException {
            awaitStdout("'" + text + "'", out -> out.contains(text));
        }

        /** Reads the run's events up to its STOP and returns the result. */
        RunResult awaitStop() throws InterruptedException {
            while (stop == null) {
                Event event = nextOfRun();
                assertThat(event).as("an event of the run").isNotInstanceOf(Event.Error.class);
            }
            log.info("run {}: {}, stdout {}", runId, stop.result(), json(stdout.toString()));
            return stop.result();
        }

        /**
         * Waits for {@code count} events on other nonces than the run's (the answers to STDIN, SIGNAL and
         * RESIZE, which carry their operation's nonce) and returns them in arrival order.
         */
        List<Event> awaitAnswers(int count) throws InterruptedException {
            while (others.size() < count) {
                assertThat(stop)
                        .as("the run stopped with %s of %s answers: %s", others.size(), count, others)
                        .isNull();
                nextAny();
            }
            var answers = new ArrayList<>(others);
            others.clear();
            return answers;
        }

        /** After its STOP: waits for {@code count} answers on other nonces. */
        List<Event> awaitAnswersAfterStop(int count) throws InterruptedException {
            while (others.size() < count) {
                Event event = listener.nextEvent(WAIT);
                assertThat(event.nonce())
                        .as("an answer, not an event of the run")
                        .isNotEqualTo(Nonce.of(1));
                others.add(event);
            }
            var answers = new ArrayList<>(others);
            others.clear();
            return answers;
        }

        /**
         * Sends a PING on nonce "sync" and returns the events on other nonces that came before its PONG: the
         * answers to every operation sent before it.
         */
        List<Event> answersSoFar() throws InterruptedException {
            int from = others.size();
            send("{\"op\":0,\"nonce\":\"sync\"}");
            Event sync = new Event.Pong(Nonce.of("sync"));
            while (others.size() == from || !others.get(others.size() - 1).equals(sync)) {
                nextAny();
            }
            var answers = new ArrayList<>(others.subList(from, others.size() - 1));
            others.subList(from, others.size()).clear();
            return answers;
        }
    }

    private static Event.Error error(int code, String message, Nonce nonce) {
        return new Event.Error(nonce, code, message);
    }

    // ---------------------------------------------------------------------------------------------
    // stdin

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void programAnswersTwoPromptsOverStdin(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(
                server,
                exec(
                        "sh",
                        "printf 'name? '\nread -r name\nprintf 'age? '\nread -r age\necho \"hello $name, $age\"\n",
                        "\"interactive\":true"));

        run.awaitStdout("name? ");
        run.send(stdin(2, run.runId, "Ada\n", false));
        run.awaitStdout("age? ");
        run.send(stdin(3, run.runId, "36\n", false));
        RunResult result = run.awaitStop();

        assertThat(run.stdout.toString()).isEqualTo("name? age? hello Ada, 36\n");
        assertThat(result.exitCode()).isZero();
        assertThat(run.others).as("STDIN success sends no event").isEmpty();
    }

    /** Python's {@code input()} on the process sandbox (the Docker test image has no Python). */
    @Test
    void pythonInputAnswersTwoPromptsOverStdin() throws Exception {
        Infrastructure.require(Files.isExecutable(PYTHON), PYTHON + " is not on this host");
        RannaServer server = server("process");
        Run run = new Run(
                server,
                exec(
                        "python3",
                        "name = input('name? ')\nage = input('age? ')\nprint(f'hello {name}, {age}')\n",
                        "\"interactive\":true"));

        run.awaitStdout("name? ");
        run.send(stdin(2, run.runId, "Grace\n", false));
        run.awaitStdout("age? ");
        run.send(stdin(3, run.runId, "85\n", false));
        RunResult result = run.awaitStop();

        assertThat(run.stdout.toString()).isEqualTo("name? age? hello Grace, 85\n");
        assertThat(run.stderr.toString()).isEmpty();
        assertThat(result.exitCode()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void catEndsAtEofWithEverythingEchoedInOrder(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(server, exec("sh", "cat", "\"stdin\":\"first\\n\",\"interactive\":true"));

        run.awaitStdout("first\n");
        run.send(stdin(2, run.runId, "second\n", false));
        run.send(stdin(3, run.runId, "third ", false));
        run.send(stdin(4, run.runId, "and last\n", true));
        RunResult result = run.awaitStop();

        assertThat(run.stdout.toString()).isEqualTo("first\nsecond\nthird and last\n");
        assertThat(result.exitCode()).isZero();
        assertThat(result.killed()).isFalse();
        assertThat(result.usage()).as("usage of an interactive run").isNotNull();
        assertThat(run.others).isEmpty();

        // The run is over: its input is gone with it.
        run.send(stdin(5, run.runId, "late\n", false));
        assertThat(run.awaitAnswersAfterStop(1)).containsExactly(error(400, "sandbox is not running", Nonce.of(5)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void stdinPastTheBufferBoundIsRefusedWhole413ThenKillStillWorks(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(server, exec("sh", IDLE, "\"interactive\":true"));
        run.awaitStdout("ready\n");

        // 2 MiB in 128 messages of 16 KiB to a program that never reads.
        int chunk = 16 * 1024;
        int messages = 128;
        String data = "x".repeat(chunk - 1) + "\n";
        for (int i = 0; i < messages; i++) {
            run.send(stdin(100 + i, run.runId, data, false));
        }
        List<Event> answers = run.answersSoFar();

        assertThat(answers)
                .as("refusals")
                .isNotEmpty()
                .allSatisfy(answer -> assertThat(answer).isInstanceOfSatisfying(Event.Error.class, e -> {
                    assertThat(e.code()).isEqualTo(413);
                    assertThat(e.message()).isEqualTo("stdin buffer full");
                }));
        long firstRefused = answers.stream()
                        .mapToLong(answer -> ((Nonce.Numeric) answer.nonce()).value())
                        .min()
                        .orElseThrow()
                - 100;
        long accepted = firstRefused * chunk;
        log.info(
                "{}: {} of {} STDIN messages of {} bytes refused, the first after {} bytes were accepted"
                        + " (the bound is {} plus what the pipe and the sandbox hold)",
                sandbox,
                answers.size(),
                messages,
                chunk,
                accepted,
                STDIN_BOUND);
        assertThat(accepted)
                .as("bytes accepted before the first refusal: the configured 64K bound, not the 1M default")
                .isGreaterThanOrEqualTo(STDIN_BOUND)
                .isLessThan(1024 * 1024);

        run.send(kill(run.runId));
        RunResult result = run.awaitStop();
        assertThat(result.killed()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void misuseIsAnsweredWithTheContractsErrors(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(server, exec("sh", IDLE, ""));
        run.awaitStdout("ready\n");

        run.send(stdin(2, run.runId, "hi\n", false));
        run.send(resize(3, run.runId, 100, 30));
        run.send(signal(4, run.runId, "SIGSEGV"));
        run.send(stdin(5, "0".repeat(64), "hi\n", false));
        run.send(signal(6, "0".repeat(64), "SIGINT"));
        run.send(resize(7, "0".repeat(64), 100, 30));
        List<Event> answers = run.awaitAnswers(6);

        assertThat(answers)
                .filteredOn(answer -> !answer.nonce().equals(Nonce.of(4)))
                .containsExactlyInAnyOrder(
                        error(400, "stdin is not open", Nonce.of(2)),
                        error(400, "run has no terminal", Nonce.of(3)),
                        error(400, "sandbox is not running", Nonce.of(5)),
                        error(400, "sandbox is not running", Nonce.of(6)),
                        error(400, "sandbox is not running", Nonce.of(7)));
        assertThat(answers)
                .filteredOn(answer -> answer.nonce().equals(Nonce.of(4)))
                .singleElement()
                .isInstanceOfSatisfying(
                        Event.Error.class,
                        e -> assertThat(e.code()).as("an unknown signal name").isEqualTo(400));

        // A foreign connection cannot feed, signal or resize this run.
        Run intruder = new Run(server, exec("sh", IDLE, ""));
        intruder.send(stdin(8, run.runId, "hi\n", false));
        intruder.send(signal(9, run.runId, "SIGKILL"));
        intruder.send(resize(10, run.runId, 100, 30));
        assertThat(intruder.awaitAnswers(3))
                .containsExactlyInAnyOrder(
                        error(400, "sandbox is not running", Nonce.of(8)),
                        error(400, "sandbox is not running", Nonce.of(9)),
                        error(400, "sandbox is not running", Nonce.of(10)));

        run.send(kill(run.runId));
        assertThat(run.awaitStop().killed()).isTrue();
    }

    // ---------------------------------------------------------------------------------------------
    // signals

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void sigintIsCaughtByTheProgramsTrap(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(server, exec("sh", "trap 'echo caught; exit 0' INT\n" + IDLE, "\"interactive\":true"));
        run.awaitStdout("ready\n");

        run.send(signal(2, run.runId, "SIGINT"));
        RunResult result = run.awaitStop();

        assertThat(run.stdout.toString()).isEqualTo("ready\ncaught\n");
        assertThat(result.exitCode()).isZero();
        assertThat(result.signal()).isNull();
        assertThat(result.killed()).isFalse();
        assertThat(run.others).as("SIGNAL success sends no event").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void sigtermEndsTheProgramAndStopReportsIt(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(server, exec("sh", IDLE, ""));
        run.awaitStdout("ready\n");

        run.send(signal(2, run.runId, "SIGTERM"));
        RunResult result = run.awaitStop();

        assertThat(result.signal()).as("%s", result).isEqualTo("SIGTERM");
        assertThat(result.exitCode()).isNull();
        assertThat(result.killed()).isFalse();
        assertThat(result.timedOut()).isFalse();
    }

    // ---------------------------------------------------------------------------------------------
    // terminals

    private static final Pattern SIZE = Pattern.compile("(\\d+) (\\d+)\r?\n");

    private static List<String> sizes(String stdout) {
        var sizes = new ArrayList<String>();
        Matcher m = SIZE.matcher(stdout);
        while (m.find()) {
            sizes.add(m.group(1) + " " + m.group(2));
        }
        return sizes;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void sttySizeFollowsResize(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(
                server,
                exec("sh", "stty size\nwhile read -r line; do stty size; done\n", "\"interactive\":true,\"tty\":true"));
        run.awaitStdout("a first size", out -> sizes(out).size() == 1);
        assertThat(sizes(run.stdout.toString())).containsExactly("24 80");

        run.send(resize(2, run.runId, 100, 30));
        // No event confirms a RESIZE: each empty line asks the program for its size again, until it changed.
        for (int asked = 1; !sizes(run.stdout.toString()).contains("30 100"); asked++) {
            assertThat(asked)
                    .as("lines sent before the new size showed: %s", run.stdout)
                    .isLessThan(50);
            run.send(stdin(3, run.runId, "\n", false));
            int expected = asked + 1;
            run.awaitStdout("size " + expected, out -> sizes(out).size() >= expected);
        }
        run.send(stdin(4, run.runId, "", true));
        RunResult result = run.awaitStop();

        List<String> sizes = sizes(run.stdout.toString());
        assertThat(sizes.get(sizes.size() - 1)).isEqualTo("30 100");
        assertThat(sizes).allMatch(size -> size.equals("24 80") || size.equals("30 100"));
        assertThat(result.exitCode())
                .as("the program's loop ended at the terminal's EOF")
                .isZero();
        assertThat(run.others).as("RESIZE success sends no event").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void aTerminalGetsColourAndAllOutputAsStdout(String sandbox) throws Exception {
        RannaServer server = server(sandbox);
        Run run = new Run(
                server,
                exec(
                        "sh",
                        "if [ -t 1 ]; then printf '\\033[1;31mred\\033[0m\\n'; else echo plain; fi\necho err >&2\n",
                        "\"tty\":true"));
        RunResult result = run.awaitStop();

        assertThat(run.stdout.toString()).contains("\u001b[1;31mred\u001b[0m").contains("err");
        assertThat(run.stderr.toString()).as("a terminal has one output stream").isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(result.usage()).as("usage of a terminal run").isNotNull();
    }

    // ---------------------------------------------------------------------------------------------
    // REST and /v1/info

    private HttpResponse<String> post(RannaServer server, String body) throws Exception {
        return Contract.checkRest(http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/exec"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .timeout(WAIT)
                        .build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    private static final Pattern FEATURES = Pattern.compile("\"features\":\\[([^\\]]*)\\]");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"process", "docker"})
    void restTakesStdinAndTtyButRefusesInteractiveAndInfoListsTheFeatures(String sandbox) throws Exception {
        RannaServer server = server(sandbox);

        HttpResponse<String> piped = post(server, "{\"language\":\"sh\",\"code\":\"cat\",\"stdin\":\"abc\\n\"}");
        assertThat(piped.statusCode()).as(piped.body()).isEqualTo(200);
        assertThat(piped.body()).contains("\"stdout\":\"abc\\n\"").contains("\"exitcode\":0");

        HttpResponse<String> tty = post(server, "{\"language\":\"sh\",\"code\":\"[ -t 1 ] && echo tty\",\"tty\":true}");
        assertThat(tty.statusCode()).as(tty.body()).isEqualTo(200);
        assertThat(tty.body()).contains("\"stdout\":\"tty").contains("\"exitcode\":0");

        HttpResponse<String> interactive = post(server, "{\"language\":\"sh\",\"code\":\"cat\",\"interactive\":true}");
        assertThat(interactive.statusCode()).isEqualTo(400);
        assertThat(interactive.body()).contains("interactive runs need the WebSocket API");

        HttpResponse<String> info = Contract.checkRest(http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/info"))
                        .timeout(WAIT)
                        .build(),
                HttpResponse.BodyHandlers.ofString()));
        Matcher features = FEATURES.matcher(info.body());
        assertThat(features.find()).as(info.body()).isTrue();
        assertThat(Arrays.asList(features.group(1).replace("\"", "").split(",")))
                .contains("stdin", "signals", "tty", "usage");
    }
}
