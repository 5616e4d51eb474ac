package com.example.ranna;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The example starts on a random port and runs hello world over /v1/exec and /v1/ws with the default sandbox. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExampleApplicationTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Test
    void theApplicationGetsNeitherRannasNettyServerNorALoggingBindingOfItsOwn() {
        String[] absent = {"dev.ranna.netty.RannaServer", "io.netty.channel.Channel", "org.slf4j.simple.SimpleLogger"};
        for (String name : absent) {
            assertThatThrownBy(() -> Class.forName(name)).as(name).isInstanceOf(ClassNotFoundException.class);
        }
    }

    @Test
    void helloWorldOverRest() throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/exec"))
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"language\":\"python3\",\"code\":\"print('hello world')\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("\"stdout\":\"hello world\\n\"");
    }

    @Test
    void helloWorldOverTheWebSocket() throws Exception {
        var stop = new CompletableFuture<String>();
        var output = new StringBuilder();
        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/ws"), new WebSocket.Listener() {
                    private final StringBuilder message = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        message.append(data);
                        if (last) {
                            String text = message.toString();
                            message.setLength(0);
                            output.append(text).append('\n');
                            if (text.startsWith("{\"code\":4") || text.startsWith("{\"code\":1")) {
                                stop.complete(text); // STOP, or an ERROR
                            }
                        }
                        webSocket.request(1);
                        return null;
                    }
                })
                .join();
        socket.sendText(
                        "{\"op\":1,\"nonce\":1,\"args\":{\"language\":\"python3\",\"code\":\"print('hello world')\"}}",
                        true)
                .join();

        String last = stop.get(30, TimeUnit.SECONDS);

        assertThat(last).as(output.toString()).startsWith("{\"code\":4");
        assertThat(output).contains("\"hello world\\n\"");
        socket.abort();
    }
}
