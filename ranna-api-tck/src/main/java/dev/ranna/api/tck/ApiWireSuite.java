package dev.ranna.api.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.schema.ContractSchemas;
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
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ranna's API on the wire, whatever serves it: what a client sees over {@code /v1/ws} (PING/PONG, an EXEC's
 * streamed SPAWN, LOG and STOP, KILL, an interactive run, errors for bad input, the message size limit) and
 * over REST ({@code /v1/spec}, {@code /v1/info}, {@code /v1/exec}, CORS preflights), with tokens required.
 * Every WebSocket message and REST body is checked against the contract's JSON Schemas. The clients are the
 * JDK's own.
 *
 * <p>A transport's test extends this and serves, at {@link #baseUri()}, an engine on a real sandbox with:
 * the language {@code sh} ({@code /bin/sh}); the access token {@link #TOKEN} required; CORS answered for
 * {@link #ALLOWED_ORIGIN} only; WebSocket messages up to {@link #MAX_MESSAGE_BYTES}; REST bodies up to the
 * default {@code api.maxbodysize}, {@link #MAX_BODY_BYTES}; a run timeout of at least 10 s. The subclass starts the server before the first test and stops it after the last.
 *
 * <p>Tests are independent and may run in any order; each closes what it opened.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ApiWireSuite {
    /** The token the server under test requires. */
    public static final String TOKEN = "wire-suite-token";
    /** The one origin the server under test answers CORS for. */
    public static final String ALLOWED_ORIGIN = "https://allowed.example";
    /** The server's {@code api.ws.maxmessagesize}. */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024;
    /** The server's {@code api.maxbodysize}: its default. */
    public static final int MAX_BODY_BYTES = 2 * 1024 * 1024;

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final ContractSchemas SCHEMAS = ContractSchemas.get();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<WebSocket> sockets = new ArrayList<>();

    /** The API's base, e.g. {@code http://127.0.0.1:8080} or {@code http://127.0.0.1:8080/ranna}: before {@code /v1}. */
    protected abstract URI baseUri();

    @AfterEach
    void closeSockets() {
        sockets.forEach(WebSocket::abort);
        sockets.clear();
    }

    private URI http(String path) {
        return URI.create(baseUri() + path);
    }

    private URI ws(String query) {
        return URI.create(baseUri().toString().replaceFirst("^http", "ws") + "/v1/ws" + query);
    }

    /** A connection with the token in the query, as ranna's web app sends it. */
    protected final WebSocket connect(WireListener listener) {
        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(ws("?token=" + TOKEN), listener)
                .join();
        sockets.add(socket);
        return socket;
    }

    private static void send(WebSocket socket, String json) {
        socket.sendText(json, true).join();
    }

    private static String json(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private static String exec(int nonce, String code, String extra) {
        return "{\"op\":1,\"nonce\":" + nonce + ",\"args\":{\"language\":\"sh\",\"code\":" + json(code)
                + (extra.isEmpty() ? "" : "," + extra) + "}}";
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        checkRest(response);
        return response;
    }

    private HttpRequest.Builder authorized(String path) {
        return HttpRequest.newBuilder(http(path)).timeout(WAIT).header("Authorization", "Bearer " + TOKEN);
    }

    private static void checkRest(HttpResponse<String> response) {
        String body = response.body();
        if (body == null || body.isEmpty()) {
            return;
        }
        String path = response.request().uri().getPath();
        String endpoint = path.substring(path.lastIndexOf("/v1/"));
        String schema;
        if (response.statusCode() >= 400) {
            schema = ContractSchemas.ERROR_RESPONSE;
        } else {
            schema = switch (response.request().method() + " " + endpoint) {
                case "GET /v1/spec" -> ContractSchemas.SPEC_MAP;
                case "GET /v1/info" -> ContractSchemas.SYSTEM_INFO;
                case "POST /v1/exec" -> ContractSchemas.EXECUTION_RESPONSE;
                default -> throw new AssertionError("no contract schema for " + endpoint + ": " + body);
            };
        }
        SCHEMAS.assertValid(schema, body);
    }

    @Test
    void pingIsAnsweredWithPongOnItsNonce() throws Exception {
        var listener = new WireListener();
        WebSocket socket = connect(listener);

        send(socket, "{\"op\":0,\"nonce\":7}");

        assertThat(listener.next(WAIT)).isEqualTo(new Event.Pong(Nonce.of(7)));
    }

    @Test
    void execStreamsSpawnLogsAndStopInOrder() throws Exception {
        var listener = new WireListener();
        WebSocket socket = connect(listener);

        send(socket, exec(1, "echo out; echo err 1>&2; exit 3", ""));

        Event.Spawn spawn = (Event.Spawn) listener.next(WAIT);
        assertThat(spawn.nonce()).isEqualTo(Nonce.of(1));
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        Event event;
        while ((event = listener.next(WAIT)) instanceof Event.Log log) {
            assertThat(log.runId()).isEqualTo(spawn.runId());
            (log.stream() == StdStream.STDOUT ? stdout : stderr).append(log.text());
        }
        Event.Stop stop = (Event.Stop) event;
        assertThat(stop.runId()).isEqualTo(spawn.runId());
        assertThat(stop.nonce()).isEqualTo(Nonce.of(1));
        assertThat(stop.result().exitCode()).isEqualTo(3);
        assertThat(stdout).hasToString("out\n");
        assertThat(stderr).hasToString("err\n");
    }

    @Test
    void killStopsARunningProgram() throws Exception {
        var listener = new WireListener();
        WebSocket socket = connect(listener);

        send(socket, exec(2, "echo started; sleep 30", ""));
        Event.Spawn spawn = (Event.Spawn) listener.next(WAIT);
        assertThat(listener.next(WAIT)).isInstanceOf(Event.Log.class);
        send(
                socket,
                "{\"op\":2,\"nonce\":3,\"args\":{\"runid\":\"" + spawn.runId().value() + "\"}}");

        Event.Stop stop = (Event.Stop) listener.nextNonLog(WAIT);
        assertThat(stop.nonce()).isEqualTo(Nonce.of(2));
        assertThat(stop.result().killed()).isTrue();
        assertThat(stop.result().execTimeMs()).isLessThan(30_000);
    }

    @Test
    void killOfAnUnknownRunIsAnErrorOnTheKillsNonce() throws Exception {
        var listener = new WireListener();
        WebSocket socket = connect(listener);

        send(socket, "{\"op\":2,\"nonce\":4,\"args\":{\"runid\":\"no-such-run\"}}");

        Event.Error error = (Event.Error) listener.next(WAIT);
        assertThat(error.nonce()).isEqualTo(Nonce.of(4));
        assertThat(error.message()).isEqualTo("sandbox is not running");
    }

    @Test
    void anInteractiveRunReadsWhatTheClientSends() throws Exception {
        var listener = new WireListener();
        WebSocket socket = connect(listener);

        send(socket, exec(5, "read line; echo \"got $line\"", "\"interactive\":true"));
        Event.Spawn spawn = (Event.Spawn) listener.next(WAIT);
        send(
                socket,
                "{\"op\":3,\"nonce\":6,\"args\":{\"runid\":\"" + spawn.runId().value()
                        + "\",\"data\":\"hello\\n\",\"eof\":true}}");

        var stdout = new StringBuilder();
        Event event;
        while ((event = listener.next(WAIT)) instanceof Event.Log log) {
            stdout.append(log.text());
        }
        assertThat(event).isInstanceOf(Event.Stop.class);
        assertThat(((Event.Stop) event).result().exitCode()).isZero();
        assertThat(stdout).hasToString("got hello\n");
    }

    @Test
    void badMessagesAreErrorsAndTheConnectionStaysOpen() throws Exception {
        var listener = new WireListener();
        WebSocket socket = connect(listener);

        send(socket, "{\"op\": 1, \"nonce\": 5,");
        send(socket, "{\"op\":42,\"nonce\":7}");
        send(socket, "{\"op\":1,\"nonce\":8,\"args\":{\"language\":\"cobol\",\"code\":\"x\"}}");
        socket.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();

        Event.Error syntax = (Event.Error) listener.next(WAIT);
        assertThat(syntax.code()).isEqualTo(400);
        assertThat(syntax.message()).startsWith("invalid message");
        assertThat(listener.next(WAIT)).isEqualTo(new Event.Error(Nonce.of(7), 400, "invalid operation code"));
        Event.Error language = (Event.Error) listener.next(WAIT);
        assertThat(language.nonce()).isEqualTo(Nonce.of(8));
        assertThat(language.code()).isEqualTo(400);
        assertThat(listener.nextText(WAIT))
                .isEqualTo("{\"code\":1,\"data\":{\"code\":400,\"message\":\"invalid message type\"}}");
        send(socket, "{\"op\":0,\"nonce\":9}");
        assertThat(listener.next(WAIT)).isEqualTo(new Event.Pong(Nonce.of(9)));
    }

    @Test
    void anOversizedMessageClosesTheConnectionWith1009() throws Exception {
        var listener = new WireListener();
        WebSocket socket = connect(listener);

        socket.sendText(exec(1, "#" + "x".repeat(MAX_MESSAGE_BYTES), ""), true);

        assertThat(listener.close(WAIT).status()).isEqualTo(1009);
    }

    @Test
    void aWebSocketWithoutTheTokenIsRefusedWith401() {
        var listener = new WireListener();
        assertThatThrownBy(() ->
                        http.newWebSocketBuilder().buildAsync(ws(""), listener).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));
        assertThatThrownBy(() -> http.newWebSocketBuilder()
                        .buildAsync(ws("?token=wrong"), listener)
                        .join())
                .cause()
                .isInstanceOfSatisfying(
                        WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));
    }

    @Test
    void aWebSocketWithTheTokenInTheAuthorizationHeaderIsAccepted() throws Exception {
        var listener = new WireListener();
        WebSocket socket = http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + TOKEN)
                .buildAsync(ws(""), listener)
                .join();
        sockets.add(socket);

        send(socket, "{\"op\":0,\"nonce\":1}");

        assertThat(listener.next(WAIT)).isEqualTo(new Event.Pong(Nonce.of(1)));
    }

    @Test
    void restWithoutTheTokenIsRefusedWith401() throws Exception {
        for (String path : List.of("/v1/spec", "/v1/info")) {
            HttpResponse<String> response =
                    send(HttpRequest.newBuilder(http(path)).timeout(WAIT).GET());
            assertThat(response.statusCode()).as(path).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"ranna\"");
        }
        HttpResponse<String> exec = send(HttpRequest.newBuilder(http("/v1/exec"))
                .timeout(WAIT)
                .header("Authorization", "Bearer wrong")
                .POST(HttpRequest.BodyPublishers.ofString("{\"language\":\"sh\",\"code\":\"echo hi\"}")));
        assertThat(exec.statusCode()).isEqualTo(401);
    }

    @Test
    void specAndInfoDescribeTheServer() throws Exception {
        HttpResponse<String> spec = send(authorized("/v1/spec").GET());
        assertThat(spec.statusCode()).isEqualTo(200);
        assertThat(spec.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(spec.body()).contains("\"sh\"");

        HttpResponse<String> info = send(authorized("/v1/info").GET());
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(info.body()).contains("\"sandbox\"");
    }

    @Test
    void restExecRunsAProgramToCompletion() throws Exception {
        HttpResponse<String> response = send(authorized("/v1/exec")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"language\":\"sh\",\"code\":\"echo hello; echo oops 1>&2\"}")));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"stdout\":\"hello\\n\"").contains("\"stderr\":\"oops\\n\"");
    }

    @Test
    void restExecOfBadInputIsA400WithRannasErrorBody() throws Exception {
        HttpResponse<String> malformed =
                send(authorized("/v1/exec").POST(HttpRequest.BodyPublishers.ofString("{\"language\":")));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("\"code\":400");

        HttpResponse<String> unknown = send(authorized("/v1/exec")
                .POST(HttpRequest.BodyPublishers.ofString("{\"language\":\"cobol\",\"code\":\"x\"}")));
        assertThat(unknown.statusCode()).isEqualTo(400);
    }

    @Test
    void anOversizedRestBodyIs413WithRannasErrorBody() throws Exception {
        String code = "#" + "x".repeat(MAX_BODY_BYTES);
        HttpResponse<String> response = send(authorized("/v1/exec")
                .header("Origin", ALLOWED_ORIGIN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"language\":\"sh\",\"code\":\"" + code + "\"}")));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).contains("\"code\":413").contains("request body too large");
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED_ORIGIN);
    }

    @Test
    void wrongMethodsAndUnknownPathsAreAnswered() throws Exception {
        HttpResponse<String> get = send(authorized("/v1/exec").GET());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).contains("POST, OPTIONS");

        HttpResponse<String> unknown = send(authorized("/v1/nothing").GET());
        assertThat(unknown.statusCode()).isEqualTo(404);
    }

    @Test
    void corsPreflightIsAnsweredForTheAllowedOriginOnly() throws Exception {
        HttpResponse<String> allowed = send(HttpRequest.newBuilder(http("/v1/exec"))
                .timeout(WAIT)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", ALLOWED_ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type, authorization"));
        assertThat(allowed.statusCode()).isEqualTo(204);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED_ORIGIN);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Methods")).contains("GET, POST, OPTIONS");
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Headers"))
                .contains("content-type, authorization");

        HttpResponse<String> foreign = send(HttpRequest.newBuilder(http("/v1/exec"))
                .timeout(WAIT)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://foreign.example")
                .header("Access-Control-Request-Method", "POST"));
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void answersCarryTheCorsHeaderForTheAllowedOrigin() throws Exception {
        HttpResponse<String> spec =
                send(authorized("/v1/spec").header("Origin", ALLOWED_ORIGIN).GET());

        assertThat(spec.statusCode()).isEqualTo(200);
        assertThat(spec.headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED_ORIGIN);
        assertThat(spec.headers().allValues("Vary"))
                .anySatisfy(vary -> assertThat(vary).containsIgnoringCase("origin"));
    }
}
