package dev.ranna.bench;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Runs every benchmark and writes {@code docs/benchmarks.md}. See the usage text ({@code --help}).
 *
 * <p>Each scenario measures the server and its raw primitive in the same run on the same machine; warm-up
 * runs are excluded from every figure. The server under test always runs in a separate JVM ({@link
 * ServerProcess}); the clients and the raw primitives run in this one.
 */
public final class BenchMain {
    private static final String HELLO = "echo hello\n";
    private static final String HELLO_OUT = "hello\n";
    /** {@link #HELLO} as one {@code sh -c} command, for the minimal bare bubblewrap row. */
    private static final String HELLO_COMMAND = "echo hello";
    /** Before each sample of the process latency rows: see {@link #interleaved(int, int, List, Duration)}. */
    private static final Duration LATENCY_PAUSE = Duration.ofMillis(30);

    private static final String USAGE = "usage: java -jar ranna-bench/target/ranna-bench.jar [--quick] [--out FILE]"
            + " [--only latency,interactive,throughput,streaming,connections,jmh] [--no-docker] [--connections N]"
            + " [--jfr]";

    private final boolean quick;
    private final Set<String> only;
    private final boolean docker;
    private final int connections;
    private final Path out;
    /** Profile the streaming scenario's fast runs: the server JVM and this one (the client) with JFR. */
    private final boolean jfr;

