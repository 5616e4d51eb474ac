package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.RannaEngine;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.Event;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * One client address tries to take all the run capacity: many connections, each with its per-connection
 * maximum of long EXECs. Its share is capped across its connections, and another address is served at
 * once during the attack; afterwards every slot is free again. Real server, real bubblewrap sandbox.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CapacityAttackTest {
    private static final int SLOTS = 8;
    private static final int PER_CLIENT = 4;
    private static final int CONNECTIONS = 16;
    private static final int EXECS_PER_CONNECTION = 4;

    private final Summary summary = new Summary(
            "capacity-attack",
            "One client holding all run capacity (`CapacityAttackTest`)",
            "mvn -pl ranna-it verify",
            "A real `RannaServer` with the process sandbox (" + SLOTS + " slots, a queue of 64, "
                    + PER_CLIENT + " runs per client). One address opens " + CONNECTIONS + " WebSocket"
                    + " connections and sends " + EXECS_PER_CONNECTION + " EXECs of `sleep 30` on each; a"
                    + " second address (127.0.0.2) then runs `echo` and must get its STOP while the attack"
                    + " holds. Before this cap, the attacker held all 8 slots and all 64 queue places and"
                    + " every other client got ERROR 503.");

    private RannaEngine engine;
    private RannaServer server;

    @BeforeAll
    void start() {
        engine = Engines.process(
                Engines.limits()
                        .timeout(Duration.ofSeconds(60))
                        .maxConcurrentRuns(SLOTS)
                        .maxQueuedRuns(64)
                        .maxRunsPerSession(EXECS_PER_CONNECTION)
                        .maxRunsPerClient(PER_CLIENT)
                        .build(),
                Engines.processConfig());
        server = Engines.server(engine, ServerOptions.DEFAULTS);
    }

    @AfterAll
    void stop() {
        summary.write();
        if (server != null) {
            server.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void oneAddressGetsItsShareAndAnotherIsServedDuringTheAttack() throws IOException {
        long descriptorsBefore = openDescriptors();
        var attacker = InetAddress.getByName("127.0.0.1");
        var connections = new ArrayList<RawWebSocket>();
        int spawned = 0;
        int refused = 0;
        try {
            for (int c = 0; c < CONNECTIONS; c++) {
                RawWebSocket ws = RawWebSocket.connect(server.port(), attacker);
                connections.add(ws);
                for (int i = 0; i < EXECS_PER_CONNECTION; i++) {
                    ws.sendText("{\"op\":1,\"nonce\":" + i + ",\"args\":{\"language\":\"sh\",\"code\":\"sleep 30\"}}");
                }
            }
            for (RawWebSocket ws : connections) {
                for (int i = 0; i < EXECS_PER_CONNECTION; i++) {
                    Event event = ws.nextEvent(Duration.ofSeconds(20));
                    if (event instanceof Event.Spawn) {
                        spawned++;
                    } else if (event instanceof Event.Error error) {
                        assertThat(error.code()).isEqualTo(503);
                        assertThat(error.message()).contains("too many runs from this client");
                        refused++;
                    }
                }
            }
            summary.set("attacker EXECs sent", CONNECTIONS * EXECS_PER_CONNECTION);
            summary.set("attacker runs started", spawned);
            summary.set("attacker EXECs refused with 503", refused);
            assertThat(spawned).isEqualTo(PER_CLIENT);
            assertThat(refused).isEqualTo(CONNECTIONS * EXECS_PER_CONNECTION - PER_CLIENT);

            long before = System.nanoTime();
            try (RawWebSocket victim = RawWebSocket.connect(server.port(), InetAddress.getByName("127.0.0.2"))) {
                victim.sendText("{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"sh\",\"code\":\"echo served\"}}");
                List<Event> events = new ArrayList<>();
                Event event;
                do {
                    event = victim.nextEvent(Duration.ofSeconds(15));
                    events.add(event);
                } while (!(event instanceof Event.Stop) && !(event instanceof Event.Error));
                assertThat(events.get(0)).isInstanceOf(Event.Spawn.class);
                assertThat(events)
                        .anySatisfy(e -> assertThat(e)
                                .isInstanceOfSatisfying(
                                        Event.Log.class,
                                        log -> assertThat(log.text()).isEqualTo("served\n")));
                assertThat(((Event.Stop) event).result().exitCode()).isZero();
            }
            summary.set(
                    "other client's run, EXEC to STOP during the attack",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before) + " ms");
        } finally {
            connections.forEach(RawWebSocket::abort);
        }

        // The attacker left: its runs are killed and every slot is free again, long before their timeout.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (engine.activeRuns() > 0) {
            assertThat(System.nanoTime()).as("the attacker's runs end").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        // And what they held is given back: sockets, pipes, run directories.
        while (openDescriptors() > descriptorsBefore + 16) {
            assertThat(System.nanoTime())
                    .as("descriptors back to the baseline of %d (now %d)", descriptorsBefore, openDescriptors())
                    .isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        summary.set("server descriptors before / after the attack", descriptorsBefore + " / " + openDescriptors());
    }

    private static long openDescriptors() throws IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
