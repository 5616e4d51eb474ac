package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * dockerd restarted under the Docker sandbox while runs are in flight (long: it restarts the host's
 * Docker daemon). The runs must end with a clear ERROR/STOP, and the same engine must serve runs again
 * once dockerd is back, without being rebuilt.
 */
@Tag("long")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DockerdRestartTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String START_DOCKERD =
            "setsid nohup dockerd --iptables=false >/var/log/dockerd.log 2>&1 < /dev/null &";

    private final Summary summary = new Summary(
            "faults-long",
            "Faults, long (`DockerdRestartTest`)",
            "mvn -pl ranna-it verify -Plong",
            "dockerd stopped (SIGTERM) and started again the way it was started, while three runs stream on"
                    + " the Docker sandbox. The runs must end with a clear ERROR/STOP; the same engine, not"
                    + " rebuilt, must run code again once the daemon answers.");

    @AfterAll
    void write() {
        summary.write();
        ensureDockerd();
    }

    private static boolean dockerAnswers() {
        return Host.run("docker", "info", "--format", "{{.ServerVersion}}").exitCode() == 0;
    }

    /** Starts dockerd the way the environment starts it, if it is not running. */
    private static void ensureDockerd() {
        if (!dockerAnswers()) {
            Host.run("sh", "-c", START_DOCKERD);
            Host.poll(WAIT, DockerdRestartTest::dockerAnswers);
        }
    }

    @Test
    void runsInFlightEndClearlyAndTheEngineRecoversWhenDockerdComesBack() throws Exception {
        summary.declare("faults injected", "faults survived");
        Requirements.docker();
        Requirements.root();
        Path pidFile = Path.of("/var/run/docker.pid");
        Requirements.check(Files.isRegularFile(pidFile), "no /var/run/docker.pid: dockerd is not ours to restart");
        summary.count("faults injected");
        SandboxConfig config = SandboxConfig.of(Engines.dockerConfig());
        try (RannaEngine engine =
                Engines.docker(Engines.limits().timeout(Duration.ofSeconds(60)).build(), config)) {
            var events = new Recorder();
            EngineSession session = engine.openSession(events, "dockerd-restart");
            for (int i = 0; i < 3; i++) {
                session.handle(new Operation.Exec(
                        Nonce.of(i), ExecutionRequest.of("sh", "while :; do echo tick; sleep 0.1; done")));
            }
            for (int i = 0; i < 3; i++) {
                Nonce nonce = Nonce.of(i);
                events.await(WAIT, "output of run " + i, e -> e.nonce().equals(nonce) && e instanceof Event.Log);
            }
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            try {
                assertThat(Host.run("kill", "-TERM", Long.toString(pid)).exitCode())
                        .isZero();
                assertThat(Host.poll(
                                WAIT,
                                () -> ProcessHandle.of(pid)
                                        .map(p -> !p.isAlive())
                                        .orElse(true)))
                        .as("dockerd stopped")
                        .isTrue();
                for (int i = 0; i < 3; i++) {
                    Recorder.Outcome out = events.outcome(Nonce.of(i), WAIT);
                    out.assertWellFormed();
                    summary.note("run " + i + " in flight: "
                            + (out.errors().isEmpty()
                                    ? ""
                                    : "ERROR " + out.errors().get(0).code() + " "
                                            + out.errors().get(0).message() + ", ")
                            + ExploitSuite.describe(out.stop()));
                }
            } finally {
                ensureDockerd();
            }
            assertThat(dockerAnswers()).as("dockerd is back").isTrue();
            // The same engine serves again; runs tried before the sandbox noticed may fail, each clearly.
            int attempts = 0;
            boolean ok = false;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!ok && System.nanoTime() < deadline) {
                Nonce nonce = Nonce.of("after-" + attempts++);
                session.handle(new Operation.Exec(nonce, ExecutionRequest.of("sh", "echo back")));
                Recorder.Outcome out = events.outcome(nonce, WAIT);
                ok = out.stdout().equals("back\n")
                        && out.stop() != null
                        && Integer.valueOf(0).equals(out.stop().result().exitCode());
                if (!ok) {
                    summary.note("run after the restart, attempt " + attempts + ": " + out);
                }
            }
            summary.set("runs needed after dockerd came back until one succeeded", attempts);
            assertThat(ok)
                    .as("a run succeeds on the same engine after the restart")
                    .isTrue();
            session.close();
        }
        assertThat(Host.poll(
                        WAIT,
                        () -> Host.containers("dev.ranna.instance=" + config.instanceId())
                                .isEmpty()))
                .as("containers left: %s", Host.containers("dev.ranna.instance=" + config.instanceId()))
                .isTrue();
        summary.count("faults survived");
    }
}
