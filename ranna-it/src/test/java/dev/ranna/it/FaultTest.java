package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.client.RannaClient;
import dev.ranna.client.RannaConnection;
import dev.ranna.client.RannaConnectionException;
import dev.ranna.client.RannaRun;
import dev.ranna.engine.EngineSession;
import dev.ranna.engine.RannaEngine;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunResult;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Faults the server must survive without a restart: the work directory's disk full, a storm of
 * connects and disconnects, and SIGTERM with runs in flight (the shaded server jar as a child process).
 * dockerd restarts are in {@link DockerdRestartTest} (long).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FaultTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Summary summary = new Summary(
            "faults",
            "Faults (`FaultTest`)",
            "mvn -pl ranna-it verify",
            "The work directory's file system full (a 4 MiB tmpfs mounted for `sandbox.process.workroot`), a storm"
                    + " of WebSocket connects and disconnects (mid-handshake, idle, and with a run in flight), and"
                    + " SIGTERM to the standalone server jar with runs in flight. Each: affected runs get a clear"
                    + " ERROR/STOP, nothing is left behind, and the same server (no restart) serves the next run.");

    @BeforeAll
    void declare() {
        summary.declare("faults injected", "faults survived");
    }

    @AfterAll
    void write() {
        summary.write();
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void aFullWorkDirectoryDiskFailsRunsClearlyAndTheyWorkAgainOnceThereIsSpace() throws Exception {
        summary.count("faults injected");
        Requirements.root();
        Path mount = Files.createDirectories(Path.of("target", "it-small-disk").toAbsolutePath());
        Host.run("umount", mount.toString());
        Host.Result mounted = Host.run("mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", mount.toString());
        Requirements.check(mounted.exitCode() == 0, "cannot mount a tmpfs: " + mounted.output());
        try {
            var config = Engines.processConfig();
            config.put("sandbox.process.workroot", mount.toString());
            try (RannaEngine engine = Engines.process(Engines.limits().build(), config)) {
                var events = new Recorder();
                EngineSession session = engine.openSession(events, "disk-full");
                Path filler = mount.resolve("filler");
                try (OutputStream out = Files.newOutputStream(filler)) {
                    byte[] block = new byte[64 * 1024];
                    while (true) {
                        out.write(block);
                    }
                } catch (IOException expected) {
                    // No space left on device: the disk is full.
                }
                String code = "echo " + "x".repeat(60_000);
                session.handle(new Operation.Exec(Nonce.of("full"), ExecutionRequest.of("sh", code)));
                Recorder.Outcome full = events.outcome(Nonce.of("full"), WAIT);
                assertThat(full.errors()).as("%s", full).hasSize(1);
                Event.Error error = full.errors().get(0);
                assertThat(error.code()).isGreaterThanOrEqualTo(500);
                assertThat(error.message()).doesNotContain(mount.toString());
                if (full.spawn() != null) {
                    full.assertWellFormed();
                }
                summary.note("disk full: `ERROR " + error.code() + " " + error.message() + "`"
                        + (full.spawn() != null ? " then STOP" : ""));

                Files.delete(filler);
                session.handle(new Operation.Exec(Nonce.of("space"), ExecutionRequest.of("sh", code)));
                Recorder.Outcome after = events.outcome(Nonce.of("space"), WAIT);
                after.assertWellFormed();
                assertThat(after.stdout()).as("%s", after).hasSize(60_001);
                assertThat(Host.poll(WAIT, () -> Host.tree(mount).stream().noneMatch(p -> p.contains("/run-"))))
                        .as("run directories left: %s", Host.tree(mount))
                        .isTrue();
                session.close();
            }
        } finally {
            Host.run("umount", mount.toString());
        }
        summary.count("faults survived");
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void aStormOfConnectsAndDisconnectsLeavesNothingBehind() throws Exception {
        summary.count("faults injected");
        RannaEngine engine =
                Engines.process(Engines.limits().maxConcurrentRuns(8).build(), Engines.processConfig());
        try (RannaServer server = Engines.server(
                engine,
                ServerOptions.builder()
                        .maxConnectionsPerClient(0)
                        .maxConnectionsPerAddress(0)
                        .build())) {
            int connections = 600;
            ExecutorService pool = Executors.newFixedThreadPool(16);
            var results = new ArrayList<Future<String>>();
            for (int i = 0; i < connections; i++) {
                long seed = i;
                results.add(pool.submit(() -> stormOne(server.port(), (int) (seed % 4), new Random(seed))));
            }
            var kinds = new java.util.TreeMap<String, Integer>();
            for (Future<String> f : results) {
                kinds.merge(f.get(60, TimeUnit.SECONDS), 1, Integer::sum);
            }
            pool.shutdown();
            summary.set("storm connections", connections);
            kinds.forEach((k, v) -> summary.set("storm: " + k, v));

            assertThat(Host.poll(WAIT, () -> server.webSocketConnections() == 0))
                    .as("connections still open: %s", server.webSocketConnections())
                    .isTrue();
            assertThat(Host.poll(WAIT, () -> server.engine().activeRuns() == 0))
                    .as("runs still active")
                    .isTrue();
            assertThat(Host.poll(WAIT, () -> Host.sandboxProcesses(null).isEmpty()))
                    .as("sandbox processes left: %s", Host.sandboxProcesses(null))
                    .isTrue();
            // After the storm, an ordinary client's ordinary run.
            try (RannaConnection ws = client(server.port()).connect()) {
                var output = new StringBuffer();
                RannaRun run = ws.exec(ExecutionRequest.of("sh", "echo alive"), e -> {
                    if (e instanceof Event.Log) {
                        output.append(((Event.Log) e).text());
                    }
                });
                assertThat(run.stop()
                                .toCompletableFuture()
                                .get(WAIT.toSeconds(), TimeUnit.SECONDS)
                                .exitCode())
                        .isZero();
                assertThat(output).hasToString("alive\n");
            }
        }
        summary.count("faults survived");
    }

    /** One storm connection; returns what it did. */
    private static String stormOne(int port, int kind, Random random) throws IOException {
        switch (kind) {
            case 0: {
                // Half a handshake, then gone.
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    socket.getOutputStream()
                            .write("GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websock"
                                    .getBytes(StandardCharsets.US_ASCII));
                    socket.setSoLinger(true, 0);
                }
                return "closed mid-handshake";
            }
            case 1: {
                RawWebSocket ws = RawWebSocket.connect(port);
                ws.abort();
                return "reset right after the upgrade";
            }
            case 2: {
                RawWebSocket ws = RawWebSocket.connect(port);
                ws.sendText("{\"op\":0}");
                ws.close();
                return "closed after a PING";
            }
            default: {
                RawWebSocket ws = RawWebSocket.connect(port);
                ws.sendText("{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"sh\",\"code\":\"while :; do echo x; sleep"
                        + " 0.05; done\"}}");
                if (random.nextBoolean()) {
                    ws.nextEvent(Duration.ofSeconds(10)); // SPAWN (or a 503 when the queue is full)
                    ws.abort();
                    return "reset with a run in flight";
                }
                ws.close();
                return "closed with an EXEC just sent";
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void sigtermWithRunsInFlightStopsThemCleanlyAndExits() throws Exception {
        summary.count("faults injected");
        Requirements.bubblewrap();
        Path jar = Path.of(System.getProperty("ranna.it.serverJar", "../ranna-netty/target/ranna-server.jar"));
        Requirements.check(
                Files.isRegularFile(jar),
                "the server jar " + jar + " is missing: mvn -q -pl ranna-netty package -DskipTests");
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path log = Path.of("target", "it-sigterm-server.log");
        Process server = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        jar.toString(),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--sandbox",
                        "process")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            assertThat(Host.poll(Duration.ofSeconds(60), () -> canConnect(port)))
                    .as("the server came up (log: %s)", log)
                    .isTrue();
            var connections = new ArrayList<RannaConnection>();
            var runs = new ArrayList<RannaRun>();
            for (int i = 0; i < 3; i++) {
                RannaConnection ws = client(port).connect();
                connections.add(ws);
                RannaRun run = ws.exec(ExecutionRequest.of("sh", "while :; do echo t; sleep 0.1; done"));
                runs.add(run);
                assertThat(run.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);
                assertThat(run.nextEvent(WAIT)).isInstanceOf(Event.Log.class);
                run.discardEvents();
            }
            server.destroy(); // SIGTERM
            for (int i = 0; i < runs.size(); i++) {
                RunResult stop = runs.get(i).stop().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(stop.killed()).as("STOP of run %d: killed", i).isTrue();
                RannaConnectionException closed =
                        connections.get(i).closed().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(closed.code()).as("close status").isEqualTo(1001);
                connections.get(i).close();
            }
            assertThat(server.waitFor(40, TimeUnit.SECONDS))
                    .as("the server exited")
                    .isTrue();
            summary.note("SIGTERM: 3 runs in flight each got STOP killed=true then close 1001; the server exited"
                    + " with status " + server.exitValue());
            assertThat(Host.poll(WAIT, () -> Host.sandboxProcesses(null).isEmpty()))
                    .as("sandbox processes left: %s", Host.sandboxProcesses(null))
                    .isTrue();
        } finally {
            if (server.isAlive()) {
                server.destroyForcibly();
            }
        }
        summary.count("faults survived");
    }

    /** An ordinary client of the server on {@code port}. */
    private static RannaClient client(int port) {
        return RannaClient.builder().baseUri("http://127.0.0.1:" + port).build();
    }

    private static boolean canConnect(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
