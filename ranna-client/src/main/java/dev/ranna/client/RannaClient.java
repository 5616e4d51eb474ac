package dev.ranna.client;

import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.SystemInfo;
import dev.ranna.protocol.json.ClientCodec;
import dev.ranna.protocol.json.SpecMapReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A client of one ranna server: its REST API ({@link #spec()}, {@link #info()}, {@link #exec(ExecutionRequest)})
 * and WebSocket connections to it ({@link #connect()}). Works against this project's server and ranna's own Go
 * server (only ranna's fields are required; the additive ones are read when present).
 *
 * <pre>{@code
 * RannaClient client = RannaClient.builder()
 *         .baseUri("https://ranna.example.com")
 *         .token(System.getenv("RANNA_TOKEN"))
 *         .build();
 * ExecutionResponse response = client.exec(ExecutionRequest.of("python3", "print(6 * 7)"));
 * }</pre>
 *
 * <p><b>Token.</b> With a {@linkplain Builder#token(String) token}, every REST request and every WebSocket
 * upgrade carries {@code Authorization: Bearer <token>}, which the server accepts for both (it also accepts
 * {@code ?token=} on the upgrade, for browsers that cannot set headers).
 *
 * <p><b>Threading and lifecycle.</b> Immutable and thread-safe; keep one per server and share it. It holds no
 * resources of its own beyond its {@code HttpClient}: nothing to close (each {@link RannaConnection} is closed
 * on its own). The blocking methods block the calling thread until the answer, and honour interrupts (the
 * thread's interrupt flag is kept and a {@link RannaConnectionException} thrown); the {@code ...Async} forms
 * never block, and complete on a thread of the {@code HttpClient}'s executor.
 */
public final class RannaClient {
    /** The default {@linkplain Builder#maxBufferedEvents(int) window} of a connection, in events. */
    public static final int DEFAULT_MAX_BUFFERED_EVENTS = 64;
    /** The default {@linkplain Builder#maxMessageChars(int) bound} on one WebSocket message, in chars. */
    public static final int DEFAULT_MAX_MESSAGE_CHARS = 16 * 1024 * 1024;

    private static final String JSON = "application/json";

    private final URI baseUri;
    private final @Nullable String token;
    private final Duration connectTimeout;
    private final @Nullable Duration requestTimeout;
    private final HttpClient http;
    private final int maxBufferedEvents;
    private final int maxMessageChars;
    private final ClientCodec codec = ClientCodec.create();

    private RannaClient(Builder builder) {
        URI base = Objects.requireNonNull(builder.baseUri, "baseUri is required");
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        // "http://host:8080" and "http://host:8080/" and "http://host/ranna/" all work: no trailing slash kept.
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        this.baseUri = URI.create(base.getScheme() + "://" + base.getRawAuthority() + path);
        this.token = builder.token;
        this.connectTimeout = builder.connectTimeout;
        this.requestTimeout = builder.requestTimeout;
        this.maxBufferedEvents = builder.maxBufferedEvents;
        this.maxMessageChars = builder.maxMessageChars;
        HttpClient given = builder.httpClient;
        if (given != null) {
            this.http = given;
        } else {
            HttpClient.Builder http = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    // WebSocket upgrades are HTTP/1.1; REST answers are small: one protocol for both.
                    .version(HttpClient.Version.HTTP_1_1);
            if (builder.executor != null) {
                http.executor(builder.executor);
            }
            this.http = http.build();
        }
    }

    /** A builder; {@link Builder#baseUri(String)} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The server's base URI, e.g. {@code http://localhost:8080}, without a trailing slash. */
    public URI baseUri() {
        return baseUri;
    }

    // ---------------------------------------------------------------------------------------------
    // REST

    /** {@code GET /v1/spec}: the server's languages, in the server's order, aliases kept. */
    public SpecMap spec() {
        return await(specAsync());
    }

    /** {@code GET /v1/spec}, without blocking. */
    public CompletableFuture<SpecMap> specAsync() {
        return get("/v1/spec", body -> SpecMapReader.create().read(body));
    }

    /** {@code GET /v1/info}: the server's version and sandbox, and the protocol extensions it supports. */
    public SystemInfo info() {
        return await(infoAsync());
    }

    /** {@code GET /v1/info}, without blocking. */
    public CompletableFuture<SystemInfo> infoAsync() {
        return get("/v1/info", codec::decodeSystemInfo);
    }

    /**
     * {@code POST /v1/exec}: runs {@code request} to its end and returns its output and result (with the compile
     * stage's, for a spec with one). Blocks for as long as the run takes.
     *
     * @throws RannaException with the server's code and message if it refused or failed the run (an unknown
     *     language is 400; a timed-out run is 400 {@code "code execution timed out"}, as ranna answers it)
     */
    public ExecutionResponse exec(ExecutionRequest request) {
        return await(execAsync(request));
    }

    /** {@code POST /v1/exec}, without blocking. */
    public CompletableFuture<ExecutionResponse> execAsync(ExecutionRequest request) {
        Objects.requireNonNull(request, "request");
        HttpRequest.Builder http = rest("/v1/exec")
                .header("Content-Type", JSON)
                .POST(HttpRequest.BodyPublishers.ofString(codec.encode(request), StandardCharsets.UTF_8));
        return send(http.build(), codec::decodeExecutionResponse);
    }

    private <T> CompletableFuture<T> get(String path, Function<String, T> decode) {
        return send(rest(path).GET().build(), decode);
    }

    private HttpRequest.Builder rest(String path) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(baseUri + path)).header("Accept", JSON);
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        if (requestTimeout != null) {
            builder.timeout(requestTimeout);
        }
        return builder;
    }

    private <T> CompletableFuture<T> send(HttpRequest request, Function<String, T> decode) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, error) -> {
                    if (error != null) {
                        throw new CompletionException(failure(request, error));
                    }
                    if (response.statusCode() / 100 != 2) {
                        throw new CompletionException(errorOf(request, response));
                    }
                    try {
                        return decode.apply(response.body());
                    } catch (IllegalArgumentException e) {
                        throw new CompletionException(new RannaException(
                                response.statusCode(),
                                request.method() + " " + request.uri().getPath() + ": not a ranna answer: "
                                        + e.getMessage(),
                                e));
                    }
                });
    }

    /** A REST error: the server's {@code {"error", "code"}}, or the HTTP status and the start of the body. */
    private RannaException errorOf(HttpRequest request, HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body();
        try {
            var error = codec.decodeErrorResponse(body);
            return new RannaException(error.code(), error.error());
        } catch (IllegalArgumentException e) {
            String start = body.length() > 200 ? body.substring(0, 200) + "..." : body;
            return new RannaConnectionException(
                    response.statusCode(),
                    request.method() + " " + request.uri().getPath() + ": HTTP " + response.statusCode()
                            + (start.isBlank() ? "" : ": " + start.strip()),
                    null);
        }
    }

    private static RannaException failure(HttpRequest request, Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof RannaException) {
            return (RannaException) cause;
        }
        String what = request.method() + " " + request.uri();
        if (cause instanceof HttpTimeoutException) {
            return new RannaConnectionException(0, what + ": timed out (" + cause.getMessage() + ")", cause);
        }
        if (cause instanceof IOException) {
            return new RannaConnectionException(0, what + ": " + cause, cause);
        }
        return new RannaConnectionException(0, what + ": failed: " + cause, cause);
    }

    // ---------------------------------------------------------------------------------------------
    // WebSocket

    /**
     * Opens a WebSocket connection to {@code /v1/ws}, blocking until the server accepted the upgrade (or the
     * connect timeout passed).
     *
     * @throws RannaConnectionException if the upgrade was refused (code: the HTTP status, e.g. 401 or 503) or
     *     the server could not be reached (code 0)
     */
    public RannaConnection connect() {
        return await(connectAsync());
    }

    /** Opens a WebSocket connection, without blocking; see {@link #connect()}. */
    public CompletableFuture<RannaConnection> connectAsync() {
        URI ws = webSocketUri();
        var connection = new RannaConnection(maxBufferedEvents, maxMessageChars);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(connectTimeout);
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder.buildAsync(ws, connection.listener()).handle((socket, error) -> {
            if (error == null) {
                connection.attach(socket);
                return connection;
            }
            Throwable cause = unwrap(error);
            if (cause instanceof WebSocketHandshakeException) {
                int status = ((WebSocketHandshakeException) cause).getResponse().statusCode();
                throw new CompletionException(new RannaConnectionException(
                        status, "WebSocket upgrade to " + ws + " refused: HTTP " + status, cause));
            }
            throw new CompletionException(
                    new RannaConnectionException(0, "WebSocket connection to " + ws + " failed: " + cause, cause));
        });
    }

    /** {@code ws://} or {@code wss://}, the base URI's host and path, and {@code /v1/ws}. */
    URI webSocketUri() {
        String scheme = baseUri.getScheme();
        String wsScheme = "https".equalsIgnoreCase(scheme) || "wss".equalsIgnoreCase(scheme) ? "wss" : "ws";
        return URI.create(wsScheme + "://" + baseUri.getRawAuthority() + baseUri.getRawPath() + "/v1/ws");
    }

    // ---------------------------------------------------------------------------------------------

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new RannaConnectionException(0, "interrupted while waiting for the server", e);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof RannaException) {
                // Rethrown from here, so the stack shows the caller; the original is the cause's.
                RannaException original = (RannaException) cause;
                if (original instanceof RannaConnectionException) {
                    throw new RannaConnectionException(original.code(), original.getMessage(), original);
                }
                throw new RannaException(original.code(), original.getMessage(), original);
            }
            throw new RannaConnectionException(0, "failed: " + cause, cause);
        } catch (CancellationException e) {
            throw new RannaConnectionException(0, "cancelled", e);
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    @Override
    public String toString() {
        return "RannaClient[" + baseUri + "]";
    }

    /**
     * Builds a {@link RannaClient}. Not thread-safe; {@link #build()} may be called more than once.
     */
    public static final class Builder {
        private @Nullable URI baseUri;
        private @Nullable String token;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private @Nullable Duration requestTimeout;
        private @Nullable HttpClient httpClient;
        private @Nullable Executor executor;
        private int maxBufferedEvents = DEFAULT_MAX_BUFFERED_EVENTS;
        private int maxMessageChars = DEFAULT_MAX_MESSAGE_CHARS;

        private Builder() {}

        /**
         * The server's base URI: {@code http://host:port} or {@code https://...}, with the path prefix the API is
         * served under, if any ({@code http://host/ranna} for {@code /ranna/v1/...}). Required.
         */
        public Builder baseUri(URI baseUri) {
            Objects.requireNonNull(baseUri, "baseUri");
            String scheme = baseUri.getScheme();
            if (scheme == null
                    || !(scheme.equalsIgnoreCase("http")
                            || scheme.equalsIgnoreCase("https")
                            || scheme.equalsIgnoreCase("ws")
                            || scheme.equalsIgnoreCase("wss"))
                    || baseUri.getRawAuthority() == null) {
                throw new IllegalArgumentException("baseUri must be http(s)://host[:port][/prefix]: " + baseUri);
            }
            String scheme2 = scheme.equalsIgnoreCase("wss")
                    ? "https"
                    : scheme.equalsIgnoreCase("ws") ? "http" : scheme.toLowerCase(java.util.Locale.ROOT);
            String path = baseUri.getRawPath() == null ? "" : baseUri.getRawPath();
            this.baseUri = URI.create(scheme2 + "://" + baseUri.getRawAuthority() + path);
            return this;
        }

        /** The server's base URI as text; see {@link #baseUri(URI)}. */
        public Builder baseUri(String baseUri) {
            return baseUri(URI.create(Objects.requireNonNull(baseUri, "baseUri")));
        }

        /** The access token ({@code Authorization: Bearer}), for a server with tokens; null or empty for none. */
        public Builder token(@Nullable String token) {
            this.token = token == null || token.isEmpty() ? null : token;
            return this;
        }

        /** How long opening a TCP connection (REST or WebSocket) may take. Default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            requirePositive(connectTimeout, "connectTimeout");
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * How long a REST request may wait for its answer; default none, since {@code POST /v1/exec} answers when
         * the run ends (the server's own timeout bounds it).
         */
        public Builder requestTimeout(Duration requestTimeout) {
            requirePositive(requestTimeout, "requestTimeout");
            this.requestTimeout = requestTimeout;
            return this;
        }

        /**
         * The {@code HttpClient} to use (its connect timeout, proxy, SSL context and executor) instead of one of
         * the client's own; {@link #executor(Executor)} is then not used. It must speak HTTP/1.1 for WebSocket
         * upgrades (the JDK's does, whatever its preferred version).
         */
        public Builder httpClient(HttpClient httpClient) {
            this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
            return this;
        }

        /**
         * The executor of the client's own {@code HttpClient}: answers complete and {@link RunListener}s are
         * called on its threads. Default: the JDK's (a cached thread pool).
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * A connection's window: the most events it holds for consumers that have not taken them, and so the
         * most it asks the network for ahead of them (see {@link RannaConnection}). Default {@value
         * #DEFAULT_MAX_BUFFERED_EVENTS}; 1 is the strictest.
         */
        public Builder maxBufferedEvents(int maxBufferedEvents) {
            if (maxBufferedEvents < 1) {
                throw new IllegalArgumentException("maxBufferedEvents must be >= 1: " + maxBufferedEvents);
            }
            this.maxBufferedEvents = maxBufferedEvents;
            return this;
        }

        /**
         * The largest WebSocket message a connection assembles, in chars; a larger one closes the connection
         * (1009). Default {@value #DEFAULT_MAX_MESSAGE_CHARS}.
         */
        public Builder maxMessageChars(int maxMessageChars) {
            if (maxMessageChars < 1) {
                throw new IllegalArgumentException("maxMessageChars must be >= 1: " + maxMessageChars);
            }
            this.maxMessageChars = maxMessageChars;
            return this;
        }

        /**
         * The client.
         *
         * @throws NullPointerException if no base URI was given
         */
        public RannaClient build() {
            return new RannaClient(this);
        }

        private static void requirePositive(Duration duration, String name) {
            Objects.requireNonNull(duration, name);
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + duration);
            }
        }
    }
}
