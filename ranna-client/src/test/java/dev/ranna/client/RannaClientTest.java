package dev.ranna.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The REST side and the builder, against a canned HTTP server (the JDK's): what is sent (paths under a prefix,
 * the token, the body) and how answers become values or exceptions. The real server is in the end-to-end suite.
 */
class RannaClientTest {
    private HttpServer http;
    private final Map<String, String[]> answers = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(
                    exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " auth="
                            + exchange.getRequestHeaders().getFirst("Authorization") + " type="
                            + exchange.getRequestHeaders().getFirst("Content-Type") + " " + body);
            String[] answer = answers.getOrDefault(exchange.getRequestURI().getPath(), new String[] {"404", ""});
            byte[] bytes = answer[1].getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(Integer.parseInt(answer[0]), bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        http.start();
    }

    @AfterEach
    void stop() {
        http.stop(0);
    }

    private RannaClient client(String prefix) {
        return RannaClient.builder()
                .baseUri("http://127.0.0.1:" + http.getAddress().getPort() + prefix)
                .token("s3cret")
                .build();
    }

    @Test
    void rest_calls_go_under_the_prefix_with_the_token_and_decode_the_answer() {
        answers.put("/ranna/v1/exec", new String[] {
            "200",
            "{\"stdout\":\"hi\\n\",\"stderr\":\"\",\"exectimems\":3,\"exitcode\":0,"
                    + "\"compile\":{\"stdout\":\"\",\"stderr\":\"warn\",\"exitcode\":0,\"exectimems\":9}}"
        });
        ExecutionResponse response = client("/ranna/").exec(ExecutionRequest.of("c", "int main(){}"));

        assertThat(response.stdout()).isEqualTo("hi\n");
        assertThat(response.result().exitCode()).isZero();
        assertThat(response.compile().stderr()).isEqualTo("warn");
        assertThat(requests)
                .singleElement()
                .asString()
                .startsWith("POST /ranna/v1/exec auth=Bearer s3cret type=application/json {")
                .contains("\"language\":\"c\"");
    }

    @Test
    void a_ranna_error_body_is_a_ranna_exception_with_its_code() {
        answers.put("/v1/exec", new String[] {"400", "{\"error\":\"code execution timed out\",\"code\":400}"});
        assertThatThrownBy(() -> client("").exec(ExecutionRequest.of("sh", "sleep 99")))
                .isExactlyInstanceOf(RannaException.class)
                .hasMessage("code execution timed out")
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(400));
    }

    @Test
    void an_answer_that_is_not_rannas_is_a_connection_exception_with_the_http_status() {
        answers.put("/v1/info", new String[] {"502", "<html>Bad Gateway</html>"});
        assertThatThrownBy(() -> client("").info())
                .isInstanceOf(RannaConnectionException.class)
                .hasMessageContaining("HTTP 502")
                .hasMessageContaining("Bad Gateway")
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(502));

        answers.put("/v1/spec", new String[] {"200", "[1, 2]"});
        assertThatThrownBy(() -> client("").spec())
                .isInstanceOf(RannaException.class)
                .hasMessageContaining("not a ranna answer");
    }

    @Test
    void no_server_is_a_connection_exception_with_code_zero() {
        int port = http.getAddress().getPort();
        http.stop(0);
        RannaClient client =
                RannaClient.builder().baseUri("http://127.0.0.1:" + port).build();
        assertThatThrownBy(client::info)
                .isInstanceOf(RannaConnectionException.class)
                .satisfies(e -> assertThat(((RannaException) e).code()).isZero());
        assertThatThrownBy(client::connect)
                .isInstanceOf(RannaConnectionException.class)
                .satisfies(e -> assertThat(((RannaException) e).code()).isZero());
    }

    @Test
    void a_refused_upgrade_is_a_connection_exception_with_the_http_status() {
        answers.put("/v1/ws", new String[] {"401", "{\"error\":\"unauthorized\",\"code\":401}"});
        assertThatThrownBy(() -> client("").connect())
                .isInstanceOf(RannaConnectionException.class)
                .satisfies(e -> assertThat(((RannaException) e).code()).isEqualTo(401));
        assertThat(requests).singleElement().asString().startsWith("GET /v1/ws auth=Bearer s3cret");
    }

    @Test
    void the_base_uri_is_normalised_and_names_the_websocket_endpoint() {
        RannaClient plain = RannaClient.builder().baseUri("http://h:8080").build();
        assertThat(plain.baseUri()).isEqualTo(URI.create("http://h:8080"));
        assertThat(plain.webSocketUri()).isEqualTo(URI.create("ws://h:8080/v1/ws"));

        RannaClient prefixed =
                RannaClient.builder().baseUri("https://h/ranna//").build();
        assertThat(prefixed.baseUri()).isEqualTo(URI.create("https://h/ranna"));
        assertThat(prefixed.webSocketUri()).isEqualTo(URI.create("wss://h/ranna/v1/ws"));

        assertThat(RannaClient.builder().baseUri("ws://h:1").build().baseUri()).isEqualTo(URI.create("http://h:1"));
        assertThatThrownBy(() -> RannaClient.builder().baseUri("ftp://h"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ftp://h");
        assertThatThrownBy(() -> RannaClient.builder().build())
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("baseUri");
        assertThatThrownBy(() -> RannaClient.builder().maxBufferedEvents(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
