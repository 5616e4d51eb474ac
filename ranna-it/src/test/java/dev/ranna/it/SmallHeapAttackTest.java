package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11's first finding, as it was found: the standalone server with {@code -Xmx256m} (so at most
 * 256 MiB of direct memory too) attacked by clients that send and never read: pipelined {@code GET
 * /v1/spec} (the process sandbox's map of 19 languages, ~100 times the request's size) and WebSocket
 * KILLs with 60 KB string nonces, both at once. Before, 6 MiB of pipelined requests in 5 s left the server
 * dead for good ("Cannot reserve ... direct buffer memory"). Now it must answer {@code /healthz} within
 * 3 s throughout, close the attackers after {@code api.writetimeoutseconds}, run a program afterwards, and
 * its direct memory (its own {@code /metrics}) must stay small.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SmallHeapAttackTest {
    private static final Duration SERVED_WITHIN = Duration.ofSeconds(3);
    private static final Duration ATTACK = Duration.ofSeconds(8);
    private static final long MIB = 1024 * 1024;

    private final Summary summary = new Summary(
            "small-heap-attack",
            "Unread answers against a small heap (`SmallHeapAttackTest`)",
            "mvn -pl ranna-it -am verify -Dtest=SmallHeapAttackTest",
            "The standalone server jar (process sandbox) with `-Xmx256m` and api.writetimeoutseconds=5,"
                    + " attacked for " + ATTACK.toSeconds() + " s by two clients that never read: pipelined"
                    + " `GET /v1/spec` and WebSocket KILLs with 60 KB string nonces. `/healthz` must be answered"
                    + " within " + SERVED_WITHIN.toSeconds() + " s throughout, and a REST run must work after it."
                    + " Direct memory is the server's own `jvm_buffer_memory_used_bytes{id=\"direct\"}`.");

    @AfterAll
    void write() {
        summary.write();
    }

    @Test
    void aServerWithA256MiBHeapSurvivesClientsThatNeverRead() throws Exception {
        try (ServerProcess server = ServerProcess.start(
                "small-heap", List.of(), List.of("-Xmx256m"), List.of("api.writetimeoutseconds=5"))) {
            int port = server.port();
            long[] start = memoryOf(port);
            long before = start[0];
            long peakHeap = start[1];
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sentHttp = new AtomicLong();
            AtomicLong sentWs = new AtomicLong();

            Socket http = new Socket();
            http.setReceiveBufferSize(4096);
            http.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            byte[] chunk =
                    "GET /v1/spec HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2000).getBytes(StandardCharsets.US_ASCII);
            Thread httpAttack = attacker("pipelined GET", stop, sentHttp, () -> {
                http.getOutputStream().write(chunk);
                return chunk.length;
            });
            RawWebSocket ws = RawWebSocket.connect(port);
            String kill = "{\"op\":2,\"nonce\":\"" + "n".repeat(60_000) + "\",\"args\":{\"runid\":\"0\"}}";
            Thread wsAttack = attacker("KILL nonces", stop, sentWs, () -> {
                ws.sendText(kill);
                return kill.length();
            });

            long peak = before;
            long slowest = 0;
            int probes = 0;
            long end = System.nanoTime() + ATTACK.toNanos();
            try {
                while (System.nanoTime() - end < 0) {
                    long started = System.nanoTime();
                    int status = DescriptorExhaustionTest.healthz(port);
                    long millis = (System.nanoTime() - started) / 1_000_000;
                    probes++;
                    assertThat(status)
                            .as("/healthz during the attack (%d ms)", millis)
                            .isEqualTo(200);
                    slowest = Math.max(slowest, millis);
                    long[] memory = memoryOf(port);
                    peak = Math.max(peak, memory[0]);
                    peakHeap = Math.max(peakHeap, memory[1]);
                    Host.poll(Duration.ofMillis(250), () -> false);
                }
                assertThat(Host.poll(Duration.ofSeconds(15), () -> !httpAttack.isAlive() && !wsAttack.isAlive()))
                        .as("both attackers closed by the server after the write timeout")
                        .isTrue();
            } finally {
                stop.set(true);
                http.close();
                ws.close();
            }
            long[] finish = memoryOf(port);
            long after = finish[0];
            NetworkAttackTest.Response run = exec(port);

            summary.set(
                    "bytes sent by the attackers (HTTP / WebSocket)", mib(sentHttp.get()) + " / " + mib(sentWs.get()));
            summary.set(
                    "server direct memory before / peak / after", mib(before) + " / " + mib(peak) + " / " + mib(after));
            summary.set(
                    "server heap in use before / peak / after (of 256 MiB)",
                    mib(start[1]) + " / " + mib(peakHeap) + " / " + mib(finish[1]));
            summary.set("/healthz during the attack: slowest of " + probes + " (ms)", slowest);
            summary.set("REST run after the attack: HTTP status", run.status());
            assertThat(slowest).isLessThan(SERVED_WITHIN.toMillis());
            assertThat(peak - before).as("direct memory growth").isLessThan(32 * MIB);
            assertThat(run.status()).isEqualTo(200);
            assertThat(run.body()).contains("\"stdout\":\"alive\\n\"");
            assertThat(server.isAlive()).isTrue();
            assertThat(server.log())
                    .doesNotContain("OutOfMemoryError")
                    .doesNotContain("direct buffer memory")
                    .doesNotContain("\tat ");
        }
    }

    private interface Send {
        int once() throws IOException;
    }

    private static Thread attacker(String name, AtomicBoolean stop, AtomicLong sent, Send send) {
        Thread thread = new Thread(
                () -> {
                    try {
                        while (!stop.get() && sent.get() < 256 * MIB) {
                            sent.addAndGet(send.once());
                        }
                    } catch (IOException e) {
                        // Closed by the server (write timeout) or by the test.
                    }
                },
                "attack: " + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** The server's own direct buffer pool and heap in use, from its Prometheus metrics. */
    private static long[] memoryOf(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(NetworkAttackTest.request("GET", "/metrics", null));
            NetworkAttackTest.Response response = NetworkAttackTest.read(socket);
            assertThat(response.status()).as("/metrics").isEqualTo(200);
            long direct = -1;
            long heap = 0;
            for (String line : response.body().split("\n")) {
                long value = line.startsWith("#") || line.isBlank()
                        ? 0
                        : (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (line.startsWith("jvm_buffer_memory_used_bytes{") && line.contains("id=\"direct\"")) {
                    direct = value;
                } else if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    heap += value;
                }
            }
            assertThat(direct).as("a direct buffer metric in /metrics").isNotNegative();
            return new long[] {direct, heap};
        }
    }

    private static NetworkAttackTest.Response exec(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream()
                    .write(NetworkAttackTest.request(
                            "POST", "/v1/exec", "{\"language\":\"sh\",\"code\":\"echo alive\"}"));
            return NetworkAttackTest.read(socket);
        }
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (double) MIB);
    }
}