    private final Report report = new Report();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    private BenchMain(boolean quick, Set<String> only, boolean docker, int connections, Path out, boolean jfr) {
        this.jfr = jfr;
        this.quick = quick;
        this.only = only;
        this.docker = docker;
        this.connections = connections;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean docker = true;
        int connections = 10_000;
        Set<String> only = new LinkedHashSet<>(
                List.of("latency", "interactive", "projects", "throughput", "streaming", "connections", "jmh"));
        Path out = Path.of("docs", "benchmarks.md");
        boolean jfr = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jfr":
                    jfr = true;
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--no-docker":
                    docker = false;
                    break;
                case "--out":
                    out = Path.of(args[++i]);
                    break;
                case "--only":
                    only = new LinkedHashSet<>(List.of(args[++i].split(",")));
                    break;
                case "--connections":
                    connections = Integer.parseInt(args[++i]);
                    break;
                case "-h":
                case "--help":
                    System.out.println(USAGE);
                    return;
                default:
                    System.err.println("unknown argument " + args[i] + "\n" + USAGE);
                    System.exit(2);
            }
        }
        if (docker && !dockerUsable()) {
            System.err.println("[bench] Docker engine or image " + BenchServer.IMAGE
                    + " not usable: Docker scenarios are skipped");
            docker = false;
        }
        var main = new BenchMain(quick, only, docker, connections, out, jfr);
        main.run(String.join(" ", args));
        System.exit(0);
    }

    private void run(String args) throws Exception {
        long t0 = System.nanoTime();
        report.header(quick, args, docker);
        if (only.contains("latency")) {
            latency();
        }
        if (only.contains("interactive")) {
            interactive();
        }
        if (only.contains("projects")) {
            projects();
        }
        if (only.contains("throughput")) {
            throughput();
        }
        if (only.contains("streaming")) {
            streaming();
        }
        if (only.contains("connections")) {
            connections();
        }
        if (only.contains("jmh")) {
            report.jmh(JmhRunner.run(quick));
        }
        report.totalSeconds((System.nanoTime() - t0) / 1e9);
        report.write(out);
        log("wrote " + out.toAbsolutePath());
    }

    // --- 1. latency --------------------------------------------------------------------------------------

    private void latency() throws Exception {
        int warm = quick ? 5 : 10;
        int n = quick ? 40 : 200;
        Path code = Raw.codeFile(HELLO);
        try (ServerProcess server = ServerProcess.start("latency-process", List.of(), "sandbox=process");
                ServerProcess cold = ServerProcess.start(
                        "latency-process-cold", List.of(), "sandbox=process", "sandbox.process.pool=0")) {
            WsClient ws = WsClient.connect(http, server.port());
            BlockingClient bws = BlockingClient.webSocket(server.port());
            BlockingClient brest = BlockingClient.rest(server.port());
            BlockingClient bwsCold = BlockingClient.webSocket(cold.port());
            BlockingClient brestCold = BlockingClient.rest(cold.port());
            log("latency: process sandbox vs bare bubblewrap, interleaved, " + n + " each");
            var results = interleaved(
                    warm,
                    n,
                    List.of(
                            () -> checked(Raw.minimalBwrap(HELLO_COMMAND)),
                            () -> rawBwrap(code, 1_999_000_000),
                            () -> blockingWsHello(bws),
                            () -> blockingRestHello(brest),
                            () -> blockingWsHello(bwsCold),
                            () -> blockingRestHello(brestCold),
                            () -> wsHello(ws),
                            () -> restHello(server.port()),
                            bws::wsPing,
                            () -> blockingRestRefused(brest)),
                    LATENCY_PAUSE);
            var minimal = results.get(0);
            var raw = results.get(1);
            var wsStats = results.get(2);
            var restStats = results.get(3);
            report.latencyRow(
                    "minimal bare bubblewrap, `bwrap --unshare-all --ro-bind /usr /usr ... -- sh -c 'echo hello'`"
                            + " (as root, no uid drop, rlimits, filter, cgroup or code file)",
                    minimal,
                    null,
                    true);
            report.latencyRow("bare bubblewrap command (sh -> prlimit -> setpriv -> bwrap)", raw, minimal, false);
            report.latencyRow(
                    "process sandbox via WebSocket EXEC (pool of 2 set-up sandboxes, the default)",
                    wsStats,
                    minimal,
                    false);
            report.latencyRow("process sandbox via REST /v1/exec (pool of 2)", restStats, minimal, false);
            report.latencyRow(
                    "process sandbox via WebSocket EXEC, pool 0 (every run set up cold)",
                    results.get(4),
                    minimal,
                    false);
            report.latencyRow("process sandbox via REST /v1/exec, pool 0", results.get(5), minimal, false);
            report.latencyRow(
                    "process sandbox via WebSocket EXEC (pool of 2), client `java.net.http` (ranna-client)",
                    results.get(6),
                    minimal,
                    false);
            report.latencyRow(
                    "process sandbox via REST /v1/exec (pool of 2), client `java.net.http`",
                    results.get(7),
                    minimal,
                    false);
            report.latencyRow(
                    "no run: WebSocket PING -> PONG (the client and the server's WebSocket path alone)",
                    results.get(8),
                    minimal,
                    false);
            report.latencyRow(
                    "no run: REST POST /v1/exec refused with 400 (unknown language: the client and the server's"
                            + " HTTP path alone)",
                    results.get(9),
                    minimal,
                    false);
            report.target(
                    "Process sandbox hello world p50 via WebSocket <= 1.0x a minimal bare bubblewrap `sh -c`",
                    wsStats.p50() / minimal.p50(),
                    1.0,
                    true,
                    Stats.ms(wsStats.p50()) + " ms vs " + Stats.ms(minimal.p50()) + " ms");
            report.target(
                    "Process sandbox hello world p50 via REST <= 1.0x a minimal bare bubblewrap `sh -c`",
                    restStats.p50() / minimal.p50(),
                    1.0,
                    true,
                    Stats.ms(restStats.p50()) + " ms vs " + Stats.ms(minimal.p50()) + " ms");
            ws.abort();
            for (var client : List.of(bws, brest, bwsCold, brestCold)) {
                client.close();
            }
            report.poolMemory(Raw.pooledSandboxMemory());
        }
        if (!docker) {
            report.note("Docker latency: skipped (no usable Docker engine or image).");
            return;
        }
        int dn = quick ? 15 : 50;
        int dwarm = quick ? 3 : 5;
        log("latency: docker run --rm, " + dn);
        Stats dockerRun = sequential(dwarm, dn, () -> checked(Raw.dockerRun(HELLO)));
        report.latencyRow("`docker run --rm` (same image, profile and program)", dockerRun, null, true);
        log("latency: pre-created container start+wait, " + dn);
        Stats startWait = sequential(dwarm, dn, () -> {
            String id = Raw.dockerCreate(HELLO);
            try {
                return checked(Raw.dockerStartAttach(id));
            } finally {
                Raw.dockerRemove(id);
            }
        });
        report.latencyRow("pre-created container, `docker start -a` (start+attach+wait)", startWait, dockerRun, false);
        Stats cold;
        try (ServerProcess server = ServerProcess.start("latency-docker-cold", List.of(), "sandbox=docker", "pool=0")) {
            WsClient ws = WsClient.connect(http, server.port());
            log("latency: docker sandbox cold (pool 0), " + dn);
            cold = sequential(dwarm, dn, () -> wsHello(ws));
            report.latencyRow("Docker sandbox via WebSocket, cold (pool size 0)", cold, dockerRun, false);
            ws.abort();
        }
        try (ServerProcess server = ServerProcess.start("latency-docker-warm", List.of(), "sandbox=docker", "pool=2")) {
            WsClient ws = WsClient.connect(http, server.port());
            log("latency: docker sandbox warm pool (size 2), back to back, " + dn);
            Stats warmPool = sequential(dwarm, dn, () -> wsHello(ws));
            report.latencyRow(
                    "Docker sandbox via WebSocket, warm pool (size 2), back to back", warmPool, dockerRun, false);
            log("latency: docker sandbox warm pool, 500 ms between runs");
            Stats paced = pacedHellos(ws);
            report.latencyRow(
                    "Docker sandbox via WebSocket, warm pool, 500 ms between runs (pool refilled)",
                    paced,
                    dockerRun,
                    false);
            report.target(
                    "Docker hello world p50 with the warm pool <= 0.5x `docker run --rm`",
                    warmPool.p50() / dockerRun.p50(),
                    0.5,
                    true,
                    Stats.ms(warmPool.p50()) + " ms (back to back) vs " + Stats.ms(dockerRun.p50()) + " ms; "
                            + Stats.ms(paced.p50()) + " ms with 500 ms between runs ("
                            + Stats.ratio(paced.p50(), dockerRun.p50()) + ")");
            ws.abort();
        }
        report.latencyDockerDone(startWait, cold);
        latencyGvisor(dwarm, dn, dockerRun);
    }

    // --- 1b. interactive round trip ------------------------------------------------------------------

    private void interactive() throws Exception {
        // Round trips of microseconds (the raw pipes) need the JIT warm; 200 cost little.
        int warm = quick ? 50 : 200;
        int n = quick ? 200 : 1000;
        log("interactive: one line through a host cat on a pipe, " + n);
        Stats host;
        try (var cat = new Interactive.PipeCat(List.of(Raw.which("cat")))) {
            host = Interactive.measure(warm, n, cat::once);
        }
        report.interactiveRow("plain host `cat` process, pipe from this JVM", host, null);
        log("interactive: through the process sandbox's SPI in this JVM, " + n);
        Stats spi = Interactive.spi("process", warm, n);
        if (spi != null) {
            report.interactiveRow(
                    "process sandbox SPI directly (`Sandbox.start` with a `StdinSource`; no engine, no WebSocket)",
                    spi,
                    host);
        }
        try (ServerProcess server =
                ServerProcess.start("interactive-process", List.of(), "sandbox=process", "timeout=300")) {
            log("interactive: process sandbox via WebSocket STDIN -> LOG, " + n);
            Stats ws = wsRoundTrips(server, warm, n);
            report.interactiveRow("process sandbox via WebSocket, STDIN op -> LOG event", ws, spi != null ? spi : host);
        }
        // The engine holds small output up to its coalescing delay (5 ms) to merge it into fewer LOGs; an
        // echo is one small write, so it waits the whole delay. The same row without the delay shows its share.
        try (ServerProcess server = ServerProcess.start(
                "interactive-process-nocoalesce", List.of(), "sandbox=process", "timeout=300", "coalesceMs=0")) {
            log("interactive: process sandbox via WebSocket, coalescing delay 0, " + n);
            Stats ws = wsRoundTrips(server, warm, n);
            report.interactiveRow(
                    "the same with the engine's output coalescing delay set to 0 (experiment; default 5 ms)",
                    ws,
                    spi != null ? spi : host);
        }
        if (!docker) {
            report.note("Docker interactive round trip: skipped (no usable Docker engine or image).");
            return;
        }
        log("interactive: docker run -i cat, " + n);
        Stats dockerCat;
        try (var cat = new Interactive.PipeCat(Interactive.dockerCatArgv())) {
            dockerCat = Interactive.measure(warm, n, cat::once);
        }
        report.interactiveRow(
                "`docker run --rm -i` (same image and profile) running `cat`, pipe from this JVM", dockerCat, null);
        log("interactive: through the Docker sandbox's SPI in this JVM, " + n);
        Stats dockerSpi = Interactive.spi("docker", warm, n);
        if (dockerSpi != null) {
            report.interactiveRow(
                    "Docker sandbox SPI directly (warm pool 2; no engine, no WebSocket)", dockerSpi, dockerCat);
        }
        try (ServerProcess server =
                ServerProcess.start("interactive-docker", List.of(), "sandbox=docker", "pool=2", "timeout=300")) {
            log("interactive: docker sandbox via WebSocket STDIN -> LOG, " + n);
            Stats ws = wsRoundTrips(server, warm, n);
            report.interactiveRow(
                    "Docker sandbox via WebSocket, STDIN op -> LOG event",
                    ws,
                    dockerSpi != null ? dockerSpi : dockerCat);
        }
    }

    // --- 1c. a three-file C project, compile + run --------------------------------------------------------

    /** The project's EXEC: {@code main.c} as the code, {@code util.c} and {@code util.h} as files. */
    private static final ExecutionRequest PROJECT_REQUEST = ExecutionRequest.of(
                    BenchServer.C_LANGUAGE, Raw.PROJECT.get("main.c"))
            .withProject(
                    List.of(
                            ProjectFile.utf8("util.c", Raw.PROJECT.get("util.c")),
                            ProjectFile.utf8("util.h", Raw.PROJECT.get("util.h"))),
                    RequestLimits.NONE);

    /** One project run over the WebSocket: from sending the EXEC until its STOP; output and exit checked. */
    private static long wsProject(WsClient ws) throws Exception {
        WsClient.RunTracker t = ws.exec(PROJECT_REQUEST);
        t.runId.get(60, TimeUnit.SECONDS); // a refusal (ERROR before SPAWN) throws here
        Event.Stop stop = t.stop.get(60, TimeUnit.SECONDS);
        if (t.error != null
                || stop.result().exitCode() == null
                || stop.result().exitCode() != 0
                || !t.stdout.toString().equals(Raw.PROJECT_OUT)) {
            throw new IOException("project run failed: " + t.error + " " + stop.result() + " " + t.stdout);
        }
        return t.stopNanos - t.sentNanos;
    }

    private static long checkedProject(Raw.Result r) throws IOException {
        if (r.exitCode() != 0 || !r.stdoutHead().equals(Raw.PROJECT_OUT)) {
            throw new IOException("raw project run failed: exit " + r.exitCode() + ", output " + r.stdoutHead());
        }
        return r.nanos();
    }

    /**
     * The three-file C project ({@code main.c}, {@code util.c}, {@code util.h}): gcc in the compile stage,
     * then the binary, over the WebSocket, against the same two commands run by hand in the bare sandbox
     * command, interleaved (process) or one block after the other (Docker).
     */
    private void projects() throws Exception {
        int warm = quick ? 3 : 5;
        int n = quick ? 15 : 50;
        try (ServerProcess server =
                ServerProcess.start("projects-process", List.of(), "sandbox=process", "projects=true")) {
            WsClient ws = WsClient.connect(http, server.port());
            log("projects: process sandbox vs two bare bubblewrap commands, interleaved, " + n + " each");
            var results = interleaved(
                    warm, n, List.of(() -> checkedProject(Raw.bwrapProject(1_999_000_000)), () -> wsProject(ws)));
            Stats raw = results.get(0);
            report.projectRow(
                    "by hand: files written to a fresh directory, bare bubblewrap command `gcc`, then another"
                            + " `./main`, directory removed",
                    raw,
                    null);
            report.projectRow(
                    "process sandbox via WebSocket EXEC (`files`, compile stage, run stage)", results.get(1), raw);
            ws.abort();
        }
        if (!docker || !imagePresent(BenchServer.TOOLCHAIN_IMAGE)) {
            report.note("Project benchmark on Docker: skipped (no usable Docker engine or image "
                    + BenchServer.TOOLCHAIN_IMAGE + ").");
            return;
        }
        int dn = quick ? 10 : 30;
        log("projects: docker run --rm writing the files, gcc, ./main, " + dn);
        Stats dockerRun = sequential(warm, dn, () -> checkedProject(Raw.dockerRunProject()));
        report.projectRow(
                "by hand: one `docker run --rm` (same profile, memory 512m, image `" + BenchServer.TOOLCHAIN_IMAGE
                        + "`) writing the files, `gcc`, `./main`",
                dockerRun,
                null);
        try (ServerProcess server =
                ServerProcess.start("projects-docker", List.of(), "sandbox=docker", "pool=2", "projects=true")) {
            WsClient ws = WsClient.connect(http, server.port());
            log("projects: docker sandbox via WebSocket, warm pool 2, " + dn);
            Stats warmPool = sequential(warm, dn, () -> wsProject(ws));
            report.projectRow("Docker sandbox via WebSocket EXEC, warm pool (size 2)", warmPool, dockerRun);
            ws.abort();
        }
    }

    /** One interactive {@code cat} run on the server; each round trip is a STDIN op until its line's LOG. */
    private Stats wsRoundTrips(ServerProcess server, int warm, int n) throws Exception {
        WsClient ws = WsClient.connect(http, server.port());
        try {
            WsClient.RunTracker run = ws.execInteractive("exec cat\n");
            String runId;
            try {
                runId = run.runId.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                log("interactive: the server did not start the run: " + e);
                return Stats.of(List.of(), n);
            }
            var received = new StringBuilder();
            Stats stats = Interactive.measure(warm, n, line -> {
                String expected = line + "\n";
                long t0 = System.nanoTime();
                ws.stdin(runId, expected, false);
                return Interactive.awaitEcho(run.chunks, received, expected) - t0;
            });
            ws.stdin(runId, "", true);
            Event.Stop stop = run.stop.get(60, TimeUnit.SECONDS);
            if (run.error != null
                    || ws.protocolErrors.get() != 0
                    || !Integer.valueOf(0).equals(stop.result().exitCode())) {
                // The figures of a run that did not end cleanly are not reported; the other sections go on.
                log("interactive run failed: " + run.error + ", " + ws.protocolErrors.get() + " protocol errors, "
                        + stop.result());
                return Stats.of(List.of(), n);
            }
            return stats;
        } finally {
            ws.abort();
        }
    }

    /** Hello worlds 500 ms apart: the scenario itself is idle time for the warm pool to refill between runs. */
    private Stats pacedHellos(WsClient ws) throws Exception {
        return sequential(2, quick ? 10 : 30, () -> {
            Thread.sleep(500);
            return wsHello(ws);
        });
    }

    /**
     * The same hello world on gVisor ({@code sandbox.runtime=runsc}) if the engine has runsc registered:
     * {@code docker run --rm --runtime runsc}, the sandbox cold and with the warm pool.
     */
    private void latencyGvisor(int dwarm, int dn, Stats runcDockerRun) throws Exception {
        if (!Raw.dockerHasRuntime("runsc")) {
            report.note("gVisor latency: skipped (the engine has no runsc runtime; .ci/run registers it).");
            return;
        }
        log("latency: docker run --rm --runtime runsc, " + dn);
        Stats dockerRun = sequential(dwarm, dn, () -> checked(Raw.dockerRun(HELLO, "runsc")));
        report.latencyRow(
                "gVisor: `docker run --rm --runtime runsc` (same image, profile and program)", dockerRun, null, true);
        try (ServerProcess server = ServerProcess.start(
                "latency-runsc-cold", List.of(), "sandbox=docker", "pool=0", "sandbox.runtime=runsc")) {
            WsClient ws = WsClient.connect(http, server.port());
            log("latency: docker sandbox on runsc cold (pool 0), " + dn);
            Stats cold = sequential(dwarm, dn, () -> wsHello(ws));
            report.latencyRow("gVisor: Docker sandbox via WebSocket, cold (pool size 0)", cold, dockerRun, false);
            ws.abort();
        }
        try (ServerProcess server = ServerProcess.start(
                "latency-runsc-warm", List.of(), "sandbox=docker", "pool=2", "sandbox.runtime=runsc")) {
            WsClient ws = WsClient.connect(http, server.port());
            log("latency: docker sandbox on runsc, warm pool (size 2), back to back, " + dn);
            Stats warmPool = sequential(dwarm, dn, () -> wsHello(ws));
            report.latencyRow(
                    "gVisor: Docker sandbox via WebSocket, warm pool (size 2), back to back",
                    warmPool,
                    dockerRun,
                    false);
            log("latency: docker sandbox on runsc, warm pool, 500 ms between runs");
            Stats paced = pacedHellos(ws);
            report.latencyRow(
                    "gVisor: Docker sandbox via WebSocket, warm pool, 500 ms between runs (pool refilled)",
                    paced,
                    dockerRun,
                    false);
            report.note("gVisor against runc: `docker run --rm` p50 " + Stats.ms(dockerRun.p50()) + " ms vs "
                    + Stats.ms(runcDockerRun.p50()) + " ms (" + Stats.ratio(dockerRun.p50(), runcDockerRun.p50())
                    + "); the gVisor rows' ratios are against `docker run --rm --runtime runsc`.");
            ws.abort();
        }
    }

    private static long rawBwrap(Path code, int uid) throws Exception {
        return checked(Raw.bwrap(code, uid));
    }

    private static long checked(Raw.Result r) throws IOException {
        if (r.exitCode() != 0 || !r.stdoutHead().equals(HELLO_OUT)) {
            throw new IOException("raw run failed: exit " + r.exitCode() + ", output " + r.stdoutHead());
        }
        return r.nanos();
    }

    private static long wsHello(WsClient ws) throws Exception {
        WsClient.RunTracker t = ws.exec(HELLO, true);
        Event.Stop stop = t.stop.get(60, TimeUnit.SECONDS);
        if (t.error != null
                || stop.result().exitCode() == null
                || stop.result().exitCode() != 0
                || !t.stdout.toString().equals(HELLO_OUT)) {
            throw new IOException("run failed: " + t.error + " " + stop.result() + " " + t.stdout);
        }
        return t.stopNanos - t.sentNanos;
    }

    private long restHello(int port) throws Exception {
        String body = WsClient.CODEC.encode(ExecutionRequest.of(BenchServer.LANGUAGE, HELLO));
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/exec"))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long t0 = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        long t1 = System.nanoTime();
        if (response.statusCode() != 200) {
            throw new IOException("REST " + response.statusCode() + " " + response.body());
        }
        ExecutionResponse r = WsClient.CODEC.decodeExecutionResponse(response.body());
        if (!r.stdout().equals(HELLO_OUT)) {
            throw new IOException("REST output " + r.stdout());
        }
        return t1 - t0;
    }

    private static long blockingWsHello(BlockingClient client) throws Exception {
        BlockingClient.Result r = client.wsExec(BenchServer.LANGUAGE, HELLO);
        Integer exit = r.stop().result().exitCode();
        if (exit == null || exit != 0 || !r.stdout().equals(HELLO_OUT)) {
            throw new IOException("run failed: " + r.stop().result() + " " + r.stdout());
        }
        return r.nanos();
    }

    private static long blockingRestHello(BlockingClient client) throws Exception {
        BlockingClient.RestResult r = client.restExec(BenchServer.LANGUAGE, HELLO);
        if (r.status() != 200 || !r.response().stdout().equals(HELLO_OUT)) {
            throw new IOException("REST " + r.status() + " " + r.body());
        }
        return r.nanos();
    }

    private static long blockingRestRefused(BlockingClient client) throws Exception {
        BlockingClient.RestResult r = client.restExec("no-such-language", HELLO);
        if (r.status() != 400) {
            throw new IOException("REST " + r.status() + " " + r.body());
        }
        return r.nanos();
    }

    /** Runs {@code ops} in turn (A, B, C, A, B, C, ...), so drift affects all alike. */
    private static List<Stats> interleaved(int warm, int n, List<Callable<Long>> ops) throws Exception {
        return interleaved(warm, n, ops, Duration.ZERO);
    }

    /**
     * {@link #interleaved(int, int, List)} with {@code pause} before each sample: what one sample leaves
     * to do in the background (a server refilling its pool or prestarting its next launcher) is then done
     * before the next one starts, instead of landing in whichever row comes next.
     */
    private static List<Stats> interleaved(int warm, int n, List<Callable<Long>> ops, Duration pause) throws Exception {
        var samples = new ArrayList<List<Long>>();
        var errors = new int[ops.size()];
        ops.forEach(op -> samples.add(new ArrayList<>()));
        for (int i = 0; i < warm + n; i++) {
            for (int k = 0; k < ops.size(); k++) {
                if (!pause.isZero()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(pause.toNanos());
                }
                try {
                    long nanos = ops.get(k).call();
                    if (i >= warm) {
                        samples.get(k).add(nanos);
                    }
                } catch (Exception e) {
                    if (i >= warm) {
                        errors[k]++;
                    }
                    log("error: " + e);
                }
            }
        }
        var stats = new ArrayList<Stats>();
        for (int k = 0; k < ops.size(); k++) {
            stats.add(Stats.of(samples.get(k), errors[k]));
        }
        return stats;
    }

    private static Stats sequential(int warm, int n, Callable<Long> op) throws Exception {
        return interleaved(warm, n, List.of(op)).get(0);
    }

    // --- 2. throughput -----------------------------------------------------------------------------------

    private void throughput() throws Exception {
        double warmSec = quick ? 1 : 1.5;
        double measureSec = quick ? 2 : 5;
        Path code = Raw.codeFile(HELLO);
        try (ServerProcess server = ServerProcess.start("throughput-process", List.of(), "sandbox=process")) {
            for (int c : new int[] {1, 4, 16}) {
                log("throughput: process, concurrency " + c);
                Throughput raw = load(c, warmSec, measureSec, w -> () -> rawBwrap(code, 1_999_000_000 + w));
                var clients = clients(server.port(), c);
                Throughput srv = load(c, warmSec, measureSec, w -> () -> wsHello(clients.get(w)));
                clients.forEach(WsClient::abort);
                report.throughputRow("process", c, raw, srv);
                if (c == 16) {
                    report.target(
                            "Process sandbox throughput at concurrency 16 >= 0.9x the bare command's",
                            srv.runsPerSecond() / raw.runsPerSecond(),
                            0.9,
                            false,
                            String.format(
                                    java.util.Locale.ROOT,
                                    "%.1f vs %.1f runs/s",
                                    srv.runsPerSecond(),
                                    raw.runsPerSecond()));
                }
            }
        }
        if (!docker) {
            report.note("Docker throughput: skipped (no usable Docker engine or image).");
            return;
        }
        try (ServerProcess server = ServerProcess.start("throughput-docker", List.of(), "sandbox=docker", "pool=2")) {
            for (int c : new int[] {1, 4, 16}) {
                log("throughput: docker, concurrency " + c);
                Throughput raw = load(c, warmSec, measureSec, w -> () -> checked(Raw.dockerRun(HELLO)));
                var clients = clients(server.port(), c);
                Throughput srv = load(c, warmSec, measureSec, w -> () -> wsHello(clients.get(w)));
                clients.forEach(WsClient::abort);
                report.throughputRow("docker", c, raw, srv);
            }
        }
    }

    private List<WsClient> clients(int port, int n) {
        var list = new ArrayList<WsClient>();
        for (int i = 0; i < n; i++) {
            list.add(WsClient.connect(http, port));
        }
        return list;
    }

    /** Completed runs per second, errors and latency within the measurement window. */
    record Throughput(double runsPerSecond, int ok, int errors, Stats latency) {}

    private static Throughput load(int concurrency, double warmSec, double measureSec, IntFunction<Callable<Long>> op)
            throws Exception {
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmSec * 1e9);
        long measureTo = measureFrom + (long) (measureSec * 1e9);
        var latencies = Collections.synchronizedList(new ArrayList<Long>());
        var ok = new AtomicInteger();
        var errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        var futures = new ArrayList<java.util.concurrent.Future<?>>();
        for (int w = 0; w < concurrency; w++) {
            Callable<Long> task = op.apply(w);
            futures.add(pool.submit(() -> {
                while (System.nanoTime() < measureTo) {
                    long t0 = System.nanoTime();
                    try {
                        long nanos = task.call();
                        long t1 = System.nanoTime();
                        if (t0 >= measureFrom && t1 <= measureTo) {
                            ok.incrementAndGet();
                            latencies.add(nanos);
                        }
                    } catch (Exception e) {
                        long t1 = System.nanoTime();
                        if (t1 >= measureFrom && t1 <= measureTo) {
                            errors.incrementAndGet();
                        }
                        log("error: " + e);
                    }
                }
                return null;
            }));
        }
        for (var f : futures) {
            f.get();
        }
        pool.shutdown();
        return new Throughput(ok.get() / measureSec, ok.get(), errors.get(), Stats.of(latencies, errors.get()));
    }

    // --- 3. streaming ------------------------------------------------------------------------------------

    private void streaming() throws Exception {
        long bytes = quick ? 16L << 20 : 64L << 20;
        int reps = quick ? 2 : 5;
        // The server's JIT needs a few runs of the output path: the 2nd-4th runs got steadily faster.
        int serverWarmUps = quick ? 1 : 3;
        String program = "head -c " + bytes + " /dev/zero | tr '\\0' a\n";
        log("streaming: raw pipes");
        var hostPipe = new ArrayList<Long>();
        var bwrapPipe = new ArrayList<Long>();
        Path code = Raw.codeFile(program);
        for (int i = 0; i < reps + 1; i++) {
            Raw.Result h = Raw.run(List.of("/bin/sh", "-c", program.trim() + " | wc -c"), null);
            Raw.Result b = Raw.bwrap(code, 1_999_000_000);
            if (!h.stdoutHead().trim().equals(Long.toString(bytes)) || b.stdoutBytes() != bytes) {
                throw new IOException("raw pipe output wrong: " + h.stdoutHead() + " / " + b.stdoutBytes());
            }
            if (i > 0) {
                hostPipe.add(h.nanos());
                bwrapPipe.add(b.nanos());
            }
        }
        Stats host = Stats.of(hostPipe, 0);
        Stats bw = Stats.of(bwrapPipe, 0);
        double hostRate = bytes / (host.p50() / 1e9);
        double bwRate = bytes / (bw.p50() / 1e9);
        report.streamRow("raw pipe on the host: `" + program.trim() + " | wc -c`", bytes, host, hostRate, hostRate);
        report.streamRow(
                "bare bubblewrap command, stdout read by this JVM (no engine, no WebSocket)",
                bytes,
                bw,
                bwRate,
                hostRate);
        clientAlone(bytes, reps, serverWarmUps, hostRate);
        String limits = "maxOutput=" + (bytes * 2);
        long slowRate = quick ? 4L << 20 : 8L << 20;
        Path logs = Path.of("target", "bench-logs");
        Path serverJfr = logs.resolve("streaming-server.jfr");
        Path clientJfr = logs.resolve("streaming-client.jfr");
        List<String> serverOptions = List.of();
        if (jfr) {
            Files.createDirectories(logs);
            Path settings = logs.resolve("samples.jfc");
            Files.writeString(settings, JFR_SETTINGS);
            Files.deleteIfExists(serverJfr);
            serverOptions = List.of("-XX:StartFlightRecording=filename=" + serverJfr.toAbsolutePath() + ",settings="
                    + settings.toAbsolutePath());
        }
        java.time.Instant profiledFrom = null;
        java.time.Instant profiledTo = null;
        try (ServerProcess server =
                ServerProcess.start("streaming", serverOptions, "sandbox=process", limits, "timeout=120")) {
            var byteClient = ByteWsClient.connect(server.port());
            var times = new ArrayList<Long>();
            jdk.jfr.Recording clientRecording = null;
            // The server's JIT compiles Netty's write path for its first seconds (about a second of C2 per
            // second of uptime, -XX:+LogCompilation), longer than three runs of the output path now take: the
            // warm-up goes on until WARM_UP_SECONDS of streaming have passed too.
            long warmUpEnd = System.nanoTime() + (quick ? 1 : WARM_UP_SECONDS) * 1_000_000_000L;
            int warmUps = serverWarmUps;
            for (int i = 0; i < warmUps + reps; i++) {
                if (i == warmUps - 1 && System.nanoTime() - warmUpEnd < 0) {
                    warmUps++;
                }
                if (jfr && i == warmUps) {
                    clientRecording =
                            new jdk.jfr.Recording(jdk.jfr.Configuration.create(new java.io.StringReader(JFR_SETTINGS)));
                    clientRecording.start();
                    profiledFrom = java.time.Instant.now();
                }
                long[] server0 = cpuUserSys(server.pid());
                long[] client0 = cpuUserSys(ProcessHandle.current().pid());
                var threads0 = threadCpu(server.pid());
                long nanos = streamOnce(byteClient, program, bytes);
                if (i >= warmUps) {
                    log("streaming: server CPU by thread: " + threadCpuDelta(threads0, threadCpu(server.pid())));
                }
                long[] server1 = cpuUserSys(server.pid());
                long[] client1 = cpuUserSys(ProcessHandle.current().pid());
                // CPU time is a steadier figure than wall time on a shared machine; logged, not reported.
                log(String.format(
                        Locale.ROOT,
                        "streaming: fast client, run %d: %.1f ms, CPU server %d ms (user %d, sys %d),"
                                + " client (this JVM) %d ms (user %d, sys %d)",
                        i,
                        nanos / 1e6,
                        server1[0] + server1[1] - server0[0] - server0[1],
                        server1[0] - server0[0],
                        server1[1] - server0[1],
                        client1[0] + client1[1] - client0[0] - client0[1],
                        client1[0] - client0[0],
                        client1[1] - client0[1]));
                if (i >= warmUps) {
                    times.add(nanos);
                }
            }
            if (clientRecording != null) {
                profiledTo = java.time.Instant.now();
                clientRecording.stop();
                clientRecording.dump(clientJfr);
                clientRecording.close();
            }
            Stats fast = Stats.of(times, 0);
            double fastRate = bytes / (fast.p50() / 1e9);
            report.streamRow(
                    "server, process sandbox, fast WebSocket client (Netty, LOGs checked on bytes)",
                    bytes,
                    fast,
                    fastRate,
                    hostRate);
            report.target(
                    "Streaming >= 0.5x the raw pipe's bytes/s",
                    fastRate / hostRate,
                    0.5,
                    false,
                    String.format(Locale.ROOT, "%.0f MiB/s vs %.0f MiB/s", fastRate / (1 << 20), hostRate / (1 << 20)));
            // The same server with the ranna-client (java.net.http), whose transport decodes every text
            // message to chars: for comparison with the figures before the byte client.
            WsClient ws = WsClient.connect(http, server.port());
            var clientTimes = new ArrayList<Long>();
            for (int i = 0; i < 1 + reps; i++) {
                long nanos = streamOnce(ws, program, bytes);
                log(String.format(
                        Locale.ROOT, "streaming: ranna-client (java.net.http), run %d: %.1f ms", i, nanos / 1e6));
                if (i >= 1) {
                    clientTimes.add(nanos);
                }
            }
            ws.abort();
            Stats viaClient = Stats.of(clientTimes, 0);
            report.streamRow(
                    "server, process sandbox, ranna-client (`java.net.http`, LOGs decoded to chars)",
                    bytes,
                    viaClient,
                    bytes / (viaClient.p50() / 1e9),
                    hostRate);
            log("streaming: memory with a fast client");
            Memory fastMem = measureMemory(server, () -> streamOnce(byteClient, program, bytes));
            byteClient.close();
            WsClient slow =
                    WsClient.connectAsync(http, server.port(), slowRate, true).join();
            log("streaming: memory with a slow client (" + (slowRate >> 20) + " MiB/s)");
            long[] slowNanos = new long[1];
            Memory slowMem = measureMemory(server, () -> slowNanos[0] = streamOnce(slow, program, bytes));
            slow.abort();
            report.streamMemory(fastMem, slowMem, slowRate, bytes, slowNanos[0]);
            report.target(
                    "With a slow client the server heap grows by < 64 MiB",
                    slowMem.heapGrowth() / (1024.0 * 1024),
                    64,
                    true,
                    Stats.mib(slowMem.heapGrowth()) + " heap (after GC, peak during the run); RSS "
                            + Stats.mib(slowMem.rssGrowth()));
        }
        if (jfr && profiledFrom != null && profiledTo != null) {
            // The server's recording is written when its JVM exits, at the end of the block above.
            String summary = "## Streaming profile (JFR, the measured fast-client runs only)\n\n### Server JVM\n\n"
                    + JfrSummary.summarize(serverJfr, profiledFrom, profiledTo, 25)
                    + "\n### Client (this JVM)\n\n"
                    + JfrSummary.summarize(clientJfr, profiledFrom, profiledTo, 25);
            Path file = logs.resolve("streaming-profile.md");
            Files.writeString(file, summary);
            log("streaming: JFR summary in " + file + " (recordings " + serverJfr + ", " + clientJfr + ")\n" + summary);
        }
    }

    /**
     * JFR settings for the streaming profile: Java execution samples and native-method samples every
     * millisecond (the profile preset samples every 10-20 ms, too few for runs of a few hundred ms).
     */
    private static final String JFR_SETTINGS = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<configuration version=\"2.0\" label=\"ranna-bench\">\n"
            + "  <event name=\"jdk.ExecutionSample\"><setting name=\"enabled\">true</setting>"
            + "<setting name=\"period\">1 ms</setting></event>\n"
            + "  <event name=\"jdk.NativeMethodSample\"><setting name=\"enabled\">true</setting>"
            + "<setting name=\"period\">1 ms</setting></event>\n"
            + "</configuration>\n";

    /**
     * The benchmark's client alone: the same {@link WsClient} decoding the same kind of LOG frames, replayed
     * by {@link ReplaySource} as fast as the connection takes them, so no server, engine or program limits
     * it. Frames of 16 KiB (the coalescer's start) and of its largest chunk (what a flood gets).
     */
    private void clientAlone(long bytes, int reps, int warmUps, double hostRate) throws Exception {
        int small = dev.ranna.engine.RunLimits.DEFAULTS.coalesceBytes();
        int large = dev.ranna.engine.RunLimits.DEFAULTS.maxCoalesceBytes();
        for (int chunk : List.of(large, small)) {
            clientAlone(bytes, reps, warmUps, hostRate, chunk, true);
        }
        clientAlone(bytes, reps, warmUps, hostRate, large, false);
    }

    private void clientAlone(long bytes, int reps, int warmUps, double hostRate, int chunk, boolean onBytes)
            throws Exception {
        String client = onBytes ? "the fast client (Netty, on bytes)" : "ranna-client (`java.net.http`)";
        log("streaming: " + client + " alone, LOGs of " + (chunk >> 10) + " KiB replayed");
        try (ReplaySource source = ReplaySource.start(bytes, chunk)) {
            ByteWsClient byteClient = onBytes ? ByteWsClient.connect(source.port()) : null;
            WsClient ws = onBytes ? null : WsClient.connect(http, source.port());
            var times = new ArrayList<Long>();
            for (int i = 0; i < warmUps + reps; i++) {
                long[] cpu0 = cpuUserSys(ProcessHandle.current().pid());
                long nanos =
                        byteClient != null ? streamOnce(byteClient, "replay", bytes) : streamOnce(ws, "replay", bytes);
                long[] cpu1 = cpuUserSys(ProcessHandle.current().pid());
                log(String.format(
                        Locale.ROOT,
                        "streaming: %s alone (%d KiB LOGs), run %d: %.1f ms, CPU this JVM %d ms (source and client)",
                        client,
                        chunk >> 10,
                        i,
                        nanos / 1e6,
                        cpu1[0] + cpu1[1] - cpu0[0] - cpu0[1]));
                if (i >= warmUps) {
                    times.add(nanos);
                }
            }
            if (byteClient != null) {
                byteClient.close();
            }
            if (ws != null) {
                ws.abort();
            }
            Stats s = Stats.of(times, 0);
            report.streamRow(
                    client + " alone: replayed " + (chunk >> 10)
                            + " KiB LOG frames, no server and no program (the replaying source shares this JVM)",
                    bytes,
                    s,
                    bytes / (s.p50() / 1e9),
                    hostRate);
        }
    }

    /**
     * User plus system CPU of each thread of a process so far, in ms, by thread name with digits as {@code N}
     * (so a pool's threads add up), from {@code /proc/PID/task/TID/stat}.
     */
    private static java.util.Map<String, Long> threadCpu(long pid) {
        var cpu = new java.util.TreeMap<String, Long>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
                            .replaceAll("\\d+", "N");
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    cpu.merge(name, (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10, Long::sum);
                } catch (IOException | RuntimeException e) {
                    // The thread ended meanwhile.
                }
            }
        } catch (IOException e) {
            return cpu;
        }
        return cpu;
    }

    /** The CPU each thread name used between two {@link #threadCpu} readings, largest first, for the log. */
    private static String threadCpuDelta(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
        var delta = new ArrayList<java.util.Map.Entry<String, Long>>();
        after.forEach((name, ms) -> {
            long d = ms - before.getOrDefault(name, 0L);
            if (d > 0) {
                delta.add(java.util.Map.entry(name, d));
            }
        });
        delta.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        var out = new StringBuilder();
        for (var e : delta) {
            out.append(out.length() == 0 ? "" : ", ")
                    .append(e.getKey())
                    .append(' ')
                    .append(e.getValue())
                    .append(" ms");
        }
        return out.toString();
    }

    /** User and system CPU of a process so far, in ms, from {@code /proc/PID/stat} (zeros if unreadable). */
    private static long[] cpuUserSys(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // utime and stime are fields 14 and 15 of stat(5): 12 and 13 after the command; clock ticks.
            long tick = 10; // USER_HZ is 100 on Linux
            return new long[] {Long.parseLong(fields[11]) * tick, Long.parseLong(fields[12]) * tick};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** The least streaming time before the server's measured runs; see the warm-up loop. */
    private static final int WARM_UP_SECONDS = 4;

    private static long streamOnce(WsClient ws, String program, long bytes) throws Exception {
        WsClient.RunTracker t = ws.exec(program, false, 'a');
        Event.Stop stop = t.stop.get(300, TimeUnit.SECONDS);
        if (t.error != null
                || t.stdoutChars.get() != bytes
                || t.unexpectedChars.get() != 0
                || ws.protocolErrors.get() != 0
                || stop.result().truncated()) {
            throw new IOException("stream run failed: " + t.error + " got " + t.stdoutChars.get() + " chars ("
                    + t.unexpectedChars.get() + " not 'a'), " + ws.protocolErrors.get() + " protocol errors, "
                    + stop.result());
        }
        return t.stopNanos - t.sentNanos;
    }

    private static long streamOnce(ByteWsClient ws, String program, long bytes) throws Exception {
        ByteWsClient.Run run = ws.exec(program, 'a');
        Event.Stop stop = run.stop.get(300, TimeUnit.SECONDS);
        if (run.error != null
                || run.stdoutBytes != bytes
                || run.unexpectedBytes != 0
                || stop.result().truncated()) {
            throw new IOException("stream run failed: " + run.error + " got " + run.stdoutBytes + " bytes ("
                    + run.unexpectedBytes + " not 'a'), " + stop.result());
        }
        if (run.slowLogs > 0) {
            log("streaming: " + run.slowLogs + " LOGs took the decoder's tree path");
        }
        return run.stopNanos - run.sentNanos;
    }

    /** Server memory before and during a run: heap after GC (sampled each second), RSS (every 50 ms). */
    record Memory(long heapBefore, long heapPeak, long heapAfter, long rssBefore, long rssPeak, int heapSamples) {
        long heapGrowth() {
            return Math.max(0, heapPeak - heapBefore);
        }

        long rssGrowth() {
            return Math.max(0, rssPeak - rssBefore);
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Memory measureMemory(ServerProcess server, Body body) throws Exception {
        long heapBefore = server.heapAfterGc();
        long rssBefore = server.rss();
        var done = new AtomicBoolean();
        var rssPeak = new AtomicLong(rssBefore);
        var heapPeak = new AtomicLong(heapBefore);
        var samples = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            long nextHeap = System.nanoTime() + 100_000_000L;
            while (!done.get()) {
                rssPeak.accumulateAndGet(server.rss(), Math::max);
                if (System.nanoTime() >= nextHeap) {
                    try {
                        heapPeak.accumulateAndGet(server.heapAfterGc(), Math::max);
                        samples.incrementAndGet();
                    } catch (IOException e) {
                        log("heap sample failed: " + e);
                    }
                    nextHeap = System.nanoTime() + 1_000_000_000L;
                }
                try {
                    Thread.sleep(50); // the RSS sampling interval, not synchronisation
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        try {
            body.run();
        } finally {
            done.set(true);
            sampler.join();
        }
        long heapAfter = server.heapAfterGc();
        return new Memory(heapBefore, heapPeak.get(), heapAfter, rssBefore, rssPeak.get(), samples.get());
    }

    // --- 4. connections ----------------------------------------------------------------------------------

    private void connections() throws Exception {
        int n = connections;
        try (ServerProcess server = ServerProcess.start("connections", List.of(), "sandbox=process")) {
            log("connections: warm-up");
            var warmup = open(server.port(), 200);
            warmup.forEach(WsClient::abort);
            awaitConnections(server, 0);
            WsClient probe = WsClient.connect(http, server.port());
            Stats idlePing = pings(probe, quick ? 20 : 50, quick ? 200 : 500);
            long heapBefore = server.heapAfterGc();
            long rssBefore = server.rss();
            log("connections: opening " + n);
            long t0 = System.nanoTime();
            var idle = open(server.port(), n);
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            int opened = idle.size();
            awaitConnections(server, opened + 1);
            long heapAfter = server.heapAfterGc();
            long rssAfter = server.rss();
            log("connections: " + opened + " open; pings");
            Stats loadedPing = pings(probe, quick ? 20 : 50, quick ? 200 : 500);
            var random = new Random(42);
            var spread = new ArrayList<Long>();
            int spreadErrors = 0;
            for (int i = 0; i < Math.min(opened, quick ? 100 : 300); i++) {
                try {
                    spread.add(idle.get(random.nextInt(opened)).ping().get(10, TimeUnit.SECONDS));
                } catch (Exception e) {
                    spreadErrors++;
                }
            }
            Stats spreadPing = Stats.of(spread, spreadErrors);
            report.connections(
                    n,
                    opened,
                    openSeconds,
                    heapBefore,
                    heapAfter,
                    rssBefore,
                    rssAfter,
                    idlePing,
                    loadedPing,
                    spreadPing);
            double heapMib = heapAfter / (1024.0 * 1024);
            double per = (heapAfter - heapBefore) / (double) Math.max(1, opened);
            double projected = (heapBefore + per * 10_000) / (1024.0 * 1024);
            report.target(
                    "10,000 idle connections in < 256 MiB of server heap",
                    opened >= 10_000 ? heapMib : projected,
                    256,
                    true,
                    (opened >= 10_000
                                    ? Stats.mib(heapAfter) + " total heap after GC with " + opened + " connections"
                                    : String.format(
                                            Locale.ROOT, "%.1f MiB projected from %d connections", projected, opened))
                            + String.format(Locale.ROOT, " (%.1f KiB per connection)", per / 1024));
            idle.forEach(WsClient::abort);
            probe.abort();
        }
    }

    private List<WsClient> open(int port, int n) throws InterruptedException {
        var result = Collections.synchronizedList(new ArrayList<WsClient>());
        var window = new Semaphore(128);
        var failures = new AtomicInteger();
        var all = new ArrayList<CompletableFuture<?>>();
        for (int i = 0; i < n; i++) {
            window.acquire();
            all.add(WsClient.connectAsync(http, port, 0, true).whenComplete((c, e) -> {
                window.release();
                if (e != null) {
                    if (failures.incrementAndGet() <= 3) {
                        log("connect failed: " + e);
                    }
                } else {
                    result.add(c);
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]))
                .exceptionally(e -> null)
                .join();
        if (failures.get() > 0) {
            log(failures.get() + " connections failed");
        }
        return new ArrayList<>(result);
    }

    private static void awaitConnections(ServerProcess server, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int seen;
        while ((seen = server.connections()) != expected && System.nanoTime() < deadline) {
            Thread.sleep(100); // poll interval while the server accepts the last connections
        }
        if (seen != expected) {
            log("server reports " + seen + " connections, expected " + expected);
        }
    }

    private static Stats pings(WsClient ws, int warm, int n) {
        var samples = new ArrayList<Long>();
        int errors = 0;
        for (int i = 0; i < warm + n; i++) {
            try {
                long rtt = ws.ping().get(10, TimeUnit.SECONDS);
                if (i >= warm) {
                    samples.add(rtt);
                }
            } catch (Exception e) {
                errors++;
            }
        }
        return Stats.of(samples, errors);
    }

    // --- helpers -----------------------------------------------------------------------------------------

    private static boolean dockerUsable() {
        return imagePresent(BenchServer.IMAGE);
    }

    private static boolean imagePresent(String image) {
        try {
            Process p = new ProcessBuilder("docker", "image", "inspect", image)
                    .redirectErrorStream(true)
                    .start();
            try (InputStream in = p.getInputStream()) {
                in.readAllBytes();
            }
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static void log(String message) {
        System.err.println(
                "[bench " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + message);
    }

    static String readAll(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String s;
            try (InputStream in = p.getInputStream()) {
                s = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            p.waitFor(20, TimeUnit.SECONDS);
            return s;
        } catch (IOException | InterruptedException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    static String firstLine(Path file, String prefix) {
        try {
            for (String l : Files.readAllLines(file)) {
                if (l.startsWith(prefix)) {
                    return l;
                }
            }
        } catch (IOException e) {
            return "unknown";
        }
        return "unknown";
    }
}
