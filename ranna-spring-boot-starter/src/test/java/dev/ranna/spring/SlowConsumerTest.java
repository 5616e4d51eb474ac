package dev.ranna.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Backpressure through the starter: a client that stops reading while a program floods its output slows the
 * program down instead of filling the application's heap. The engine's {@code ranna.output.bytes} (what it
 * took from the sandbox) stops growing while the client does not read and grows again when it does; the
 * heap after GC stays flat meanwhile. The application and the client share this JVM, so the heap measured
 * is the server's (and the client's, which does not read).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowConsumerTest {
    private static ConfigurableApplicationContext context;

    @BeforeAll
    static void startApplication() {
        context = TestApplication.start(Map.of(
                "ranna.api.maxoutputlen", "1G",
                "ranna.sandbox.timeoutseconds", "60"));
    }

    @AfterAll
    static void stopApplication() {
        context.close();
    }

    /** Reads one message, then nothing until told to. */
    private static final class StalledListener implements WebSocket.Listener {
        final AtomicLong received = new AtomicLong();
        private volatile @Nullable WebSocket socket;

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            webSocket.request(1);
        }

        @Override
        public @Nullable CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            received.addAndGet(data.length());
            return null;
        }

        void resume() {
            WebSocket current = socket;
            if (current != null) {
                current.request(Long.MAX_VALUE);
            }
        }
    }

    @Test
    void aClientThatDoesNotReadSlowsTheProgramAndTheHeapStaysFlat() {
        Counter output =
                context.getBean(MeterRegistry.class).get("ranna.output.bytes").counter();
        long heapBefore = heapAfterGc();
        var listener = new StalledListener();
        WebSocket socket = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + TestApplication.port(context) + "/v1/ws"), listener)
                .join();
        double start = output.count();
        socket.sendText(
                        "{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"sh\",\"code\":\"yes 0123456789abcdefghijklmnopqrstuvwxyz\"}}",
                        true)
                .join();

        // The flood starts, fills the socket buffers and the send queue, then the engine stops taking output.
        await().atMost(Duration.ofSeconds(20)).until(() -> output.count() - start > 64 * 1024);
        var plateau = new double[] {output.count()};
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    double now = output.count();
                    boolean flat = now - plateau[0] < 64 * 1024;
                    plateau[0] = now;
                    return flat;
                });
        double stalledAt = output.count();
        // Flat for two seconds: `yes` alone would have written hundreds of megabytes by then.
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> output.count() - stalledAt < 256 * 1024);
        long heapStalled = heapAfterGc();
        System.out.printf(
                "slow consumer: engine took %.1f MiB before stalling; heap after GC %d MiB before, %d MiB stalled%n",
                (stalledAt - start) / (1 << 20), heapBefore >> 20, heapStalled >> 20);
        assertThat(stalledAt - start)
                .as("output taken while the client did not read")
                .isLessThan(32.0 * 1024 * 1024);
        assertThat(heapStalled - heapBefore).as("heap growth while stalled").isLessThan(32L * 1024 * 1024);

        // Reading again: the program's output flows again.
        listener.resume();
        await().atMost(Duration.ofSeconds(20)).until(() -> output.count() - stalledAt > 8 * 1024 * 1024);
        socket.abort();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> context.getBean(dev.ranna.engine.RannaEngine.class).activeRuns() == 0);
    }

    private static long heapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        memory.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }
}
