package dev.ranna.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ranna.engine.RannaEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * How long a WebSocket connection lives through the starter, with ranna's keys: a quiet client is pinged
 * ({@code api.ws.pingintervalseconds}) and stays open while it answers; a client that stops reading is closed
 * after {@code api.writetimeoutseconds} and its run killed; {@code api.ws.maxconnectionsperclient} caps
 * connections per address and a closed connection gives its place back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionLifetimeTest {
    private static ConfigurableApplicationContext context;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startApplication() {
        context = TestApplication.start(Map.of(
                "ranna.api.ws.pingintervalseconds", "1",
                "ranna.api.ws.pongtimeoutseconds", "2",
                "ranna.api.writetimeoutseconds", "2",
                "ranna.api.ws.maxconnectionsperclient", "2",
                "ranna.api.maxoutputlen", "1G",
                "ranna.sandbox.timeoutseconds", "50"));
    }

    @AfterAll
    static void stopApplication() {
        context.close();
    }

    private URI ws() {
        return URI.create("ws://127.0.0.1:" + TestApplication.port(context) + "/v1/ws");
    }

    private static final class Listener implements WebSocket.Listener {
        final AtomicInteger pings = new AtomicInteger();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final boolean reads;

        Listener(boolean reads) {
            this.reads = reads;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(reads ? Long.MAX_VALUE : 1);
        }

        @Override
        public @Nullable CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            pings.incrementAndGet(); // the JDK answers with a pong by itself
            return null;
        }

        @Override
        public @Nullable CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }
    }

    @Test
    void aQuietClientIsPingedAndStaysOpenWhileItAnswers() {
        var listener = new Listener(true);
        WebSocket socket = http.newWebSocketBuilder().buildAsync(ws(), listener).join();

        await().atMost(Duration.ofSeconds(15)).until(() -> listener.pings.get() >= 3);

        // Three ping intervals and more went by with only pongs from the client, and it is still served.
        assertThat(listener.closed).isNotDone();
        assertThat(socket.isInputClosed()).isFalse();
        socket.abort();
    }

    @Test
    void aClientThatStopsReadingIsClosedAfterTheWriteTimeoutAndItsRunKilled() {
        RannaEngine engine = context.getBean(RannaEngine.class);
        var listener = new Listener(false);
        WebSocket socket = http.newWebSocketBuilder().buildAsync(ws(), listener).join();
        socket.sendText("{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"sh\",\"code\":\"yes flood\"}}", true)
                .join();
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.activeRuns() == 1);

        // The server gives up on writing to it: the connection goes, and with it the run.
        await().atMost(Duration.ofSeconds(20)).until(() -> engine.activeRuns() == 0);
        socket.abort();
    }

    @Test
    void connectionsPerClientAreCappedAndAClosedOneGivesItsPlaceBack() {
        // The other tests' connections are gone first (the server notices an abort in its own time).
        ApiContext api = context.getBean(ApiContext.class);
        await().atMost(Duration.ofSeconds(20)).until(() -> api.webSocketsPerClient.total() == 0);
        WebSocket first =
                http.newWebSocketBuilder().buildAsync(ws(), new Listener(true)).join();
        WebSocket second =
                http.newWebSocketBuilder().buildAsync(ws(), new Listener(true)).join();

        assertThatThrownBy(() -> http.newWebSocketBuilder()
                        .buildAsync(ws(), new Listener(true))
                        .join())
                .cause()
                .isInstanceOfSatisfying(
                        WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(429));

        first.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            WebSocket third = http.newWebSocketBuilder()
                    .buildAsync(ws(), new Listener(true))
                    .join();
            third.abort();
            return true;
        });
        second.abort();
    }
}
