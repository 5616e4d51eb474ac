package dev.ranna.bench;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.json.ProtocolCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A ranna WebSocket client on {@code java.net.http}: sends EXEC/PING, routes events by nonce. With a read
 * rate set it requests the next message only when the bytes read so far are due at that rate, so the
 * server sees a slow reader through TCP (no message is buffered unread in the client beyond one).
 */
final class WsClient implements WebSocket.Listener {
    static final ProtocolCodec CODEC = ProtocolCodec.create();
    private static final ScheduledExecutorService PACER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ws-pacer");
        t.setDaemon(true);
        return t;
    });

    /** The outcome of one EXEC as the client saw it. */
    static final class RunTracker {
        final long sentNanos = System.nanoTime();
        final StringBuilder stdout = new StringBuilder();
        final boolean keepOutput;
        final AtomicLong stdoutChars = new AtomicLong();
        volatile @Nullable String error;
        final CompletableFuture<Event.Stop> stop = new CompletableFuture<>();
        volatile long stopNanos;

        RunTracker(boolean keepOutput) {
            this.keepOutput = keepOutput;
        }
    }

    private final ConcurrentHashMap<Long, RunTracker> runs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CompletableFuture<Long>> pings = new ConcurrentHashMap<>();
    private final AtomicLong nonces = new AtomicLong();
    private final StringBuilder partial = new StringBuilder();
    private final long bytesPerSecond;
    private final boolean decode;
    private long readBytes;
    private long firstReadNanos;
    volatile @Nullable WebSocket ws;
    final AtomicLong protocolErrors = new AtomicLong();

    private WsClient(long bytesPerSecond, boolean decode) {
        this.bytesPerSecond = bytesPerSecond;
        this.decode = decode;
    }

    static WsClient connect(HttpClient http, int port) {
        return connectAsync(http, port, 0, true).join();
    }

    /**
     * @param bytesPerSecond read rate limit, 0 for none
     * @param decode whether to decode events (false: idle connections that only answer pings)
     */
    static CompletableFuture<WsClient> connectAsync(HttpClient http, int port, long bytesPerSecond, boolean decode) {
        var client = new WsClient(bytesPerSecond, decode);
        return http.newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(30))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/ws"), client)
                .thenApply(ws -> {
                    client.ws = ws;
                    return client;
                });
    }

    RunTracker exec(String code, boolean keepOutput) {
        long nonce = nonces.incrementAndGet();
        var tracker = new RunTracker(keepOutput);
        runs.put(nonce, tracker);
        send(CODEC.encode(new Operation.Exec(Nonce.of(nonce), ExecutionRequest.of(BenchServer.LANGUAGE, code))));
        return tracker;
    }

    /** Sends a PING; the future completes with the round trip in nanoseconds. */
    CompletableFuture<Long> ping() {
        long nonce = nonces.incrementAndGet();
        var done = new CompletableFuture<Long>();
        pings.put(nonce, done);
        long t0 = System.nanoTime();
        send(CODEC.encode(new Operation.Ping(Nonce.of(nonce))));
        return done.thenApply(t1 -> t1 - t0);
    }

    private synchronized void send(String text) {
        WebSocket socket = ws;
        if (socket == null) {
            throw new IllegalStateException("not connected");
        }
        socket.sendText(text, true).join();
    }

    void abort() {
        WebSocket socket = ws;
        if (socket != null) {
            socket.abort();
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public @Nullable CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        readBytes += data.length();
        if (last) {
            String text = partial.toString();
            partial.setLength(0);
            handle(text);
        }
        if (bytesPerSecond <= 0) {
            webSocket.request(1);
        } else {
            long now = System.nanoTime();
            if (firstReadNanos == 0) {
                firstReadNanos = now;
            }
            long dueNanos = firstReadNanos + readBytes * 1_000_000_000L / bytesPerSecond;
            long wait = dueNanos - now;
            if (wait <= 0) {
                webSocket.request(1);
            } else {
                PACER.schedule(() -> webSocket.request(1), wait, TimeUnit.NANOSECONDS);
            }
        }
        return null;
    }

    private void handle(String text) {
        if (!decode) {
            return;
        }
        Event event;
        try {
            event = CODEC.decodeEvent(text);
        } catch (RuntimeException e) {
            protocolErrors.incrementAndGet();
            return;
        }
        if (!(event.nonce() instanceof Nonce.Numeric)) {
            protocolErrors.incrementAndGet();
            return;
        }
        long nonce = ((Nonce.Numeric) event.nonce()).value();
        if (event instanceof Event.Pong) {
            var done = pings.remove(nonce);
            if (done != null) {
                done.complete(System.nanoTime());
            }
            return;
        }
        RunTracker tracker = runs.get(nonce);
        if (tracker == null) {
            protocolErrors.incrementAndGet();
            return;
        }
        if (event instanceof Event.Log) {
            var log = (Event.Log) event;
            if (log.stream() == dev.ranna.protocol.StdStream.STDOUT) {
                tracker.stdoutChars.addAndGet(log.text().length());
                if (tracker.keepOutput) {
                    tracker.stdout.append(log.text());
                }
            }
        } else if (event instanceof Event.Error) {
            tracker.error = ((Event.Error) event).code() + " " + ((Event.Error) event).message();
        } else if (event instanceof Event.Stop) {
            runs.remove(nonce);
            tracker.stopNanos = System.nanoTime();
            tracker.stop.complete((Event.Stop) event);
        }
    }

    @Override
    public @Nullable CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        failAll(new IllegalStateException("closed " + statusCode + " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        failAll(error);
    }

    private void failAll(Throwable error) {
        runs.values().forEach(t -> t.stop.completeExceptionally(error));
        pings.values().forEach(p -> p.completeExceptionally(error));
    }
}
