package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.client.RannaClient;
import dev.ranna.client.RannaConnection;
import dev.ranna.client.RannaRun;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Connection floods past the process's descriptor limit, against the standalone server jar started
 * with a small open-file limit ({@code prlimit --nofile=400}), so a few hundred sockets reach it:
 *
 * <ul>
 *   <li>with the default {@code api.maxconnections} (auto: below the limit, leaving room for runs) the
 *       flood is refused at the cap and a run on an existing connection still gets its descriptors;
 *   <li>with the cap lifted, accepting fails with EMFILE: the server backs off and logs one line per
 *       interval, no stack traces, and serves again as soon as the flood is gone.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DescriptorExhaustionTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int NOFILE = 400;
    private static final int FLOOD = 500;

    private final Summary summary = new Summary(
            "descriptor-exhaustion",
            "Descriptor exhaustion (`DescriptorExhaustionTest`)",
            "mvn -pl ranna-it -am verify -Dtest=DescriptorExhaustionTest",
            "The standalone server jar (process sandbox) started under `prlimit --nofile=" + NOFILE + "`, flooded"
                    + " with " + FLOOD + " idle connections from 127.0.0.5 (api.maxconnectionsperclient=0, so only"
                    + " the server-wide cap or the descriptor limit stops them). With api.maxconnections at its"
                    + " default (auto) a WebSocket opened before the flood must still run a program during it; with"
                    + " the cap lifted (accepts fail with EMFILE) the server must log at most one line per 10 s,"
                    + " no stack trace, and answer /healthz again within 2 s of the flood ending.");

    @AfterAll
    void write() {
        summary.write();
    }

    @Test
    void withTheDefaultCapAFloodLeavesDescriptorsForRuns() throws Exception {
        try (ServerProcess server = start("auto", "cap-auto")) {
            // An ordinary client, connected before the flood.
            RannaConnection ws = RannaClient.builder()
                    .baseUri("http://127.0.0.1:" + server.port())
                    .build()
                    .connect();
            var flood = new ArrayList<Socket>();
            try {
                open(server.port(), flood);
                int refused = refused(flood);
                summary.set("default cap: connections refused of " + FLOOD, refused);
                assertThat(refused).as("refused at the cap").isPositive();

                long started = System.nanoTime();
                RannaRun run = ws.exec(ExecutionRequest.of("sh", "echo fine"));
                String output = "";
                Event event;
                do {
                    event = run.nextEvent(WAIT);
                    assertThat(event).as("events of the run during the flood").isNotNull();
                    assertThat(event).isNotInstanceOf(Event.Error.class);
                    if (event instanceof Event.Log) {
                        output += ((Event.Log) event).text();
                    }
                } while (!(event instanceof Event.Stop));
                summary.set("default cap: a run during the flood took (ms)", (System.nanoTime() - started) / 1_000_000);
                assertThat(output).isEqualTo("fine\n");
                assertThat(((Event.Stop) event).result().exitCode()).isEqualTo(0);
            } finally {
                closeAll(flood);
                ws.close();
            }
            assertThat(Host.poll(WAIT, () -> healthz(server.port()) == 200)).isTrue();
            assertThat(server.log()).doesNotContain("\tat ").doesNotContain("Too many open files");
        }
    }

    @Test
    void pastTheDescriptorLimitAcceptsBackOffAndLogOncePerInterval() throws Exception {
        try (ServerProcess server = start("100000", "cap-lifted")) {
            var flood = new ArrayList<Socket>();
            long cpuBefore = server.cpuMillis();
            long started = System.nanoTime();
            try {
                open(server.port(), flood);
                // Hold the flood for a few seconds of failing accepts.
                Host.poll(Duration.ofSeconds(4), () -> false);
                assertThat(server.log()).contains("cannot accept connections");
            } finally {
                closeAll(flood);
            }
            long wall = (System.nanoTime() - started) / 1_000_000;
            long cpu = server.cpuMillis() - cpuBefore;
            long closed = System.nanoTime();
            assertThat(Host.poll(Duration.ofSeconds(2), () -> healthz(server.port()) == 200))
                    .as("served again after the flood")
                    .isTrue();
            long back = (System.nanoTime() - closed) / 1_000_000;
            String log = server.log();
            long lines = log.lines()
                    .filter(l -> l.contains("cannot accept connections"))
                    .count();
            summary.set("cap lifted (EMFILE): server CPU during the flood (ms of " + wall + " ms)", cpu);
            summary.set("cap lifted (EMFILE): log lines about failed accepts", lines);
            summary.set("cap lifted (EMFILE): /healthz answered again after (ms)", back);
            assertThat(lines).as("one line per 10 s").isLessThanOrEqualTo(1 + wall / 10_000);
            assertThat(log).as("no stack traces").doesNotContain("\tat ");
            assertThat(cpu).as("no busy accept loop").isLessThan(wall / 2);
        }
    }

    /** Opens {@link #FLOOD} idle connections (those the server cannot accept yet wait in its backlog). */
    private static void open(int port, List<Socket> into) throws IOException {
        for (int i = 0; i < FLOOD; i++) {
            Socket socket = new Socket();
            socket.bind(new InetSocketAddress("127.0.0.5", 0));
            // The backlog takes connections the server cannot accept yet; a full backlog times out.
            try {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                into.add(socket);
            } catch (IOException e) {
                socket.close();
            }
        }
    }

    /** How many of {@code sockets} the server answered at once and closed (refused at the cap). */
    private static int refused(List<Socket> sockets) throws IOException {
        int refused = 0;
        for (Socket socket : sockets) {
            socket.setSoTimeout(50);
            try {
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[512];
                if (in.read(buffer) != 0) {
                    refused++; // a 503 or an end of stream: refused at the cap
                }
            } catch (java.net.SocketTimeoutException e) {
                // Held open: accepted and idle.
            } catch (IOException e) {
                refused++;
            }
        }
        return refused;
    }

    private static void closeAll(List<Socket> sockets) {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // gone already
            }
        }
    }

    private static ServerProcess start(String maxConnections, String name) throws IOException {
        return ServerProcess.start(
                "descriptors-" + name,
                List.of("prlimit", "--nofile=" + NOFILE + ":" + NOFILE),
                List.of(),
                List.of(
                        "api.maxconnections=" + maxConnections,
                        "api.maxconnectionsperclient=0",
                        "api.ws.maxconnectionsperclient=0"));
    }

    /** {@code GET /healthz} on a new connection: the status, or -1 if none came within 3 s. */
    static int healthz(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 3000);
            socket.setSoTimeout(3000);
            socket.getOutputStream()
                    .write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] head = socket.getInputStream().readNBytes(12);
            String text = new String(head, StandardCharsets.US_ASCII);
            return text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
