package dev.ranna.bench;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.EventCode;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.json.ClientCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.CharBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
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
    static final ClientCodec CODEC = ClientCodec.create();
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
        /** Every stdout char must be this one; -1 for any. */
        final int expectChar;

        final AtomicLong stdoutChars = new AtomicLong();
        /** Stdout chars that were not {@link #expectChar}. */
        final AtomicLong unexpectedChars = new AtomicLong();

        volatile @Nullable String error;
        /** The run's id, from its SPAWN. */
        final CompletableFuture<String> runId = new CompletableFuture<>();
        /** Each LOG's stdout text as it arrives, for interactive runs; null for the others. */
        final @Nullable BlockingQueue<String> chunks;

        final CompletableFuture<Event.Stop> stop = new CompletableFuture<>();
        volatile long stopNanos;

        RunTracker(boolean keepOutput, int expectChar) {
            this(keepOutput, expectChar, false);
        }

        RunTracker(boolean keepOutput, int expectChar, boolean interactive) {
            this.keepOutput = keepOutput;
            this.expectChar = expectChar;
            this.chunks = interactive ? new LinkedBlockingQueue<>() : null;
        }

        /** Counts, checks (and keeps, if asked) one LOG's stdout text. Called on the listener's thread only. */
        void stdout(char[] chars, int offset, int length) {
            counted(length, unexpected(chars, offset, length));
            if (keepOutput) {
                stdout.append(chars, offset, length);
            }
            BlockingQueue<String> queue = chunks;
            if (queue != null) {
                queue.add(new String(chars, offset, length));
            }
        }

        /** How many of {@code chars[offset, offset+length)} are not {@link #expectChar}. */
        long unexpected(char[] chars, int offset, int length) {
            if (expectChar < 0) {
                return 0;
            }
            long unexpected = 0;
            for (int i = offset, end = offset + length; i < end; i++) {
                if (chars[i] != expectChar) {
                    unexpected++;
                }
            }
            return unexpected;
        }

        void counted(long chars, long unexpected) {
            stdoutChars.addAndGet(chars);
            if (unexpected != 0) {
                unexpectedChars.addAndGet(unexpected);
            }
        }
    }

    private final ClientCodec.LogHandler logs = this::log;
    private final ConcurrentHashMap<Long, RunTracker> runs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CompletableFuture<Long>> pings = new ConcurrentHashMap<>();
    private final AtomicLong nonces = new AtomicLong();
    // The message being received (java.net.http may deliver one in several parts), reused; allocated on
    // first use, so the thousands of idle clients (which do not decode) cost nothing here.
    private char[] message = new char[0];
    private int messageLength;
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
        return exec(code, keepOutput, -1);
    }

    /** Runs {@code code}; with {@code expectChar >= 0} every stdout char is checked to be that char. */
    RunTracker exec(String code, boolean keepOutput, int expectChar) {
        long nonce = nonces.incrementAndGet();
        var tracker = new RunTracker(keepOutput, expectChar);
        runs.put(nonce, tracker);
        send(CODEC.encode(new Operation.Exec(Nonce.of(nonce), ExecutionRequest.of(BenchServer.LANGUAGE, code))));
        return tracker;
    }

    /**
     * Starts an interactive run of {@code code} (EXEC with {@code "interactive": true}, raw JSON as in the
     * wire contract); its stdout arrives in {@link RunTracker#chunks}, its id in {@link RunTracker#runId}.
     */
    RunTracker execInteractive(String code) {
        long nonce = nonces.incrementAndGet();
        var tracker = new RunTracker(false, -1, true);
        runs.put(nonce, tracker);
        send("{\"op\":1,\"nonce\":" + nonce + ",\"args\":{\"language\":\"" + BenchServer.LANGUAGE
                + "\",\"code\":\""
                + code.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                + "\",\"interactive\":true}}");
        return tracker;
    }

    /**
     * STDIN (op 3) to {@code runId}, without a nonce: success sends no event, and a refusal (an ERROR without
     * a nonce) counts as a {@link #protocolErrors protocol error}. {@code data} is plain text (no escaping).
     */
    void stdin(String runId, String data, boolean eof) {
        send("{\"op\":3,\"args\":{\"runid\":\"" + runId + "\",\"data\":\"" + data.replace("\n", "\\n") + "\",\"eof\":"
                + eof + "}}");
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
        int length = data.length();
        readBytes += length;
        if (decode) {
            if (messageLength + length > message.length) {
                message = Arrays.copyOf(message, Math.max(message.length * 2, messageLength + length));
            }
            if (data instanceof CharBuffer) {
                // A bulk copy; StringBuilder.append(CharSequence) copies a CharBuffer char by char.
                ((CharBuffer) data).duplicate().get(message, messageLength, length);
            } else {
                data.toString().getChars(0, length, message, messageLength);
            }
            messageLength += length;
        }
        if (last && decode) {
            int n = messageLength;
            messageLength = 0;
            handle(message, n);
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

    /**
     * One whole message. A LOG is decoded by the codec's streaming pass and its text counted where it
     * lies ({@link #log}); any other event is decoded whole.
     */
    private void handle(char[] text, int length) {
        Event event;
        try {
            event = CODEC.decodeEvent(text, 0, length, logs);
        } catch (RuntimeException e) {
            protocolErrors.incrementAndGet();
            return;
        }
        if (event != null) {
            handle(event);
        }
    }

    /** A LOG's text, counted and checked (and kept, if asked) without a {@code String}. */
    private void log(Nonce nonce, RunId runId, StdStream stream, char[] chars, int offset, int length) {
        RunTracker tracker = nonce.kind() == Nonce.Kind.NUMERIC ? runs.get(((Nonce.Numeric) nonce).value()) : null;
        if (tracker == null) {
            protocolErrors.incrementAndGet();
            return;
        }
        if (stream == StdStream.STDOUT) {
            tracker.stdout(chars, offset, length);
        }
    }

    /** Any event but a LOG. */
    private void handle(Event event) {
        if (event.nonce().kind() != Nonce.Kind.NUMERIC) {
            protocolErrors.incrementAndGet();
            return;
        }
        long nonce = ((Nonce.Numeric) event.nonce()).value();
        if (event.eventCode() == EventCode.PONG) {
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
        switch (event.eventCode()) {
            case ERROR:
                tracker.error = ((Event.Error) event).code() + " " + ((Event.Error) event).message();
                // An EXEC refused before its SPAWN has no run to wait for.
                tracker.runId.completeExceptionally(new IllegalStateException("ERROR " + tracker.error));
                break;
            case STOP:
                runs.remove(nonce);
                tracker.stopNanos = System.nanoTime();
                tracker.stop.complete((Event.Stop) event);
                break;
            case SPAWN:
                tracker.runId.complete(((Event.Spawn) event).runId().value());
                break;
            case PONG:
            case LOG:
                break;
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
