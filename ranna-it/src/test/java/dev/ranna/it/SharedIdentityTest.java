package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.client.RannaClient;
import dev.ranna.client.RannaConnection;
import dev.ranna.client.RannaRun;
import dev.ranna.engine.EngineSession;
import dev.ranna.engine.RannaEngine;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attacks through shared kernel identities (issue 11): two servers on one host handing out one run uid,
 * a run exhausting a per-user kernel quota (inotify instances) of everyone else's runs, a run starving
 * the host of terminals. Each must be contained on both sandboxes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SharedIdentityTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final Summary SUMMARY = new Summary(
            "shared-identity",
            "One kernel identity per run (`SharedIdentityTest`)",
            "mvn -pl ranna-it verify",
            "Two standalone `ranna-server.jar` processes on one host (the old and new server of a rolling restart),"
                    + " two concurrent runs each, over real WebSockets; then, on both sandboxes, one client's run"
                    + " holding every inotify instance its uid may have while another client's run starts, and a"
                    + " run trying to open `/dev/ptmx` 3,000 times. Before: both servers ran their first programs"
                    + " as uids 2000000000 and 2000000001; in Docker every run was uid 65534, so the second run got"
                    + " `inotify_init: EMFILE`, and 3,000 terminals could be opened.");

    @AfterAll
    static void writeSummary() {
        SUMMARY.write();
    }

    // ---------------------------------------------------------------------------------------------
    // Two servers on one host (process sandbox): the old and the new one of a rolling restart.

    @Test
    void twoServersOnOneHostNeverRunProgramsAsTheSameUid() throws Exception {
        Requirements.root();
        var servers = new ArrayList<ServerProcess>();
        var sockets = new ArrayList<RannaConnection>();
        try {
            for (int i = 0; i < 2; i++) {
                servers.add(ServerProcess.start("identity-server-" + i, List.of(), List.of(), List.of()));
            }
            // Each server's first runs: before, both handed out uidbase+0, +1, ... in the same order.
            var uids = new ArrayList<String>();
            for (ServerProcess server : servers) {
                for (int i = 0; i < 2; i++) {
                    RannaConnection ws = RannaClient.builder()
                            .baseUri("http://127.0.0.1:" + server.port())
                            .build()
                            .connect();
                    sockets.add(ws);
                    RannaRun run = ws.exec(ExecutionRequest.of("sh", "id -u; sleep 60"));
                    assertThat(run.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);
                    Event log = run.nextEvent(WAIT);
                    assertThat(log).isInstanceOf(Event.Log.class);
                    uids.add(((Event.Log) log).text().strip());
                }
            }
            SUMMARY.set("two servers, uids of their four concurrent runs", String.join(", ", uids));
            assertThat(uids).as("uids of four concurrent runs on two servers").doesNotHaveDuplicates();
            assertThat(uids)
                    .allSatisfy(
                            uid -> assertThat(Long.parseLong(uid)).isBetween(Host.RUN_UID_BASE, Host.RUN_UID_END - 1));
        } finally {
            for (RannaConnection ws : sockets) {
                ws.close();
            }
            servers.forEach(ServerProcess::close);
        }
        assertThat(Host.poll(WAIT, () -> Host.sandboxProcesses(null).isEmpty()))
                .as("sandbox processes left: %s", Host.sandboxProcesses(null))
                .isTrue();
    }

    // ---------------------------------------------------------------------------------------------
    // Per-user kernel quotas and terminals, through the engine, on both sandboxes.

    @Test
    void processSandboxARunHoldingEveryInotifyInstanceDoesNotStarveAnother() throws Exception {
        Requirements.root();
        try (RannaEngine engine =
                Engines.process(Engines.limits().timeout(Duration.ofSeconds(60)).build(), Engines.processConfig())) {
            quotaAttack(engine, "process sandbox");
        }
    }

    @Test
    void dockerSandboxARunHoldingEveryInotifyInstanceDoesNotStarveAnother() throws Exception {
        try (RannaEngine engine =
                Engines.docker(Engines.limits().timeout(Duration.ofSeconds(60)).build(), Engines.dockerConfig())) {
            quotaAttack(engine, "Docker sandbox");
        }
    }

    @Test
    void processSandboxNoRunCanOpenATerminal() {
        try (RannaEngine engine = Engines.process(Engines.limits().build(), Engines.processConfig())) {
            terminalAttack(engine, "process sandbox");
        }
    }

    @Test
    void dockerSandboxNoRunCanOpenATerminal() {
        try (RannaEngine engine = Engines.docker(Engines.limits().build(), Engines.dockerConfig())) {
            terminalAttack(engine, "Docker sandbox");
        }
    }

    /**
     * Mallory's run opens inotify instances until the kernel refuses one and holds them; Alice's run,
     * concurrent, must still get every instance of its own. With one uid for all (Docker, before) Alice got
     * none: {@code inotify_init: EMFILE}.
     */
    private static void quotaAttack(RannaEngine engine, String sandbox) throws Exception {
        int max = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/fs/inotify/max_user_instances"))
                .get(0)
                .strip());
        String probe = "base64 -d > /work/probe <<'EOF'\n" + resource("probes/inotify-probe.b64") + "EOF\n"
                + "chmod 700 /work/probe\nexec /work/probe\n";
        var malloryEvents = new Recorder();
        var aliceEvents = new Recorder();
        try (EngineSession mallory = engine.openSession(malloryEvents, "mallory");
                EngineSession alice = engine.openSession(aliceEvents, "alice")) {
            mallory.handle(new Operation.Exec(Nonce.of("hog"), ExecutionRequest.of("sh", probe)));
            malloryEvents.await(WAIT, "mallory's probe holding its instances", e -> e instanceof Event.Log);
            RunId hog = ((Event.Spawn) malloryEvents.await(WAIT, "SPAWN", e -> e instanceof Event.Spawn)).runId();

            alice.handle(new Operation.Exec(Nonce.of("victim"), ExecutionRequest.of("sh", probe)));
            aliceEvents.await(WAIT, "alice's probe", e -> e instanceof Event.Log);
            alice.handle(new Operation.Kill(
                    Nonce.NONE,
                    ((Event.Spawn) aliceEvents.await(WAIT, "SPAWN", e -> e instanceof Event.Spawn)).runId()));
            mallory.handle(new Operation.Kill(Nonce.NONE, hog));
            Recorder.Outcome hogOut = malloryEvents.outcome(Nonce.of("hog"), WAIT);
            Recorder.Outcome victimOut = aliceEvents.outcome(Nonce.of("victim"), WAIT);
            String all = "inotify " + max + " 24\n";
            SUMMARY.set(
                    sandbox + ": inotify instances, holder / other client's run (max_user_instances " + max + ")",
                    hogOut.stdout().strip() + " / " + victimOut.stdout().strip());
            assertThat(hogOut.stdout()).as("mallory: %s", hogOut.stderr()).isEqualTo(all);
            assertThat(victimOut.stdout())
                    .as("alice, while mallory holds all of hers: %s", victimOut.stderr())
                    .isEqualTo(all);
            assertThat(hogOut.stop().result().killed()).isTrue();
            assertThat(victimOut.stop().result().killed()).isTrue();
        }
    }

    private static void terminalAttack(RannaEngine engine, String sandbox) {
        var events = new Recorder();
        try (EngineSession session = engine.openSession(events, "mallory")) {
            session.handle(new Operation.Exec(
                    Nonce.of("pty"),
                    new ExecutionRequest(
                            "sh",
                            "n=0; while [ $n -lt 3000 ] && (exec 3<>/dev/ptmx) 2>/dev/null; do n=$((n+1)); done\n"
                                    + "echo \"ptmx opened $n times\"; ls -A /dev/pts 2>/dev/null | wc -l\n",
                            false,
                            List.of(),
                            Map.of())));
            Recorder.Outcome out = events.outcome(Nonce.of("pty"), WAIT);
            out.assertWellFormed();
            SUMMARY.set(
                    sandbox + ": terminals a run could open of 3,000 tried",
                    out.stdout().lines().findFirst().orElse(""));
            assertThat(out.stdout()).isEqualTo("ptmx opened 0 times\n0\n");
            assertThat(out.stop().result().exitCode()).isZero();
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in =
                Objects.requireNonNull(SharedIdentityTest.class.getClassLoader().getResourceAsStream(name), name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
