package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Leak and soak (long): thousands of runs with KILLs and client disconnects at random moments, through
 * a real server on the process sandbox and through the engine on the Docker sandbox; afterwards nothing
 * may be left: processes, containers, volumes, work directories, file descriptors, threads, heap.
 */
@Tag("long")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class SoakTest {
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final String[] CODES = {
        "echo hi",
        "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done",
        "sleep 0.2; echo slept",
        "echo err >&2; exit 3",
        "while :; do echo tick; sleep 0.02; done"
    };

    private final Summary summary = new Summary(
            "soak",
            "Leak and soak (`SoakTest`, long)",
            "mvn -pl ranna-it verify -Plong",
            "Thousands of runs through a real `RannaServer` (process sandbox) from 6 concurrent clients on raw"
                    + " WebSockets, each run randomly left to finish, KILLed at a random moment, or abandoned by"
                    + " a client that drops the TCP connection at a random moment (the client then reconnects);"
                    + " then the same on the Docker sandbox through the engine, sessions closed at random."
                    + " Afterwards: no sandbox process, run directory, container or volume left, and the JVM's"
                    + " file descriptors, threads and heap (after GC) back to their baseline (taken after a warm-up).");

    @BeforeAll
    void declare() {
        summary.declare("leaks found");
    }

    @AfterAll
    void write() {
        summary.write();
    }

    private record Baseline(int fds, int threads, long heap) {
        static Baseline now() {
            return new Baseline(Host.openFileDescriptors(), Host.liveThreads(), Host.heapAfterGc());
        }
    }

    private void assertBackToBaseline(String where, Baseline before, List<String> leaks) {
        boolean fdsOk = Host.poll(SETTLE, () -> Host.openFileDescriptors() <= before.fds() + 8);
        boolean threadsOk = Host.poll(SETTLE, () -> Host.liveThreads() <= before.threads() + 4);
        long heap = Host.heapAfterGc();
        summary.set(where + ": file descriptors before / after", before.fds() + " / " + Host.openFileDescriptors());
        summary.set(where + ": threads before / after", before.threads() + " / " + Host.liveThreads());
        summary.set(
                where + ": heap after GC before / after (MiB)", before.heap() / (1 << 20) + " / " + heap / (1 << 20));
        if (!fdsOk) {
            leaks.add("file descriptors " + before.fds() + " -> " + Host.openFileDescriptors());
        }
        if (!threadsOk) {
            leaks.add("threads " + before.threads() + " -> " + Host.liveThreads());
        }
        if (heap > before.heap() + 48L * 1024 * 1024) {
            leaks.add("heap " + before.heap() / (1 << 20) + " MiB -> " + heap / (1 << 20) + " MiB");
        }
    }

    @Test
    void thousandsOfRunsWithRandomKillsAndDisconnectsOnTheServerLeaveNothing() throws Exception {
        Path workRoot =
                Files.createDirectories(Path.of("target", "it-work", "soak").toAbsolutePath());
        var config = Engines.processConfig();
        config.put("sandbox.process.workroot", workRoot.toString());
        RannaEngine engine = Engines.process(
                Engines.limits()
                        .timeout(Duration.ofSeconds(10))
                        .maxConcurrentRuns(8)
                        .build(),
                config);
        var leaks = new ArrayList<String>();
        try (RannaServer server = Engines.server(
                engine,
                ServerOptions.builder()
                        .maxConnectionsPerClient(0)
                        .maxConnectionsPerAddress(0)
                        .build())) {
            soak(server.port(), 1, 50, 0); // warm-up: classes, pools, buffers
            Baseline before = Baseline.now();

            int clients = 6;
            int runsPerClient = Integer.getInteger("ranna.it.soak.runs", 3000) / clients;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            var futures = new ArrayList<Future<int[]>>();
            for (int c = 0; c < clients; c++) {
                long seed = 1000 + c;
                futures.add(pool.submit(() -> soak(server.port(), seed, runsPerClient, 1)));
            }
            int[] totals = new int[4];
            for (Future<int[]> f : futures) {
                int[] counts = f.get(30, TimeUnit.MINUTES);
                for (int i = 0; i < totals.length; i++) {
                    totals[i] += counts[i];
                }
            }
            pool.shutdown();
            summary.set("process: runs (EXECs sent)", clients * runsPerClient);
            summary.set("process: left to finish", totals[0]);
            summary.set("process: KILLed at a random moment", totals[1]);
            summary.set("process: abandoned by a TCP reset at a random moment", totals[2]);
            summary.set("process: runs that never got a STOP while connected", totals[3]);
            assertThat(totals[3]).as("runs without a STOP on a live connection").isZero();

            if (!Host.poll(SETTLE, () -> server.webSocketConnections() == 0)) {
                leaks.add(server.webSocketConnections() + " WebSocket connections");
            }
            if (!Host.poll(SETTLE, () -> server.engine().activeRuns() == 0)) {
                leaks.add(server.engine().activeRuns() + " active runs");
            }
            if (!Host.poll(SETTLE, () -> Host.sandboxProcesses(null).isEmpty())) {
                leaks.add("processes " + Host.sandboxProcesses(null));
            }
            if (!Host.poll(SETTLE, () -> runDirs(workRoot).isEmpty())) {
                leaks.add("run directories " + runDirs(workRoot));
            }
            assertBackToBaseline("process", before, leaks);
        }
        if (!Host.poll(SETTLE, () -> Host.entries(workRoot).isEmpty())) {
            leaks.add("work root after close " + Host.tree(workRoot));
        }
        summary.add("leaks found", leaks.size());
        leaks.forEach(l -> summary.note("process leak: " + l));
        assertThat(leaks).isEmpty();
    }

    private static List<String> runDirs(Path workRoot) {
        var dirs = new ArrayList<String>();
        for (String instance : Host.entries(workRoot)) {
            for (String entry : Host.entries(Path.of(instance))) {
                // A pooled sandbox waiting for a run has a "warm-N" directory; a run's is "run-N".
                if (!entry.endsWith("/owner") && !Host.isPooledSandboxDirectory(entry)) {
                    dirs.add(entry);
                }
            }
        }
        return dirs;
    }

    /** One client: {left to finish, killed, disconnected, missing STOPs}. */
    private int[] soak(int port, long seed, int runs, int chaos) throws IOException {
        var random = new Random(seed);
        int[] counts = new int[4];
        RawWebSocket ws = RawWebSocket.connect(port);
        try {
            for (int i = 0; i < runs; i++) {
                int code = random.nextInt(CODES.length);
                int action = chaos == 0 ? 0 : random.nextInt(10); // 0-5 finish, 6-7 kill, 8-9 disconnect
                if (code == CODES.length - 1 && action < 6) {
                    action = 6 + random.nextInt(4); // an endless program always gets killed or abandoned
                }
                ws.sendText("{\"op\":1,\"nonce\":" + i + ",\"args\":{\"language\":\"sh\",\"code\":"
                        + HostileProtocolTest.q(CODES[code]) + "}}");
                if (action >= 8) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(150)));
                    ws.abort();
                    counts[2]++;
                    ws = RawWebSocket.connect(port);
                    continue;
                }
                RunId run = null;
                boolean killSent = false;
                long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(150));
                while (true) {
                    Duration wait = action >= 6 && !killSent && run != null
                            ? Duration.ofNanos(Math.max(1, killAt - System.nanoTime()))
                            : Duration.ofSeconds(30);
                    Event e = ws.nextEvent(wait);
                    if (e == null && action >= 6 && !killSent && run != null) {
                        ws.sendText("{\"op\":2,\"args\":{\"runid\":\"" + run.value() + "\"}}");
                        killSent = true;
                        continue;
                    }
                    if (e == null) {
                        counts[3]++;
                        break;
                    }
                    if (!e.nonce().equals(Nonce.of(i))) {
                        continue;
                    }
                    if (e instanceof Event.Spawn) {
                        run = ((Event.Spawn) e).runId();
                    } else if (e instanceof Event.Stop || (e instanceof Event.Error && run == null)) {
                        break;
                    }
                }
                counts[action >= 6 ? 1 : 0]++;
            }
        } finally {
            ws.close();
        }
        return counts;
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void hundredsOfDockerRunsWithRandomKillsAndClosedSessionsLeaveNoContainerOrVolume() throws Exception {
        Requirements.docker();
        SandboxConfig config = SandboxConfig.of(Engines.dockerConfig());
        List<String> volumesBefore = Host.volumes();
        var leaks = new ArrayList<String>();
        int runs = Integer.getInteger("ranna.it.soak.dockerRuns", 400);
        var random = new Random(7);
        var stops = new AtomicInteger();
        Baseline before;
        try (RannaEngine engine =
                Engines.docker(Engines.limits().timeout(Duration.ofSeconds(10)).build(), config)) {
            for (int i = 0; i < 5; i++) { // warm-up
                var warm = new Recorder();
                EngineSession s = engine.openSession(warm, "warm");
                s.handle(new Operation.Exec(Nonce.of(i), ExecutionRequest.of("sh", "echo warm")));
                warm.outcome(Nonce.of(i), Duration.ofSeconds(60));
                s.close();
            }
            before = Baseline.now();
            int killed = 0;
            int closed = 0;
            for (int batch = 0; batch < runs / 4; batch++) {
                var events = new Recorder();
                EngineSession session = engine.openSession(events, "soak-" + batch);
                for (int k = 0; k < 4; k++) {
                    int code = random.nextInt(CODES.length);
                    session.handle(new Operation.Exec(Nonce.of(k), ExecutionRequest.of("sh", CODES[code])));
                }
                int action = random.nextInt(3);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(300)));
                if (action == 0) {
                    session.close();
                    closed += 4;
                    continue;
                }
                for (int k = 0; k < 4; k++) {
                    Nonce nonce = Nonce.of(k);
                    Event spawn = events.await(
                            Duration.ofSeconds(60),
                            "SPAWN or ERROR of " + k,
                            e -> e.nonce().equals(nonce) && (e instanceof Event.Spawn || e instanceof Event.Error));
                    if (spawn instanceof Event.Spawn && (action == 1 || random.nextInt(CODES.length) == 0)) {
                        session.handle(new Operation.Kill(Nonce.NONE, ((Event.Spawn) spawn).runId()));
                        killed++;
                    }
                }
                for (int k = 0; k < 4; k++) {
                    events.outcome(Nonce.of(k), Duration.ofSeconds(60));
                    stops.incrementAndGet();
                }
                session.close();
            }
            summary.set("docker: runs (EXECs)", runs);
            summary.set("docker: KILLed at a random moment", killed);
            summary.set("docker: abandoned by closing the session", closed);
            summary.set("docker: runs ended with STOP or ERROR while the session was open", stops.get());
            if (!Host.poll(SETTLE, () -> engine.activeRuns() == 0)) {
                leaks.add(engine.activeRuns() + " active runs");
            }
            if (!Host.poll(
                    SETTLE,
                    () -> Host.containers("dev.ranna.instance=" + config.instanceId()).stream()
                            .allMatch(c -> c.contains("-pool-")))) {
                leaks.add("run containers " + Host.containers("dev.ranna.instance=" + config.instanceId()));
            }
        }
        if (!Host.poll(
                SETTLE,
                () -> Host.containers("dev.ranna.instance=" + config.instanceId())
                        .isEmpty())) {
            leaks.add("containers after close " + Host.containers("dev.ranna.instance=" + config.instanceId()));
        }
        if (!Host.poll(SETTLE, () -> Host.volumes().size() <= volumesBefore.size())) {
            leaks.add(
                    "volumes " + volumesBefore.size() + " -> " + Host.volumes().size());
        }
        assertBackToBaseline("docker", before, leaks);
        summary.add("leaks found", leaks.size());
        leaks.forEach(l -> summary.note("docker leak: " + l));
        assertThat(leaks).isEmpty();
    }
}
