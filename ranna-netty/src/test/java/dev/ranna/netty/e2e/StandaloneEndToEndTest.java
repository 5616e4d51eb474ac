package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.netty.RannaServer;
import dev.ranna.netty.internal.ConfigException;
import dev.ranna.netty.internal.StandaloneConfig;
import dev.ranna.netty.internal.StandaloneLauncher;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The standalone wiring: configuration in, a running server with the process sandbox out. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StandaloneEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static RannaServer start(Map<String, String> env, String... args) {
        return StandaloneLauncher.start(
                StandaloneConfig.load(List.of(args), env), StandaloneEndToEndTest.class.getClassLoader());
    }

    @AfterEach
    void checkTheContract() {
        RecordingListener.assertEveryMessageMatchedTheContract();
    }

    private HttpResponse<String> get(RannaServer server, String path) throws Exception {
        return Contract.checkRest(http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .timeout(WAIT)
                        .build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void runsTheSpecFileOnTheProcessSandboxAsConfigured() throws Exception {
        Path specs = dir.resolve("spec.yaml");
        Files.writeString(specs, "sh:\n  entrypoint: /bin/sh\n  filename: main.sh\nshell:\n  use: sh\n");

        try (RannaServer server = start(
                Map.of("RANNA_SANDBOX_TIMEOUTSECONDS", "5"),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--sandbox",
                "process",
                "--spec-file",
                specs.toString())) {
            assertThat(server.engine().limits().timeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(get(server, "/v1/spec").body())
                    .isEqualTo(
                            "{\"sh\":{\"entrypoint\":\"/bin/sh\",\"filename\":\"main.sh\"},\"shell\":{\"use\":\"sh\"}}");
            assertThat(get(server, "/v1/info").body()).contains("\"type\":\"process\"");

            var listener = new RecordingListener();
            WebSocket socket = http.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/ws"), listener)
                    .join();
            socket.sendText("{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"shell\",\"code\":\"echo hi\"}}", true)
                    .join();
            assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);
            assertThat(((Event.Log) listener.nextEvent(WAIT)).text()).isEqualTo("hi\n");
            assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Stop.class);
            socket.abort();
        }
    }

    /**
     * As a new user would start it on a machine with Docker but no registry: the spec map names an image
     * the engine does not have and cannot pull, so Docker cannot run these languages, the server falls back
     * to the process sandbox, and the log says why.
     */
    @Test
    void withDockerUnableToRunTheLanguagesItFallsBackToTheProcessSandboxAndLogsWhy() throws Exception {
        Path specs = dir.resolve("spec.yaml");
        Files.writeString(specs, "sh:\n  image: ranna-test/none:missing\n  entrypoint: /bin/sh\n  filename: main.sh\n");
        PrintStream originalErr = System.err;
        var log = new ByteArrayOutputStream();
        RannaServer server;
        System.setErr(new PrintStream(new TeeOutputStream(originalErr, log), true, StandardCharsets.UTF_8));
        try {
            server = start(
                    Map.of("RANNA_SANDBOX_DOCKER_PROBETIMEOUT", "2"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--spec-file",
                    specs.toString());
        } finally {
            System.setErr(originalErr);
        }
        try (server) {
            assertThat(get(server, "/v1/info").body()).contains("\"type\":\"process\"");
            assertThat(log.toString(StandardCharsets.UTF_8))
                    .contains(
                            "sandbox 'docker' is unavailable: image ranna-test/none:missing is not on the Docker host")
                    .contains("selected sandbox 'process'")
                    .contains("passed over: docker: unavailable: image ranna-test/none:missing");

            var listener = new RecordingListener();
            WebSocket socket = http.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/ws"), listener)
                    .join();
            socket.sendText("{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"sh\",\"code\":\"echo hi\"}}", true)
                    .join();
            assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Spawn.class);
            assertThat(((Event.Log) listener.nextEvent(WAIT)).text()).isEqualTo("hi\n");
            assertThat(listener.nextEvent(WAIT)).isInstanceOf(Event.Stop.class);
            socket.abort();
        }
    }

    /** Writes to two streams: the test's log stays visible while the test reads it. */
    private static final class TeeOutputStream extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        TeeOutputStream(OutputStream first, OutputStream second) {
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

        @Override
        public void flush() throws IOException {
            first.flush();
            second.flush();
        }
    }

    @Test
    void withoutIsolationItIsLoopbackOnlyAndSaysSo() throws Exception {
        try (RannaServer server =
                start(Map.of("RANNA_SANDBOX.PROCESS.ISOLATION", "none"), "--sandbox", "process", "--port", "0")) {
            assertThat(server.host())
                    .as("bound to loopback though the default is every interface")
                    .isEqualTo("127.0.0.1");
            assertThat(get(server, "/v1/info").body()).contains("\"isolation\":\"none\"");

            URI ws = URI.create("ws://127.0.0.1:" + server.port() + "/v1/ws");
            assertThatThrownBy(() -> http.newWebSocketBuilder()
                            .header("Origin", "https://evil.example")
                            .buildAsync(ws, new RecordingListener())
                            .join())
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOfSatisfying(
                            WebSocketHandshakeException.class,
                            e -> assertThat(e.getResponse().statusCode()).isEqualTo(403));

            var listener = new RecordingListener();
            WebSocket socket = http.newWebSocketBuilder()
                    .header("Origin", "http://localhost:5173")
                    .buildAsync(ws, listener)
                    .join();
            socket.sendText("{\"op\":0,\"nonce\":1}", true).join();
            assertThat(listener.nextEvent(WAIT)).isEqualTo(new Event.Pong(Nonce.of(1)));
            socket.abort();
        }
    }

    @Test
    void withoutIsolationAnExplicitPublicAddressIsRefused() {
        assertThatThrownBy(() -> start(
                        Map.of("RANNA_SANDBOX_PROCESS_ISOLATION", "none", "RANNA_API_BINDADDRESS", ":0"),
                        "--sandbox",
                        "process"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("api.dangerouslyexposeunisolated");
    }
}
