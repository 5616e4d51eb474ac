package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The server end to end: a real {@link RannaServer} on port 0 with a real engine and real processes,
 * driven by the JDK's own WebSocket and HTTP clients.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RannaServerEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int MAX_MESSAGE = 64 * 1024;
    private static final long MAX_OUTPUT = 32 * 1024;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<WebSocket> sockets = new ArrayList<>();
    private RannaServer server;

    @BeforeAll
    void startServer() {
        server =
                startServer(ServerOptions.builder().maxMessageBytes(MAX_MESSAGE).build());
    }

    @AfterAll
    void stopServer() {
        server.close();
    }

    @AfterEach
    void closeSocketsAndCheckTheContract() {
        sockets.forEach(WebSocket::abort);
        sockets.clear();
        RecordingListener.assertEveryMessageMatchedTheContract();
    }

    private static RannaServer startServer(ServerOptions options) {
        SandboxProvider provider = E2eSandbox.provider();
        RannaEngine engine = RannaEngine.builder()
                .sandbox(provider)
                .sandboxConfig(E2eSandbox.config(provider))
                .specs(E2eSandbox.specs())
                .limits(RunLimits.builder()
                        .timeout(Duration.ofSeconds(20))
                        .maxOutputBytes(MAX_OUTPUT)
                        .build())
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
        return RannaServer.builder()
                .engine(engine)
                .host("127.0.0.1")
                .port(0)
                .options(options)
                .build()
                .start();
    }

    private URI ws(RannaServer target, String query) {
        return URI.create("ws://127.0.0.1:" + target.port() + "/v1/ws" + query);
    }

    private URI rest(RannaServer target, String path) {
        return URI.create("http://127.0.0.1:" + target.port() + path);
    }

    private WebSocket connect(RecordingListener listener) {
        return connect(server, "", listener);
    }

    private WebSocket connect(RannaServer target, String query, RecordingListener listener) {
        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(ws(target, query), listener)
                .join();
        sockets.add(socket);
        return socket;
    }

    private static void send(WebSocket socket, String json) {
        socket.sendText(json, true).join();
    }

    private static String exec(Object nonce, String code) {
        String nonceJson = nonce instanceof String ? "\"" + nonce + "\"" : String.valueOf(nonce);
        return "{\"op\":1,\"nonce\":" + nonceJson + ",\"args\":{\"language\":\"sh\",\"code\":\""
                + code.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"}}";
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }

    private static final String FOREVER = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done";

    // ---------------------------------------------------------------------------------------------
    // WebSocket

    @Test
    void seedExampleArrivesAsFiveSeparateLogsSpreadOverTimeThenStop() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);

        send(socket, exec(123, "for i in 1 2 3 4 5; do sleep 1; echo \"👋\" >&2; done"));

        Event spawn = listener.nextEvent(WAIT);
        assertThat(spawn).isInstanceOf(Event.Spawn.class);
        assertThat(spawn.nonce()).isEqualTo(Nonce.of(123));
        RunId run = ((Event.Spawn) spawn).runId();
        assertThat(run.value()).matches("[0-9a-f]{32,}");
        var logTimes = new ArrayList<Long>();
        for (int i = 0; i < 5; i++) {
            RecordingListener.Received received = listener.next(WAIT);
            assertThat(received.event())
                    .as("LOG %d", i + 1)
                    .isEqualTo(new Event.Log(Nonce.of(123), run, StdStream.STDERR, "👋\n"));
            logTimes.add(received.nanos());
        }
        Event stop = listener.nextEvent(WAIT);
        assertThat(stop).isInstanceOf(Event.Stop.class);
        assertThat(stop.nonce()).isEqualTo(Nonce.of(123));
        assertThat(((Event.Stop) stop).runId()).isEqualTo(run);
        assertThat(((Event.Stop) stop).result().exitCode()).isZero();
        assertThat(((Event.Stop) stop).result().execTimeMs()).isGreaterThanOrEqualTo(4500);
        for (int i = 1; i < 5; i++) {
            assertThat(Duration.ofNanos(logTimes.get(i) - logTimes.get(i - 1)))
                    .as("gap before LOG %d", i + 1)
                    .isGreaterThan(Duration.ofMillis(600));
        }
    }

    @Test
    void pingIsAnsweredWithPongOnItsNonceEvenWithNullArgs() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);

        send(socket, "{\"op\":0,\"nonce\":0,\"args\":null}");
        send(socket, "{\"op\":0,\"nonce\":\"abc\"}");

        assertThat(listener.next(WAIT).text()).isEqualTo("{\"code\":0,\"nonce\":0,\"data\":\"Pong!\"}");
        assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of("abc")));
    }

    @Test
    void killMidRunEndsItWithStopKilledOnTheExecNonce() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);
        send(socket, exec(7, FOREVER));
        RunId run = ((Event.Spawn) listener.nextEvent(WAIT)).runId();
        assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Log.class);

        // The web app's Stop button sends KILL without a nonce.
        send(socket, "{\"op\":2,\"args\":{\"runid\":\"" + run.value() + "\"}}");

        Event stop = listener.nextNonLog(WAIT);
        assertThat(stop).isInstanceOf(Event.Stop.class);
        assertThat(stop.nonce()).isEqualTo(Nonce.of(7));
        assertThat(((Event.Stop) stop).result().killed()).isTrue();
        await("the run to be cleaned up", () -> server.engine().activeRuns() == 0);
    }

    @Test
    void oneConnectionCannotKillAnothersRun() throws Exception {
        var owner = new RecordingListener();
        WebSocket ownerSocket = connect(owner);
        var intruder = new RecordingListener();
        WebSocket intruderSocket = connect(intruder);
        send(ownerSocket, exec(1, FOREVER));
        RunId run = ((Event.Spawn) owner.nextEvent(WAIT)).runId();

        send(intruderSocket, "{\"op\":2,\"nonce\":9,\"args\":{\"runid\":\"" + run.value() + "\"}}");

        assertThat(intruder.nextEvent(WAIT)).isEqualTo(new Event.Error(Nonce.of(9), 400, "sandbox is not running"));
        owner.messages.clear();
        assertThat(owner.nextEvent(WAIT)).as("the run goes on").isInstanceOf(Event.Log.class);

        send(ownerSocket, "{\"op\":2,\"nonce\":2,\"args\":{\"runid\":\"" + run.value() + "\"}}");
        assertThat(owner.nextNonLog(WAIT)).isInstanceOf(Event.Stop.class);
        assertThat(intruder.messages)
                .as("nothing of the run reaches the other connection")
                .isEmpty();
    }

    @Test
    void aClientThatDisconnectsMidRunHasItsRunKilledAndCleanedUp() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);
        send(socket, exec(1, FOREVER));
        assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);
        assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Log.class);
        assertThat(server.engine().activeRuns()).isPositive();

        socket.abort();

        await("the run to be killed and cleaned up", () -> server.engine().activeRuns() == 0);
        await("the connection to be released", () -> server.webSocketConnections() == 0);
    }

    @Test
    void binaryFramesGetAnErrorAndTheConnectionStaysOpen() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);

        socket.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();

        assertThat(listener.next(WAIT).text())
                .isEqualTo("{\"code\":1,\"data\":{\"code\":400,\"message\":\"invalid message type\"}}");
        send(socket, "{\"op\":0,\"nonce\":1}");
        assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(1)));
    }

    @Test
    void malformedJsonGetsAnErrorAndTheConnectionStaysOpen() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);

        send(socket, "{\"op\": 1, \"nonce\": 5,");
        send(socket, "{\"op\":\"one\",\"nonce\":6}");
        send(socket, "{\"op\":42,\"nonce\":7}");

        Event.Error syntax = (Event.Error) listener.nextEvent(WAIT);
        assertThat(syntax.code()).isEqualTo(400);
        assertThat(syntax.message()).startsWith("invalid message");
        assertThat(listener.nextEvent(WAIT))
                .isEqualTo(new Event.Error(Nonce.of(6), 400, "invalid message: op must be an integer, got a string"));
        assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Error(Nonce.of(7), 400, "invalid operation code"));
        send(socket, "{\"op\":0,\"nonce\":8}");
        assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(8)));
    }

    @Test
    void anOversizedMessageClosesTheConnectionWith1009() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);

        socket.sendText(exec(1, "#" + "x".repeat(MAX_MESSAGE)), true);

        RecordingListener.Close close = listener.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(close.status()).isEqualTo(1009);
    }

    @Test
    void anOversizedFragmentedMessageClosesTheConnectionWith1009() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);

        String part = "x".repeat(MAX_MESSAGE / 2);
        socket.sendText("{\"op\":0,\"pad\":\"" + part, false).join();
        socket.sendText(part, false).join();
        socket.sendText(part + "\"}", true);

        RecordingListener.Close close = listener.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(close.status()).isEqualTo(1009);
    }

    @Test
    void aFragmentedMessageWithinTheLimitIsOneMessage() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = connect(listener);

        socket.sendText("{\"op\":0,", false).join();
        socket.sendText("\"nonce\":31}", true).join();

        assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(31)));
    }

    @Test
    void crossOriginUpgradesAreAcceptedByDefault() throws Exception {
        var listener = new RecordingListener();
        WebSocket socket = http.newWebSocketBuilder()
                .header("Origin", "https://ranna.example")
                .buildAsync(ws(server, ""), listener)
                .join();
        sockets.add(socket);

        send(socket, "{\"op\":0,\"nonce\":1}");

        assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(1)));
    }

    // ---------------------------------------------------------------------------------------------
    // REST

    private HttpResponse<String> get(RannaServer target, String path, String... headers) throws Exception {
        var builder = HttpRequest.newBuilder(rest(target, path)).GET().timeout(WAIT);
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return Contract.checkRest(http.send(builder.build(), HttpResponse.BodyHandlers.ofString()));
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return Contract.checkRest(http.send(
                HttpRequest.newBuilder(rest(server, path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .timeout(WAIT)
                        .build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void specInfoAndHealthAnswer() throws Exception {
        HttpResponse<String> spec = get(server, "/v1/spec");
        assertThat(spec.statusCode()).isEqualTo(200);
        assertThat(spec.body()).startsWith("{\"sh\":").contains("\"shell\":{\"use\":\"sh\"}");

        HttpResponse<String> info = get(server, "/v1/info");
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(info.body()).contains("\"go_version\"").contains("\"sandbox\":{\"type\":");

        assertThat(get(server, "/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get(server, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("ranna_http_requests");
    }

    @Test
    void restExecReturnsTheOutputAndIgnoresUnknownQueryParameters() throws Exception {
        HttpResponse<String> response = post(
                "/v1/exec?bypass_cache=true",
                "{\"language\":\"shell\",\"code\":\"echo out; echo err >&2; exit 3\",\"arguments\":[\"\"]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
        assertThat(response.body())
                .contains("\"stdout\":\"out\\n\"")
                .contains("\"stderr\":\"err\\n\"")
                .contains("\"exitcode\":3")
                .contains("\"exectimems\":");
    }

    @Test
    void restExecWithOutputOverTheLimitIs413() throws Exception {
        HttpResponse<String> response = post(
                "/v1/exec",
                "{\"language\":\"sh\",\"code\":\"i=0; while [ $i -lt 5000 ]; do echo 0123456789abcdef; i=$((i+1)); done\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
        // ranna's shape first; then, additively, the output up to the limit and how the run ended.
        assertThat(response.body())
                .startsWith("{\"error\":\"output limit exceeded\",\"code\":413,\"stdout\":\"0123456789abcdef\\n")
                .contains("\"truncated\":true");
    }

    @Test
    void restErrorsUseRannasShape() throws Exception {
        HttpResponse<String> unknown = post("/v1/exec", "{\"language\":\"cobol\",\"code\":\"x\"}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).isEqualTo("{\"error\":\"unsupported language spec\",\"code\":400}");

        HttpResponse<String> tooBig =
                post("/v1/exec", "{\"language\":\"sh\",\"code\":\"" + "x".repeat(3 << 20) + "\"}");
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(tooBig.body()).contains("\"code\":413");
    }

    @Test
    void corsPreflightIsAnswered() throws Exception {
        HttpResponse<String> response = Contract.checkRest(http.send(
                HttpRequest.newBuilder(rest(server, "/v1/exec"))
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .header("Origin", "https://ranna.example")
                        .header("Access-Control-Request-Method", "POST")
                        .header("Access-Control-Request-Headers", "content-type")
                        .build(),
                HttpResponse.BodyHandlers.ofString()));

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
        assertThat(response.headers().firstValue("Access-Control-Allow-Headers"))
                .contains("content-type");
        assertThat(response.headers().firstValue("Access-Control-Allow-Methods").orElse(""))
                .contains("POST");
    }

    // ---------------------------------------------------------------------------------------------
    // Access tokens, shutdown

    @Test
    void withTokensRestAndWebSocketNeedOneAndWithoutThemNothingIsAsked() throws Exception {
        assertThat(get(server, "/v1/spec").statusCode()).as("auth off").isEqualTo(200);

        try (RannaServer guarded =
                startServer(ServerOptions.builder().tokens(Set.of("t0ken")).build())) {
            HttpResponse<String> refused = get(guarded, "/v1/spec");
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).isEqualTo("{\"error\":\"unauthorized\",\"code\":401}");
            assertThat(get(guarded, "/v1/spec", "Authorization", "Bearer t0ken").statusCode())
                    .isEqualTo(200);

            assertThatThrownBy(() -> connect(guarded, "", new RecordingListener()))
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOfSatisfying(
                            WebSocketHandshakeException.class,
                            e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));

            var byQuery = new RecordingListener();
            send(connect(guarded, "?token=t0ken", byQuery), "{\"op\":0,\"nonce\":1}");
            assertThat(byQuery.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(1)));

            var byHeader = new RecordingListener();
            WebSocket socket = http.newWebSocketBuilder()
                    .header("Authorization", "Bearer t0ken")
                    .buildAsync(ws(guarded, ""), byHeader)
                    .join();
            sockets.add(socket);
            send(socket, "{\"op\":0,\"nonce\":2}");
            assertThat(byHeader.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(2)));
        }
    }

    @Test
    void aStartedServerKeepsTheJvmAliveWithoutAnyConnection() {
        // The standalone main thread returns after start(); a non-daemon thread must remain.
        assertThat(Thread.getAllStackTraces().keySet()).anySatisfy(thread -> {
            assertThat(thread.getName()).startsWith("ranna-accept");
            assertThat(thread.isDaemon()).isFalse();
        });
    }

    @Test
    void anIdleButAliveConnectionIsPingedAndKeptOpen() throws Exception {
        try (RannaServer pinging = startServer(ServerOptions.builder()
                .pingInterval(Duration.ofMillis(100))
                .pongTimeout(Duration.ofMillis(300))
                .build())) {
            var listener = new RecordingListener();
            WebSocket socket = connect(pinging, "", listener);

            // Twenty ping intervals of silence from the client (the JDK client answers pings by itself).
            assertThatThrownBy(() -> listener.closed.get(2, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);

            send(socket, "{\"op\":0,\"nonce\":1}");
            assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(1)));
        }
    }

    @Test
    void shutdownKillsRunsSendsStopAndClosesWith1001() throws Exception {
        RannaServer doomed = startServer(ServerOptions.DEFAULTS);
        var listener = new RecordingListener();
        connect(doomed, "", listener);
        send(sockets.get(sockets.size() - 1), exec(77, FOREVER));
        assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);

        long started = System.nanoTime();
        doomed.close();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
        Event stop = listener.nextNonLog(WAIT);
        assertThat(stop).isInstanceOf(Event.Stop.class);
        assertThat(stop.nonce()).isEqualTo(Nonce.of(77));
        assertThat(((Event.Stop) stop).result().killed()).isTrue();
        assertThat(listener.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS).status())
                .isEqualTo(1001);
        assertThat(doomed.engine().activeRuns()).isZero();
    }
}
