package dev.ranna.client.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.client.RannaClient;
import dev.ranna.client.RannaConnection;
import dev.ranna.client.RannaConnectionException;
import dev.ranna.client.RannaException;
import dev.ranna.client.RannaRun;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RequestLimits;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.SystemInfo;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The client's end-to-end suite, one per server transport: REST, streamed, killed and interactive runs, the
 * server's refusals as exceptions, a slow consumer, and lost connections, against a real server on a real port
 * with a real sandbox. {@link RannaClientEndToEndTest} runs it against the Netty server; a subclass for another
 * transport (e.g. the Spring Boot starter) supplies {@link #baseUri()} and {@link #activeRuns()} of a server
 * configured as {@link #serverRequirements()} says. Shipped in this module's test-jar.
 *
 * <p>The server requires a token, so every test also shows the client sending it (REST and WebSocket upgrade).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
public abstract class AbstractRannaClientEndToEndTest {
    /** The one access token the server accepts ({@code api.tokens}). */
    protected static final String TOKEN = "e2e-token-7f3a";
    /** The server's runs per connection ({@code RunLimits.maxRunsPerSession}); runs per client unlimited. */
    protected static final int RUNS_PER_CONNECTION = 4;
    /** The server's output limit: large, so only backpressure (not the limit) bounds the flood. */
    protected static final long FLOOD_OUTPUT_LIMIT = 1024L * 1024 * 1024;

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<RannaConnection> connections = new ArrayList<>();
    private @Nullable RannaClient client;

    /**
     * What the server under test must be: the process sandbox (bubblewrap or unisolated); a spec map of exactly
     * {@code sh} ({@code /bin/sh}, file {@code main.sh}) then {@code shell} (an alias of {@code sh}); token {@link
     * #TOKEN} required; {@link #RUNS_PER_CONNECTION} runs per connection, no per-client cap; output limit {@link
     * #FLOOD_OUTPUT_LIMIT}; timeout 30 s; the stdin feature.
     */
    protected static String serverRequirements() {
        return "process sandbox; specs sh + alias shell; token " + TOKEN + "; " + RUNS_PER_CONNECTION
                + " runs per connection, none per client; output limit 1 GiB; timeout 30 s";
    }

    /** The server's base URI, e.g. {@code http://127.0.0.1:PORT} (with the API's path prefix, if any). */
    protected abstract URI baseUri();

    /** The runs the server has in flight now (its engine's {@code activeRuns()}). */
    protected abstract int activeRuns();

    @AfterEach
    void closeConnections() {
        connections.forEach(RannaConnection::close);
        connections.clear();
    }

    private RannaClient client() {
        RannaClient built = client;
        if (built == null) {
            built = client(baseUri()).build();
            client = built;
        }
        return built;
    }

    private static RannaClient.Builder client(URI base) {
        return RannaClient.builder().baseUri(base).token(TOKEN);
    }

    /** {@code base} with its port replaced by {@code port}. */
    private static URI withPort(URI base, int port) {
        return URI.create(base.getScheme() + "://" + base.getHost() + ":" + port + base.getRawPath());
    }

    private RannaConnection connect() {
        return connect(client());
    }

    private RannaConnection connect(RannaClient with) {
        RannaConnection connection = with.connect();
        connections.add(connection);
        return connection;
    }

    private static RunResult stopOf(RannaRun run) throws Exception {
        return run.stop().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static RannaException failureOf(RannaRun run) {
        try {
            run.stop().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(RannaException.class);
            return (RannaException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the run did not fail in time", e);
        }
        throw new AssertionError("the run stopped instead of failing");
    }

    /** Reads the run's events until its stdout so far contains {@code text}; returns that stdout. */
    private static String awaitStdout(RannaRun run, StringBuilder stdout, String text) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!stdout.toString().contains(text)) {
            Event event = run.nextEvent(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            assertThat(event)
                    .as("stdout so far: %s (waiting for %s)", stdout, text)
                    .isNotNull();
            if (event instanceof Event.Log && ((Event.Log) event).stream() == StdStream.STDOUT) {
                stdout.append(((Event.Log) event).text());
            }
            assertThat(event)
                    .as("ended before %s appeared; stdout: %s", text, stdout)
                    .isNotInstanceOf(Event.Stop.class);
        }
        return stdout.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // REST

    @Test
    void rest_spec_info_and_exec() {
        SpecMap spec = client().spec();
        assertThat(spec.entries().keySet()).containsExactly("sh", "shell");
        assertThat(spec.get("shell").orElseThrow().isAlias()).isTrue();

        SystemInfo info = client().info();
        assertThat(info.sandbox().type()).isEqualTo("process");
        assertThat(info.features()).contains("stdin");

        ExecutionResponse response = client().exec(
                        ExecutionRequest.of("shell", "echo out; echo err >&2; echo \"$1\"; exit 3")
                                .withInput("", false, false));
        assertThat(response.stdout()).isEqualTo("out\n\n");
        assertThat(response.stderr()).isEqualTo("err\n");
        assertThat(response.result().exitCode()).isEqualTo(3);
        assertThat(response.compile()).isNull();
    }

    @Test
    void rest_errors_are_exceptions_with_the_servers_code_and_message() {
        assertThatThrownBy(() -> client().exec(ExecutionRequest.of("cobol", "DISPLAY 'hi'")))
                .isExactlyInstanceOf(RannaException.class)
                .hasMessage("unsupported language spec")
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(400));

        RannaClient noToken = RannaClient.builder().baseUri(baseUri()).build();
        assertThatThrownBy(noToken::info)
                .isInstanceOf(RannaException.class)
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(401));
        assertThatThrownBy(noToken::connect)
                .isInstanceOf(RannaConnectionException.class)
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(401));
    }

    // ---------------------------------------------------------------------------------------------
    // WebSocket runs

    @Test
    void a_streamed_run_delivers_output_as_it_is_written() throws Exception {
        RannaConnection connection = connect();
        var arrivals = new ConcurrentLinkedQueue<Long>();
        var stdout = new StringBuffer();
        var stderr = new StringBuffer();
        var order = new ConcurrentLinkedQueue<String>();
        RannaRun run = connection.exec(
                ExecutionRequest.of("sh", "echo first\nsleep 1\necho second\necho oops >&2\nexit 4"), event -> {
                    order.add(event.eventCode().name());
                    if (event instanceof Event.Log) {
                        var log = (Event.Log) event;
                        (log.stream() == StdStream.STDOUT ? stdout : stderr).append(log.text());
                        if (log.text().contains("first")) {
                            arrivals.add(System.nanoTime());
                        }
                    }
                    if (event instanceof Event.Stop) {
                        arrivals.add(System.nanoTime());
                    }
                });

        RunResult result = run.await();
        assertThat(result.exitCode()).isEqualTo(4);
        assertThat(stdout.toString()).isEqualTo("first\nsecond\n");
        assertThat(stderr.toString()).isEqualTo("oops\n");
        assertThat(order).first().isEqualTo("SPAWN");
        assertThat(order).last().isEqualTo("STOP");
        assertThat(run.runId()).isNotNull();
        Long first = arrivals.poll();
        Long stop = arrivals.poll();
        assertThat(Duration.ofNanos(stop - first))
                .as("'first' arrived while the program still ran, a second before its end")
                .isGreaterThan(Duration.ofMillis(500));
    }

    @Test
    void a_run_read_as_a_stream_ends_with_its_stop() throws Exception {
        RannaConnection connection = connect();
        RannaRun run = connection.exec(ExecutionRequest.of("sh", "for i in 1 2 3; do echo line $i; done"));
        List<Event> events = run.events().toList();
        assertThat(events).first().isInstanceOf(Event.Spawn.class);
        assertThat(events).last().isInstanceOf(Event.Stop.class);
        String out = events.stream()
                .filter(e -> e instanceof Event.Log)
                .map(e -> ((Event.Log) e).text())
                .reduce("", String::concat);
        assertThat(out).isEqualTo("line 1\nline 2\nline 3\n");
        assertThat(stopOf(run).exitCode()).isZero();
        assertThat(connection.bufferedEvents()).isZero();
    }

    @Test
    void kill_ends_a_running_program() throws Exception {
        RannaConnection connection = connect();
        RannaRun run = connection.exec(ExecutionRequest.of("sh", "echo ready\nwhile :; do sleep 1; done"));
        awaitStdout(run, new StringBuilder(), "ready");
        run.kill().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        RunResult result = stopOf(run);
        assertThat(result.killed()).isTrue();
        assertThat(run.error()).isNull();
    }

    @Test
    void an_interactive_run_answers_a_prompt_reads_to_eof_and_traps_sigint() throws Exception {
        RannaConnection connection = connect();
        String program = "printf 'name? '\n"
                + "read -r name\n"
                + "echo \"Hello, $name!\"\n"
                + "while read -r line; do echo \"got $line\"; done\n"
                + "echo eof\n"
                + "trap 'echo caught; exit 7' INT\n"
                + "echo ready\n"
                + "while :; do sleep 1; done\n";
        RannaRun run = connection.exec(ExecutionRequest.of("sh", program).withInput("", true, false));
        var stdout = new StringBuilder();

        awaitStdout(run, stdout, "name? ");
        run.stdin("Ada\n");
        awaitStdout(run, stdout, "Hello, Ada!\n");
        run.stdin("one\ntwo\n");
        awaitStdout(run, stdout, "got two\n");
        run.closeStdin();
        awaitStdout(run, stdout, "ready\n");
        run.signal(ProgramSignal.SIGINT);
        awaitStdout(run, stdout, "caught\n");

        assertThat(stopOf(run).exitCode()).isEqualTo(7);
        assertThat(stdout.toString()).isEqualTo("name? Hello, Ada!\ngot one\ngot two\neof\nready\ncaught\n");
        assertThat(run.errors()).isEmpty();
    }

    @Test
    void an_operation_the_server_refuses_is_an_error_of_the_run_that_does_not_end_it() throws Exception {
        RannaConnection connection = connect();
        // Not interactive: the server refuses STDIN; and a run without a terminal refuses RESIZE.
        RannaRun run = connection.exec(ExecutionRequest.of("sh", "echo ready\nwhile :; do sleep 1; done"));
        awaitStdout(run, new StringBuilder(), "ready");
        run.stdin("ignored\n");
        run.resize(100, 40);
        long deadline = System.nanoTime() + WAIT.toNanos();
        var errors = new ArrayList<String>();
        while (errors.size() < 2 && System.nanoTime() < deadline) {
            Event event = run.nextEvent(Duration.ofSeconds(1));
            if (event instanceof Event.Error) {
                errors.add(((Event.Error) event).code() + " " + ((Event.Error) event).message());
            }
        }
        assertThat(errors).containsExactly("400 stdin is not open", "400 run has no terminal");
        assertThat(run.isDone()).isFalse();
        assertThat(run.error()).isNull();
        run.kill();
        assertThat(stopOf(run).killed()).isTrue();
    }

    @Test
    void a_timeout_is_an_error_of_the_run_and_a_stop_that_says_so() throws Exception {
        RannaConnection connection = connect();
        RannaRun run = connection.exec(ExecutionRequest.of("sh", "while :; do sleep 1; done")
                .withProject(List.of(), new RequestLimits(300L, null, null, null)));
        RunResult result = stopOf(run);
        assertThat(result.timedOut()).isTrue();
        assertThat(run.error()).isNotNull();
        assertThat(run.error().code()).isEqualTo(408);
        assertThat(run.error().getMessage()).isEqualTo("code execution timed out");
        run.discardEvents();
    }

    @Test
    void a_refused_run_fails_its_stop_with_the_servers_code_and_message() throws Exception {
        RannaConnection connection = connect();
        RannaRun cobol = connection.exec(ExecutionRequest.of("cobol", "DISPLAY 'hi'"));
        assertThatThrownBy(cobol::await)
                .isExactlyInstanceOf(RannaException.class)
                .hasMessage("unsupported language spec");
        RannaException unknown = failureOf(cobol);
        assertThat(unknown).isExactlyInstanceOf(RannaException.class);
        assertThat(unknown.code()).isEqualTo(400);
        assertThat(unknown.getMessage()).isEqualTo("unsupported language spec");

        // Capacity: this connection may hold RUNS_PER_CONNECTION runs; one more is refused with 503.
        var idle = new ArrayList<RannaRun>();
        for (int i = 0; i < RUNS_PER_CONNECTION; i++) {
            RannaRun run = connection.exec(ExecutionRequest.of("sh", "while :; do sleep 1; done"), event -> {});
            run.spawned().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            idle.add(run);
        }
        RannaRun refused = connection.exec(ExecutionRequest.of("sh", "echo never"));
        RannaException capacity = failureOf(refused);
        assertThat(capacity.code()).isEqualTo(503);
        assertThat(refused.runId()).isNull();
        assertThat(refused.spawned().toCompletableFuture()).isCompletedExceptionally();
        for (RannaRun run : idle) {
            run.kill();
        }
        for (RannaRun run : idle) {
            assertThat(stopOf(run).killed()).isTrue();
        }
        assertThat(connection.ping().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .isLessThan(WAIT);
    }

    @Test
    void many_runs_on_one_connection_each_get_their_own_output() throws Exception {
        RannaConnection connection = connect();
        var runs = new ArrayList<RannaRun>();
        var outputs = new ArrayList<StringBuffer>();
        for (int i = 0; i < RUNS_PER_CONNECTION; i++) {
            var out = new StringBuffer();
            outputs.add(out);
            runs.add(connection.exec(ExecutionRequest.of("sh", "for j in 1 2 3 4 5; do echo run" + i + "; done"), e -> {
                if (e instanceof Event.Log) {
                    out.append(((Event.Log) e).text());
                }
            }));
        }
        for (int i = 0; i < runs.size(); i++) {
            assertThat(stopOf(runs.get(i)).exitCode()).isZero();
            assertThat(outputs.get(i).toString()).isEqualTo(("run" + i + "\n").repeat(5));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Flow control and lost connections

    @Test
    void a_slow_consumer_slows_the_program_and_holds_no_more_than_its_window() throws Exception {
        int window = 8;
        RannaConnection connection =
                connect(client(baseUri()).maxBufferedEvents(window).build());
        // For comparison (the report's figure): what the program writes in a second to a reader that keeps up.
        RannaRun fast = connection.exec(ExecutionRequest.of("sh", "yes 0123456789abcdefghijklmnopqrstuvwxyz"));
        long fastBytes = 0;
        long fastEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() < fastEnd) {
            Event event = fast.nextEvent(WAIT);
            if (event instanceof Event.Log) {
                fastBytes += ((Event.Log) event).text().length();
            }
        }
        fast.kill();
        fast.discardEvents();
        assertThat(stopOf(fast).killed()).isTrue();

        // Writes as fast as the pipe takes it, far more than the slow reader below ever takes.
        long heapBefore = heapAfterGc();
        RannaRun run = connection.exec(ExecutionRequest.of("sh", "yes 0123456789abcdefghijklmnopqrstuvwxyz"));
        long slowBytes = 0;
        int slowEvents = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < end) {
            Event event = run.nextEvent(WAIT);
            assertThat(event).isNotNull().isNotInstanceOf(Event.Stop.class);
            if (event instanceof Event.Log) {
                slowBytes += ((Event.Log) event).text().length();
                slowEvents++;
            }
            assertThat(connection.bufferedEvents()).isLessThanOrEqualTo(window);
            // The pace of a slow consumer (this is the behaviour under test, not a wait for something).
            Thread.sleep(20);
        }
        // Server and client share this JVM: neither may have taken up what the program wrote meanwhile.
        long heapGrowth = heapAfterGc() - heapBefore;
        run.kill();
        // Drain fast: whatever the server still held for us, plus what was in flight.
        long tailBytes = 0;
        Event event;
        while (!((event = run.nextEvent(WAIT)) instanceof Event.Stop)) {
            assertThat(event).as("the run's events end with its STOP").isNotNull();
            if (event instanceof Event.Log) {
                tailBytes += ((Event.Log) event).text().length();
            }
        }
        RunResult result = stopOf(run);
        System.out.printf(
                "slow consumer: %d events / %d KiB read in 3 s at one per 20 ms, %d KiB after the kill, peak"
                        + " buffered %d of %d; a reader that keeps up got %d KiB in 1 s; heap growth after GC"
                        + " %d KiB%n",
                slowEvents,
                slowBytes / 1024,
                tailBytes / 1024,
                connection.peakBufferedEvents(),
                window,
                fastBytes / 1024,
                heapGrowth / 1024);
        assertThat(result.killed()).isTrue();
        assertThat(result.truncated())
                .as("the output limit (1 GiB) was never the brake")
                .isFalse();
        assertThat(connection.peakBufferedEvents()).isLessThanOrEqualTo(window);
        assertThat(heapGrowth)
                .as("heap (server and client) after GC, grown while the program flooded a slow reader")
                .isLessThan(16L * 1024 * 1024);
        // Unthrottled, `yes` writes hundreds of MiB in 3 s. Held back, all the program wrote is what was read
        // slowly plus what sat in the pipe, the server's bounded queue and the kernel's socket buffers (on
        // loopback the receive buffer alone may grow to tcp_rmem's maximum): never in either JVM's heap.
        long socketBuffers = maxOfThird("/proc/sys/net/ipv4/tcp_rmem") + maxOfThird("/proc/sys/net/ipv4/tcp_wmem");
        assertThat(tailBytes)
                .as("bytes in flight after the kill (socket buffers: %d KiB)", socketBuffers / 1024)
                .isLessThan(socketBuffers + 8L * 1024 * 1024);
    }

    /** Heap in use after a full collection (G1 collects on System.gc() unless told otherwise). */
    private static long heapAfterGc() {
        System.gc();
        return java.lang.management.ManagementFactory.getMemoryMXBean()
                .getHeapMemoryUsage()
                .getUsed();
    }

    /** The third number of a tcp_rmem/tcp_wmem file (the most autotuning grows a buffer to), or 32 MiB. */
    private static long maxOfThird(String file) {
        try {
            String[] parts = java.nio.file.Files.readString(java.nio.file.Path.of(file))
                    .trim()
                    .split("\\s+");
            return Long.parseLong(parts[2]);
        } catch (java.io.IOException | RuntimeException e) {
            return 32L * 1024 * 1024;
        }
    }

    @Test
    void a_dropped_connection_fails_runs_in_flight_promptly() throws Exception {
        try (var proxy = new DroppingProxy(baseUri().getPort())) {
            RannaConnection connection =
                    connect(client(withPort(baseUri(), proxy.port())).build());
            RannaRun pulled = connection.exec(ExecutionRequest.of("sh", "echo ready\nwhile :; do sleep 1; done"));
            var failed = new CompletableFuture<RannaException>();
            RannaRun pushed = connection.exec(
                    ExecutionRequest.of("sh", "while :; do sleep 1; done"), new dev.ranna.client.RunListener() {
                        @Override
                        public void onEvent(Event event) {}

                        @Override
                        public void onFailure(RannaException failure) {
                            failed.complete(failure);
                        }
                    });
            awaitStdout(pulled, new StringBuilder(), "ready");
            pushed.spawned().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);

            long dropped = System.nanoTime();
            proxy.drop();
            RannaException pulledFailure = failureOf(pulled);
            RannaException pushedFailure = failureOf(pushed);
            Duration took = Duration.ofNanos(System.nanoTime() - dropped);
            System.out.printf("dropped connection: runs failed %d ms after the drop%n", took.toMillis());

            assertThat(pulledFailure).isInstanceOf(RannaConnectionException.class);
            assertThat(pushedFailure).isInstanceOf(RannaConnectionException.class);
            assertThat(failed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(RannaConnectionException.class);
            assertThat(took).isLessThan(Duration.ofSeconds(5));
            assertThat(connection.isOpen()).isFalse();
            assertThatThrownBy(() -> pulled.events().forEach(e -> {})).isInstanceOf(RannaConnectionException.class);
            assertThat(serverRunsEnd())
                    .as("the server killed the runs of the lost connection")
                    .isTrue();
        }
    }

    @Test
    void closing_the_connection_fails_runs_in_flight_and_the_server_kills_them() throws Exception {
        RannaConnection connection = connect();
        RannaRun run = connection.exec(ExecutionRequest.of("sh", "echo ready\nwhile :; do sleep 1; done"));
        awaitStdout(run, new StringBuilder(), "ready");
        connection.close();
        RannaException failure = failureOf(run);
        assertThat(failure).isInstanceOf(RannaConnectionException.class);
        assertThat(failure.code()).isEqualTo(1000);
        assertThat(serverRunsEnd())
                .as("the server killed the run of the closed connection")
                .isTrue();
    }

    /** Whether the server's engine has no run left within the wait (each test ends its runs). */
    private boolean serverRunsEnd() throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (activeRuns() != 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(20); // polling the server's state, not waiting for an event of ours
        }
        return true;
    }
}
