package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.client.RannaClient;
import dev.ranna.client.RannaConnection;
import dev.ranna.engine.RannaEngine;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import io.netty.util.internal.PlatformDependent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Attacks on the network layer from issue 11, over real sockets against a real {@link RannaServer} (port
 * 0, process sandbox with bubblewrap): clients that send and never read (pipelined HTTP, WebSocket
 * replies with 60 KB nonces), connection floods past the per-address and server-wide caps, REST runs
 * abandoned by their client, a REST body cut short, and a REST timeout (never HTTP 408). Each attack
 * checks that another client is served during it, and that direct memory and connections return to
 * their baseline after it.
 *
 * <p>Direct memory is this JVM's (server and test clients share it): the JDK's "direct" buffer pool
 * plus Netty's own counter when Netty allocates without cleaners. The test clients read and write
 * through plain sockets, whose temporary direct buffers are a few KiB.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetworkAttackTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration SERVED_WITHIN = Duration.ofSeconds(3);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(4);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(5);
    private static final int PER_ADDRESS = 50;
    private static final int SERVER_WIDE = 150;
    private static final long MIB = 1024 * 1024;
    /**
     * What an attack may add to the JVM's direct memory (server and this test's own sockets); unbounded,
     * the same attacks grew it by hundreds of MiB. The allocator grows in 4 MiB chunks per event-loop arena,
     * so the bound is a few chunks, whatever the attack's size (the attacks offer 256 MiB): up to 13 MiB
     * of growth was seen under a loaded full build.
     */
    private static final long DIRECT_BOUND = 32 * MIB;
    /** What may stay after an attack: the pooled allocator keeps its chunks for reuse (9 MiB seen). */
    private static final long DIRECT_SLACK = 24 * MIB;

    private final Summary summary = new Summary(
            "network-attacks",
            "Network attacks (`NetworkAttackTest`)",
            "mvn -pl ranna-it verify -Dtest=NetworkAttackTest",
            "A real `RannaServer` on port 0 (process sandbox, bubblewrap) with api.writetimeoutseconds="
                    + WRITE_TIMEOUT.toSeconds() + ", api.idletimeoutseconds=" + IDLE_TIMEOUT.toSeconds()
                    + ", api.maxconnectionsperclient=" + PER_ADDRESS + ", api.maxconnections=" + SERVER_WIDE
                    + ", attacked over plain sockets: pipelined `GET /v1/spec` never read; WebSocket KILLs with"
                    + " 60 KB string nonces never read; idle keep-alive floods past the per-address and the"
                    + " server-wide connection caps (attackers on 127.0.0.5 and 127.0.0.10-13, the other"
                    + " client on 127.0.0.2 and a WebSocket on 127.0.0.1); REST runs abandoned by their"
                    + " client; REST bodies cut short; a REST run that times out. During each attack another"
                    + " client must be answered within " + SERVED_WITHIN.toSeconds() + " s; after it, direct"
                    + " memory and open connections must return to their baseline.");

    private RannaEngine engine;
    private RannaServer server;
    /** An ordinary client, connected throughout: it must be served during every attack. */
    private RannaConnection watcher;

    @BeforeAll
    void start() throws IOException {
        engine =
                Engines.process(Engines.limits().timeout(Duration.ofSeconds(60)).build(), Engines.processConfig());
        server = Engines.server(
                engine,
                ServerOptions.builder()
                        .writeTimeout(WRITE_TIMEOUT)
                        .idleTimeout(IDLE_TIMEOUT)
                        .maxConnectionsPerAddress(PER_ADDRESS)
                        .maxConnections(SERVER_WIDE)
                        .build());
        watcher = RannaClient.builder()
                .baseUri("http://127.0.0.1:" + server.port())
                .build()
                .connect();
        assertThat(ping()).as("the watching WebSocket is served").isLessThan(SERVED_WITHIN.toMillis());
        // Warm up the allocator and the codec, so the baselines below are the server at rest.
        for (int i = 0; i < 5; i++) {
            assertThat(get("127.0.0.2", "/v1/spec").status).isEqualTo(200);
        }
    }

    @AfterAll
    void stop() {
        summary.write();
        if (watcher != null) {
            watcher.close();
        }
        if (server != null) {
            server.close();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void pipelinedHttpNeverReadStaysBoundedAndOthersAreServed() throws Exception {
        long baseline = settledDirect();
        int connections = server.connections();
        byte[] chunk = "GET /v1/spec HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2000).getBytes(StandardCharsets.US_ASCII);

        Socket attacker = new Socket();
        attacker.setReceiveBufferSize(4096);
        attacker.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        Attack attack = new Attack("pipelined GET /v1/spec", attacker, 64 * MIB, () -> chunk);

        Observed observed = observeDuring(attack, Duration.ofSeconds(3));
        assertThat(Host.poll(WAIT.plus(WRITE_TIMEOUT), () -> server.connections() == connections))
                .as(
                        "the attacker's connection is closed once its answers wait past the write timeout;"
                                + " open: %d, baseline %d",
                        server.connections(), connections)
                .isTrue();
        attack.end();
        long after = directAfter(baseline);

        record("pipelined HTTP", baseline, observed, after, attack.sent.get());
        assertThat(observed.peakDirect - baseline).as("direct memory growth").isLessThan(DIRECT_BOUND);
        assertThat(observed.slowest).as("other client's slowest answer (ms)").isLessThan(SERVED_WITHIN.toMillis());
        assertThat(after - baseline).as("direct memory after").isLessThan(DIRECT_SLACK);
    }

    @Test
    @Order(2)
    void webSocketRepliesNeverReadStayBoundedAndOthersAreServed() throws Exception {
        long baseline = settledDirect();
        int connections = server.connections();
        String nonce = "n".repeat(60_000);
        String kill = "{\"op\":2,\"nonce\":\"" + nonce + "\",\"args\":{\"runid\":\"0\"}}";

        RawWebSocket attackerSocket = RawWebSocket.connect(server.port());
        Attack attack = new Attack("KILLs with 60 KB nonces", attackerSocket, 256 * MIB, kill);

        Observed observed = observeDuring(attack, Duration.ofSeconds(3));
        assertThat(Host.poll(WAIT.plus(WRITE_TIMEOUT), () -> server.connections() == connections))
                .as("the attacker's WebSocket is closed once its replies wait past the write timeout")
                .isTrue();
        attack.end();
        long after = directAfter(baseline);

        record("WebSocket KILL nonces", baseline, observed, after, attack.sent.get());
        assertThat(observed.peakDirect - baseline).as("direct memory growth").isLessThan(DIRECT_BOUND);
        assertThat(observed.slowest).as("other client's slowest answer (ms)").isLessThan(SERVED_WITHIN.toMillis());
        assertThat(after - baseline).as("direct memory after").isLessThan(DIRECT_SLACK);
        assertThat(ping()).as("the watcher still served").isLessThan(SERVED_WITHIN.toMillis());
    }

    @Test
    @Order(3)
    void anIdleFloodFromOneAddressGetsItsCapAndOtherAddressesAreServed() throws Exception {
        int connections = server.connections();
        int fds = Host.openFileDescriptors();
        var flood = new ArrayList<Socket>();
        try {
            int served = flood("127.0.0.5", 300, flood);
            int held = server.connections() - connections;
            summary.set("idle flood, one address: sockets opened", 300);
            summary.set("idle flood, one address: served and held (cap " + PER_ADDRESS + ")", served);
            assertThat(served).as("answered 200 and held").isEqualTo(PER_ADDRESS);
            assertThat(held).as("held by the server").isLessThanOrEqualTo(PER_ADDRESS);

            long slowest = Math.max(time(() -> get("127.0.0.2", "/healthz")), ping());
            summary.set("idle flood, one address: other client's answer (ms)", slowest);
            assertThat(slowest).isLessThan(SERVED_WITHIN.toMillis());
        } finally {
            closeAll(flood);
        }
        assertThat(Host.poll(WAIT, () -> server.connections() == connections))
                .as("connections back to baseline: %d vs %d", server.connections(), connections)
                .isTrue();
        assertThat(Host.poll(WAIT, () -> Host.openFileDescriptors() <= fds + 4))
                .as("descriptors back to baseline: %d vs %d", Host.openFileDescriptors(), fds)
                .isTrue();
    }

    @Test
    @Order(4)
    void aFloodPastTheServerWideCapIsRefusedAtOnceAndIdleConnectionsAreReleased() throws Exception {
        int connections = server.connections();
        var flood = new ArrayList<Socket>();
        long started = System.nanoTime();
        int served = 0;
        for (int address = 10; address < 14; address++) {
            served += flood("127.0.0." + address, PER_ADDRESS, flood);
        }
        long floodMillis = (System.nanoTime() - started) / 1_000_000;
        int held = server.connections();
        summary.set("idle flood, 4 addresses: sockets opened", 4 * PER_ADDRESS);
        summary.set("idle flood, 4 addresses: served and held (cap " + SERVER_WIDE + " server-wide)", held);
        summary.set("idle flood, 4 addresses: time to open and be answered or refused (ms)", floodMillis);
        assertThat(held).as("open connections").isLessThanOrEqualTo(SERVER_WIDE);
        assertThat(served).isEqualTo(SERVER_WIDE - connections);
        Response refused = get("127.0.0.2", "/healthz");
        assertThat(refused.status)
                .as("a new connection over the cap: 503 or closed")
                .isIn(503, -1);
        long watcherMillis = ping();
        summary.set("idle flood, 4 addresses: an open WebSocket's PING answered in (ms)", watcherMillis);
        assertThat(watcherMillis).isLessThan(SERVED_WITHIN.toMillis());

        // Nobody closes the flood: the short idle keep-alive does.
        try {
            long releasing = System.nanoTime();
            assertThat(Host.poll(IDLE_TIMEOUT.plus(WAIT), () -> server.connections() == connections))
                    .as("idle connections released: %d open vs %d", server.connections(), connections)
                    .isTrue();
            summary.set(
                    "idle flood, 4 addresses: released by the idle timeout after (ms)",
                    (System.nanoTime() - releasing) / 1_000_000);
            assertThat(get("127.0.0.2", "/healthz").status).isEqualTo(200);
        } finally {
            closeAll(flood);
        }
    }

    @Test
    @Order(5)
    void restBodiesCutShortLogNoWarning() throws Exception {
        PrintStream original = System.err;
        var captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 20; i++) {
                try (Socket socket = connect("127.0.0.2")) {
                    socket.getOutputStream()
                            .write(("POST /v1/exec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                            + "Content-Length: 5000\r\n\r\n{\"language\":\"sh\",\"code\":\"ec")
                                    .getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                }
            }
            int connections = server.connections();
            assertThat(Host.poll(WAIT, () -> server.connections() <= connections))
                    .isTrue();
            assertThat(get("127.0.0.2", "/healthz").status).isEqualTo(200);
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        summary.set("REST bodies cut short: log lines at WARN or above", countWarnings(log));
        assertThat(log)
                .as("log while 20 bodies were cut short")
                .doesNotContain("WARN")
                .doesNotContain("Exception");
    }

    @Test
    @Order(6)
    void aRestRunThatTimesOutIsAnswered400NeverThe408BrowsersResend() throws Exception {
        try (RannaEngine shortEngine = Engines.process(
                        Engines.limits().timeout(Duration.ofSeconds(1)).build(), Engines.processConfig());
                RannaServer shortServer = Engines.server(shortEngine, ServerOptions.DEFAULTS)) {
            Response response = exec(shortServer.port(), "sleep 10", Duration.ofSeconds(15));
            summary.set("REST timeout: HTTP status", response.status);
            assertThat(response.status).isEqualTo(400);
            assertThat(response.body)
                    .contains("\"error\":\"code execution timed out\"")
                    .contains("\"code\":400")
                    .contains("\"timedout\":true");
        }
    }

    @Test
    @Order(7)
    void restRunsAbandonedByTheirClientAreKilledLongBeforeTheirTimeout() throws Exception {
        var clients = new ArrayList<Socket>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket socket = connect("127.0.0.3");
                clients.add(socket);
                socket.getOutputStream()
                        .write(request("POST", "/v1/exec", "{\"language\":\"sh\",\"code\":\"sleep 50\"}"));
                socket.getOutputStream().flush();
            }
            assertThat(Host.poll(WAIT, () -> engine.activeRuns() == 3))
                    .as("three runs started: %d", engine.activeRuns())
                    .isTrue();
            assertThat(Host.poll(WAIT, () -> !Host.sandboxProcesses(null).isEmpty()))
                    .as("their processes run")
                    .isTrue();
        } finally {
            closeAll(clients);
        }
        long closed = System.nanoTime();
        boolean killed = Host.poll(WAIT, () -> engine.activeRuns() == 0);
        long millis = (System.nanoTime() - closed) / 1_000_000;
        summary.set(
                "abandoned REST runs (3 x sleep 50, timeout 60 s): all ended after the clients left (ms)",
                killed ? millis : "not within " + WAIT.toSeconds() + " s");
        assertThat(killed).as("runs still active: %d", engine.activeRuns()).isTrue();
        assertThat(Host.poll(WAIT, () -> Host.sandboxProcesses(null).isEmpty()))
                .as("sandbox processes left: %s", Host.sandboxProcesses(null))
                .isTrue();
    }

    // ---------------------------------------------------------------------------------------------

    /** Samples direct memory every 50 ms and the other clients every 250 ms while the attack runs. */
    private Observed observeDuring(Attack attack, Duration atLeast) throws Exception {
        attack.start();
        var observed = new Observed();
        long end = System.nanoTime() + atLeast.toNanos();
        long nextProbe = 0;
        // Until the attacker has sent all it could and the server has stopped reading it.
        while (System.nanoTime() - end < 0 || (attack.isAlive() && System.nanoTime() - end < WAIT.toNanos())) {
            observed.peakDirect = Math.max(observed.peakDirect, direct());
            if (System.nanoTime() - nextProbe >= 0) {
                observed.slowest = Math.max(observed.slowest, time(() -> get("127.0.0.2", "/healthz")));
                observed.slowest = Math.max(observed.slowest, ping());
                observed.probes += 2;
                nextProbe = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(250);
            }
            attack.join(50);
        }
        observed.connectionsHeld = server.connections();
        return observed;
    }

    private void record(String attack, long baseline, Observed observed, long after, long sent) {
        summary.set(attack + ": bytes sent by the attacker before the server stopped reading", mib(sent));
        summary.set(
                attack + ": direct memory before / peak / after",
                mib(baseline) + " / " + mib(observed.peakDirect) + " / " + mib(after));
        summary.set(
                attack + ": other clients' slowest answer during it (ms, " + observed.probes + " probes)",
                observed.slowest);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (double) MIB);
    }

    /**
     * Direct memory in use: the JDK's direct buffer pool, plus Netty's own counter when Netty allocates
     * without cleaners (then its buffers are not in the JDK's pool; with cleaners they are, and Netty's
     * counter would count them twice).
     */
    static long direct() {
        long nio = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                nio += pool.getMemoryUsed();
            }
        }
        return PlatformDependent.useDirectBufferNoCleaner()
                ? nio + Math.max(0, PlatformDependent.usedDirectMemory())
                : nio;
    }

    /** Direct memory once it has come back within {@link #DIRECT_SLACK} of {@code baseline}, or after {@link #WAIT}. */
    private static long directAfter(long baseline) {
        long[] last = {settledDirect()};
        Host.poll(WAIT, () -> {
            last[0] = settledDirect();
            return last[0] - baseline < DIRECT_SLACK;
        });
        return last[0];
    }

    /** Direct memory once unreferenced buffers are collected (cleaner-based ones free on GC). */
    private static long settledDirect() {
        Host.heapAfterGc();
        return direct();
    }

    /** A PING on the watching WebSocket; milliseconds to its PONG, or a failure. */
    /** The watcher's PING round trip in milliseconds; fails if no PONG comes within the wait. */
    private long ping() throws IOException {
        try {
            return watcher.ping()
                    .toCompletableFuture()
                    .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    .toMillis();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for the PONG", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("the watcher's PING was not answered: " + e, e);
        }
    }

    private interface Call {
        Response call() throws IOException;
    }

    private static long time(Call call) throws IOException {
        long started = System.nanoTime();
        Response response = call.call();
        assertThat(response.status).as("answer to the other client").isEqualTo(200);
        return (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * Opens {@code count} keep-alive connections from {@code address}, each sending one {@code GET
     * /healthz}; returns how many were answered 200 (the others got 503 or were closed). Answered
     * connections stay open in {@code into}.
     */
    private int flood(String address, int count, List<Socket> into) throws IOException {
        var sockets = new ArrayList<Socket>();
        for (int i = 0; i < count; i++) {
            Socket socket = connect(address);
            sockets.add(socket);
            into.add(socket);
            try {
                socket.getOutputStream().write(request("GET", "/healthz", null));
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // Refused and closed before the request went out.
            }
        }
        int ok = 0;
        for (Socket socket : sockets) {
            if (read(socket).status == 200) {
                ok++;
            }
        }
        return ok;
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

    private Socket connect(String from) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        socket.setSoTimeout((int) WAIT.toMillis());
        return socket;
    }

    private Response get(String from, String path) throws IOException {
        try (Socket socket = connect(from)) {
            socket.getOutputStream().write(request("GET", path, null));
            return read(socket);
        } catch (IOException e) {
            return new Response(-1, e.toString());
        }
    }

    private static Response exec(int port, String code, Duration timeout) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream()
                    .write(request("POST", "/v1/exec", "{\"language\":\"sh\",\"code\":\"" + code + "\"}"));
            return read(socket);
        }
    }

    static byte[] request(String method, String path, @Nullable String body) {
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + content.length + "\r\n\r\n";
        var out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(content);
        return out.toByteArray();
    }

    record Response(int status, String body) {}

    /** One HTTP response (status -1 if the connection ended or timed out first). */
    static Response read(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            var head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return new Response(-1, "closed: " + head);
                }
                head.write(b);
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String text = head.toString(StandardCharsets.US_ASCII);
            int status = Integer.parseInt(text.substring(9, 12));
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new Response(status, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        } catch (SocketTimeoutException e) {
            return new Response(-1, "timed out");
        } catch (IOException | RuntimeException e) {
            return new Response(-1, e.toString());
        }
    }

    private static long countWarnings(String log) {
        return log.lines()
                .filter(l -> l.contains("WARN") || l.contains("ERROR"))
                .count();
    }

    /** Figures of one attack. */
    private static final class Observed {
        long peakDirect;
        long slowest;
        int probes;
        int connectionsHeld;
    }

    /** A thread that sends as fast as the server reads, until told to stop or the connection dies. */
    private static final class Attack extends Thread {
        final AtomicLong sent = new AtomicLong();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AutoCloseable connection;
        private final Sender sender;
        private final long limit;

        interface Sender {
            int sendOnce() throws IOException;
        }

        Attack(String name, Socket socket, long limit, java.util.function.Supplier<byte[]> chunk) throws IOException {
            super("attack: " + name);
            this.connection = socket;
            this.limit = limit;
            var out = socket.getOutputStream();
            this.sender = () -> {
                byte[] bytes = chunk.get();
                out.write(bytes);
                return bytes.length;
            };
            setDaemon(true);
        }

        Attack(String name, RawWebSocket socket, long limit, String message) {
            super("attack: " + name);
            this.connection = socket;
            this.limit = limit;
            this.sender = () -> {
                socket.sendText(message);
                return message.length();
            };
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (!stopped.get() && sent.get() < limit) {
                    sent.addAndGet(sender.sendOnce());
                }
            } catch (IOException e) {
                // The server closed the connection: the attack is over.
            }
        }

        void end() throws Exception {
            stopped.set(true);
            connection.close();
            join(WAIT.toMillis());
        }
    }

    /** Copies what is written to two streams. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream first;
        private final java.io.OutputStream second;

        TeeStream(java.io.OutputStream first, java.io.OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            first.write(b, off, len);
            second.write(b, off, len);
        }
    }
}
