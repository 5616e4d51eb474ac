// A tiny ranna WebSocket client, no dependencies: runs one program and prints every event as it arrives.
//
//   java ranna-netty/examples/RannaClient.java                         # the seed example, on ws://127.0.0.1:8080/v1/ws
//   java ranna-netty/examples/RannaClient.java ws://host:8080/v1/ws python3 'print("hi")'
//
// With access tokens configured, set RANNA_TOKEN. Exits 0 after the run's STOP, 1 after an ERROR.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

public class RannaClient {
    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "ws://127.0.0.1:8080/v1/ws";
        String language = args.length > 1 ? args[1] : "sh";
        String code = args.length > 2 ? args[2] : "for i in 1 2 3 4 5; do sleep 1; echo '\uD83D\uDC4B' >&2; done";
        String token = System.getenv("RANNA_TOKEN");

        long start = System.nanoTime();
        var result = new CompletableFuture<Integer>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    String message = text.toString();
                    text.setLength(0);
                    System.out.printf("%6.2fs  %s%n", (System.nanoTime() - start) / 1e9, message);
                    if (message.startsWith("{\"code\":4,\"nonce\":1,")) {
                        result.complete(0);
                    } else if (message.startsWith("{\"code\":1,\"nonce\":1,")) {
                        result.complete(1);
                    }
                }
                socket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket socket, int status, String reason) {
                System.out.println("closed: " + status + " " + reason);
                result.complete(1);
                return null;
            }

            @Override
            public void onError(WebSocket socket, Throwable error) {
                System.out.println("error: " + error);
                result.complete(1);
            }
        };
        var builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (token != null && !token.isEmpty()) {
            builder.header("Authorization", "Bearer " + token);
        }
        WebSocket socket = builder.buildAsync(URI.create(url), listener).join();
        String exec = "{\"op\":1,\"nonce\":1,\"args\":{\"language\":" + quote(language) + ",\"code\":" + quote(code) + "}}";
        System.out.println("  sent  " + exec);
        socket.sendText(exec, true).join();
        int status = result.get(120, TimeUnit.SECONDS);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        System.exit(status);
    }

    private static String quote(String value) {
        var out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"').toString();
    }
}
