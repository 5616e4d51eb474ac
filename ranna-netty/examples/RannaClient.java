// A tiny ranna WebSocket client, no dependencies: runs one program and prints every event as it arrives.
//
//   java ranna-netty/examples/RannaClient.java                         # the seed example, on ws://127.0.0.1:8080/v1/ws
//   java ranna-netty/examples/RannaClient.java ws://host:8080/v1/ws python3 'print("hi")'
//
// Interactive runs (the server's "stdin" and "signals" features):
//
//   java ranna-netty/examples/RannaClient.java --interactive [URL]
//       runs a program that asks for a name, answers it with STDIN, waits for the program's loop to
//       count to 3, then presses Ctrl-C with SIGNAL SIGINT, which the program traps to say goodbye
//   java ranna-netty/examples/RannaClient.java --forward [URL [LANGUAGE CODE]]
//       the same program (or yours), driven by you: each line you type goes to it as STDIN, end of input
//       (Ctrl-D) closes its standard input (STDIN eof), Ctrl-C sends it SIGINT
//
// With access tokens configured, set RANNA_TOKEN. Exits 0 after the run's STOP (with the program's exit code
// 0 in the interactive modes), 1 after an ERROR.
//
// It speaks the raw protocol on purpose, to show every message as it crosses the wire, and runs with nothing
// but a JDK. A Java program that uses a ranna server wants ranna-client instead (typed events, nonces and flow
// control handled, errors as exceptions): see "Use from Java" in the README.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class RannaClient {
    private static final String DEFAULT_URL = "ws://127.0.0.1:8080/v1/ws";
    private static final String SEED = "for i in 1 2 3 4 5; do sleep 1; echo '\uD83D\uDC4B' >&2; done";
    /** Portable sh (dash, busybox ash, bash): a prompt, then a loop that traps Ctrl-C. */
    private static final String GREETER = "printf 'What is your name? '\n"
            + "read -r name\n"
            + "echo \"Hello, $name!\"\n"
            + "trap 'echo \"caught SIGINT, goodbye $name\"; exit 0' INT\n"
            + "i=0\n"
            + "while :; do i=$((i+1)); echo \"tick $i (Ctrl-C to stop)\"; sleep 1; done\n";
    private static final Pattern RUN_ID = Pattern.compile("\"runid\":\"([0-9a-f]+)\"");
    private static final Pattern STDOUT = Pattern.compile("\"stdout\":\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern EXIT_CODE = Pattern.compile("\"exitcode\":(-?\\d+)");

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 && args[0].startsWith("--") ? args[0] : "";
        int at = mode.isEmpty() ? 0 : 1;
        String url = args.length > at ? args[at] : DEFAULT_URL;
        switch (mode) {
            case "":
                String language = args.length > 1 ? args[1] : "sh";
                String code = args.length > 2 ? args[2] : SEED;
                System.exit(new RannaClient(url).run(language, code, false, false, (client, message) -> {}));
                break;
            case "--interactive":
                System.exit(new RannaClient(url).run("sh", GREETER, true, false, RannaClient::scripted));
                break;
            case "--forward":
                String lang = args.length > at + 1 ? args[at + 1] : "sh";
                String program = args.length > at + 2 ? args[at + 2] : GREETER;
                System.exit(new RannaClient(url).run(lang, program, true, true, (client, message) -> {}));
                break;
            default:
                System.err.println("unknown option " + mode + "; see the comment at the top of RannaClient.java");
                System.exit(2);
        }
    }

    /** Reacts to what the program printed: answers the prompt once, presses Ctrl-C once at "tick 3". */
    private static void scripted(RannaClient client, String message) {
        if (client.stdout.indexOf("name? ") >= 0 && !client.answered) {
            client.answered = true;
            client.stdin("Ada\n", false);
        }
        if (client.stdout.indexOf("tick 3 ") >= 0 && !client.interrupted) {
            client.interrupted = true;
            client.signal("SIGINT");
        }
    }

    private interface Reaction {
        void onMessage(RannaClient client, String message);
    }

    private final String url;
    private final long start = System.nanoTime();
    private final CompletableFuture<Integer> result = new CompletableFuture<>();
    private final StringBuilder stdout = new StringBuilder();
    private volatile WebSocket socket;
    private volatile String runId;
    private boolean answered;
    private boolean interrupted;
    private int nonce = 1;

    private RannaClient(String url) {
        this.url = url;
    }

    private int run(String language, String code, boolean interactive, boolean forward, Reaction reaction)
            throws Exception {
        String token = System.getenv("RANNA_TOKEN");
        var runStarted = new CompletableFuture<Void>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    String message = text.toString();
                    text.setLength(0);
                    System.out.printf("%6.2fs  %s%n", (System.nanoTime() - start) / 1e9, message);
                    if (message.startsWith("{\"code\":2,\"nonce\":1,")) {
                        Matcher m = RUN_ID.matcher(message);
                        if (m.find()) {
                            runId = m.group(1);
                            runStarted.complete(null);
                        }
                    } else if (message.startsWith("{\"code\":3,\"nonce\":1,")) {
                        Matcher m = STDOUT.matcher(message);
                        if (m.find()) {
                            stdout.append(unescape(m.group(1)));
                        }
                    } else if (message.startsWith("{\"code\":4,\"nonce\":1,")) {
                        Matcher m = EXIT_CODE.matcher(message);
                        result.complete(!interactive || (m.find() && m.group(1).equals("0")) ? 0 : 1);
                    } else if (message.startsWith("{\"code\":1,")) {
                        if (message.contains("invalid operation code")) {
                            System.out.println("        (this server has no interactive runs: see \"features\" in /v1/info)");
                        }
                        if (message.startsWith("{\"code\":1,\"nonce\":1,") || interactive) {
                            result.complete(1);
                        }
                    }
                    reaction.onMessage(RannaClient.this, message);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                System.out.println("closed: " + status + " " + reason);
                result.complete(1);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                System.out.println("error: " + error);
                result.complete(1);
            }
        };
        var builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (token != null && !token.isEmpty()) {
            builder.header("Authorization", "Bearer " + token);
        }
        socket = builder.buildAsync(URI.create(url), listener).join();
        String exec = "{\"op\":1,\"nonce\":1,\"args\":{\"language\":" + quote(language) + ",\"code\":" + quote(code)
                + (interactive ? ",\"interactive\":true" : "") + "}}";
        send(exec);
        if (forward) {
            runStarted.get(30, TimeUnit.SECONDS);
            forwardTerminal();
        }
        int status = result.get(forward ? 3600 : 120, TimeUnit.SECONDS);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        return status;
    }

    /**
     * Your terminal drives the run: each line typed becomes a STDIN op, end of input (Ctrl-D) a STDIN with
     * {@code eof}, and Ctrl-C a SIGNAL SIGINT for the program instead of ending this client.
     */
    private void forwardTerminal() {
        onCtrlC(() -> signal("SIGINT"));
        Thread reader = new Thread(() -> {
            try {
                var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null && !result.isDone(); ) {
                    stdin(line + "\n", false);
                }
                if (!result.isDone()) {
                    stdin("", true);
                }
            } catch (Exception e) {
                System.out.println("stdin: " + e);
            }
        }, "terminal-stdin");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Runs {@code action} on Ctrl-C instead of exiting. {@code sun.misc.Signal} (module jdk.unsupported) is
     * the JDK's only way to handle SIGINT; it is reached reflectively so the compiler does not warn about it.
     * Where it is missing, Ctrl-C ends this client (and the server kills the run with the connection).
     */
    private static void onCtrlC(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object proxy = java.lang.reflect.Proxy.newProxyInstance(
                    handler.getClassLoader(), new Class<?>[] {handler}, (p, method, arguments) -> {
                        if (method.getName().equals("handle")) {
                            action.run();
                        }
                        return null;
                    });
            signal.getMethod("handle", signal, handler)
                    .invoke(null, signal.getConstructor(String.class).newInstance("INT"), proxy);
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.out.println("(Ctrl-C cannot be forwarded here: " + e + ")");
        }
    }

    private synchronized void send(String op) {
        System.out.println("  sent  " + op);
        socket.sendText(op, true).join();
    }

    /** STDIN (op 3): {@code data} to the program's standard input, then EOF if {@code eof}. */
    private void stdin(String data, boolean eof) {
        send("{\"op\":3,\"nonce\":" + (++nonce) + ",\"args\":{\"runid\":\"" + runId + "\",\"data\":" + quote(data)
                + ",\"eof\":" + eof + "}}");
    }

    /** SIGNAL (op 4), e.g. SIGINT for Ctrl-C. */
    private void signal(String name) {
        send("{\"op\":4,\"nonce\":" + (++nonce) + ",\"args\":{\"runid\":\"" + runId + "\",\"signal\":\"" + name
                + "\"}}");
    }

    private static String unescape(String json) {
        var out = new StringBuilder();
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c != '\\' || i + 1 == json.length()) {
                out.append(c);
                continue;
            }
            char e = json.charAt(++i);
            switch (e) {
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'u': out.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16)); i += 4; break;
                default: out.append(e);
            }
        }
        return out.toString();
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
