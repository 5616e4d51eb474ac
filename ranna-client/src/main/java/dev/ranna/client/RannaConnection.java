package dev.ranna.client;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.json.ClientCodec;
import java.lang.System.Logger.Level;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One WebSocket connection to a ranna server ({@code /v1/ws}), from {@link RannaClient#connect()}: starts runs
 * ({@link #exec(ExecutionRequest)}), answers {@link #ping()}, and routes every event to the run it belongs to.
 *
 * <p><b>Nonces.</b> The connection gives every operation it sends a nonce of its own (an integer, unique on
 * this connection) and routes each event by it: SPAWN, LOG, STOP and ERROR of an EXEC to that run, an ERROR
 * answering a run's KILL, STDIN, SIGNAL or RESIZE to that run, a PONG to its {@link #ping()}. Callers never
 * see or choose a nonce.
 *
 * <p><b>Flow control.</b> The connection asks the JDK's WebSocket for one message at a time per free slot of a
 * window of {@linkplain RannaClient.Builder#maxBufferedEvents(int) at most N} (default {@value
 * RannaClient#DEFAULT_MAX_BUFFERED_EVENTS}) events: a slot is taken when an event arrives and freed when a
 * {@link RunListener} returned from it or a reader of {@link RannaRun#events()} took it. So at most N events
 * are ever held for consumers that have not taken them; past that the client stops reading, TCP's window
 * closes and the server (which writes only while its socket is writable) stops reading the program's output.
 * A slow consumer slows the program; it never fills this JVM's heap. The window is shared by all runs of the
 * connection: a run whose events nobody takes stalls the others (read them, or {@link RannaRun#discardEvents()
 * discard} them). A message is assembled from partial frames up to {@linkplain
 * RannaClient.Builder#maxMessageChars(int) a bound}; a larger one closes the connection.
 *
 * <p><b>Threading.</b> Thread-safe: any thread may start runs, ping, send and close. Sending never blocks: the
 * operations are queued in order and the returned stages complete when the message was handed to the network.
 * Events are received on one thread at a time (a thread of the {@code HttpClient}'s executor), which also
 * calls the runs' {@link RunListener}s.
 *
 * <p><b>Lifecycle.</b> Open from {@link RannaClient#connect()} until {@link #close()}, or until the server
 * closes it or the network fails. Then every run still in flight completes its {@link RannaRun#stop()}
 * exceptionally with a {@link RannaConnectionException} at once (the server kills those runs on its side),
 * {@link #closed()} completes, and new runs fail at once. Not reconnected: open a new one.
 */
public final class RannaConnection implements AutoCloseable {
    private static final System.Logger log = System.getLogger("dev.ranna.client");
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    /** A receive buffer grown past this (by a large message) is dropped after it. */
    private static final int SHRINK_ABOVE = 256 * 1024;

    private final ClientCodec codec = ClientCodec.create();
    private final int window;
    private final int maxMessageChars;
    private final AtomicLong nonces = new AtomicLong();
    /** Every nonce a run answers to: its EXEC's and its operations'. */
    private final Map<Long, RannaRun> runs = new ConcurrentHashMap<>();

    private final Map<Long, Ping> pings = new ConcurrentHashMap<>();
    private final AtomicInteger buffered = new AtomicInteger();
    private final AtomicInteger peakBuffered = new AtomicInteger();
    private final CompletableFuture<RannaConnectionException> closed = new CompletableFuture<>();
    private final Receiver receiver = new Receiver();

    private final Object sendLock = new Object();
    /** Guarded by sendLock: the last send, so the next waits for it (the JDK allows one send at a time). */
    private CompletableFuture<?> sendTail = CompletableFuture.completedFuture(null);

    private volatile @Nullable WebSocket socket;

    private record Ping(long sentNanos, CompletableFuture<Duration> answer) {}

    RannaConnection(int window, int maxMessageChars) {
        if (window < 1) {
            throw new IllegalArgumentException("maxBufferedEvents must be >= 1: " + window);
        }
        if (maxMessageChars < 1) {
            throw new IllegalArgumentException("maxMessageChars must be >= 1: " + maxMessageChars);
        }
        this.window = window;
        this.maxMessageChars = maxMessageChars;
    }

    /** The listener to build the WebSocket with; it takes the socket in {@code onOpen}. */
    WebSocket.Listener listener() {
        return receiver;
    }

    /**
     * The socket the JDK built, once its future completed: sends may start at once, whether or not {@code
     * onOpen} (which asks for the first messages) has run yet.
     */
    void attach(WebSocket webSocket) {
        synchronized (sendLock) {
            if (socket == null) {
                socket = webSocket;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Runs

    /**
     * Starts a run whose events are read from {@link RannaRun#events()} (or {@link RannaRun#nextEvent(Duration)})
     * by one thread. Those events count against the connection's window until they are taken: read them to the
     * end, or call {@link RannaRun#discardEvents()}.
     *
     * <p>Never blocks. The EXEC is sent with a fresh nonce; a refusal (unknown language, rate limit, capacity)
     * arrives as an ERROR and completes {@link RannaRun#stop()} exceptionally with its code and message.
     */
    public RannaRun exec(ExecutionRequest request) {
        return start(request, null);
    }

    /**
     * Starts a run whose events are pushed to {@code listener} on the connection's receiving thread (see {@link
     * RunListener} for the order and the threading). Never blocks.
     */
    public RannaRun exec(ExecutionRequest request, RunListener listener) {
        return start(request, Objects.requireNonNull(listener, "listener"));
    }

    private RannaRun start(ExecutionRequest request, @Nullable RunListener listener) {
        Objects.requireNonNull(request, "request");
        long nonce = nextNonce();
        var run = new RannaRun(this, request, nonce, listener);
        runs.put(nonce, run);
        RannaConnectionException failure = closed.getNow(null);
        if (failure != null) {
            runs.remove(nonce);
            run.fail(failure);
            return run;
        }
        send(new Operation.Exec(Nonce.of(nonce), request)).whenComplete((sent, error) -> {
            if (error != null) {
                runs.remove(nonce);
                run.fail(connectionFailure(error));
            }
        });
        return run;
    }

    /**
     * Sends a PING; the stage completes with the round trip time when the PONG arrives, or exceptionally with a
     * {@link RannaConnectionException} if the connection ends first. Never blocks.
     */
    public CompletionStage<Duration> ping() {
        long nonce = nextNonce();
        var ping = new Ping(System.nanoTime(), new CompletableFuture<>());
        pings.put(nonce, ping);
        RannaConnectionException failure = closed.getNow(null);
        if (failure != null) {
            pings.remove(nonce);
            ping.answer.completeExceptionally(failure);
        } else {
            send(new Operation.Ping(Nonce.of(nonce))).whenComplete((sent, error) -> {
                if (error != null) {
                    pings.remove(nonce);
                    ping.answer.completeExceptionally(connectionFailure(error));
                }
            });
        }
        return ping.answer.copy();
    }

    /** Whether the connection is still open (not closed by either side, not failed). */
    public boolean isOpen() {
        return !closed.isDone();
    }

    /**
     * Completes when the connection has ended, with the {@link RannaConnectionException} its runs in flight got
     * (its code is the close status, or 0 after a network failure). Never completes exceptionally.
     */
    public CompletionStage<RannaConnectionException> closed() {
        return closed.copy();
    }

    /**
     * Events received and not yet taken by the readers of {@link RannaRun#events()}: at most {@link
     * #maxBufferedEvents()}. For monitoring and tests.
     */
    public int bufferedEvents() {
        return buffered.get();
    }

    /** The most {@link #bufferedEvents()} ever was on this connection. */
    public int peakBufferedEvents() {
        return peakBuffered.get();
    }

    /** The window: the most events this connection holds for consumers that have not taken them. */
    public int maxBufferedEvents() {
        return window;
    }

    /**
     * Closes the connection: runs still in flight complete their {@link RannaRun#stop()} exceptionally with a
     * {@link RannaConnectionException} (code 1000) at once, and the server kills them. Sends the WebSocket
     * close and waits a bounded time (2 s) for it to go out, then drops the TCP connection. Idempotent.
     */
    @Override
    public void close() {
        boolean first = fail(new RannaConnectionException(
                WebSocket.NORMAL_CLOSURE, "the connection was closed by the client", null));
        WebSocket ws = socket;
        if (!first || ws == null) {
            return;
        }
        CompletableFuture<?> closing;
        synchronized (sendLock) {
            closing = sendTail.handle((x, e) -> null)
                    .thenCompose(x -> ws.sendClose(WebSocket.NORMAL_CLOSURE, ""))
                    .toCompletableFuture();
            sendTail = closing;
        }
        try {
            closing.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.log(Level.DEBUG, "WebSocket close did not go out cleanly", e);
        } finally {
            ws.abort();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Package-private: what runs use

    long nextNonce() {
        return nonces.incrementAndGet();
    }

    void register(long nonce, RannaRun run) {
        runs.put(nonce, run);
    }

    void unregister(long nonce) {
        runs.remove(nonce);
    }

    @Nullable
    RannaConnectionException failure() {
        return closed.getNow(null);
    }

    /** Sends after every earlier send; completes when the JDK took the message, or with a RannaConnectionException. */
    CompletableFuture<Void> send(Operation operation) {
        String text = codec.encode(operation);
        CompletableFuture<Void> result = new CompletableFuture<>();
        synchronized (sendLock) {
            WebSocket ws = socket;
            RannaConnectionException failure = closed.getNow(null);
            if (failure != null || ws == null) {
                result.completeExceptionally(
                        failure != null
                                ? failure
                                : new RannaConnectionException(0, "the connection is not open", null));
                return result;
            }
            sendTail = sendTail.handle((x, e) -> null)
                    .thenCompose(x -> ws.sendText(text, true))
                    .whenComplete((x, e) -> {
                        if (e != null) {
                            result.completeExceptionally(connectionFailure(e));
                        } else {
                            result.complete(null);
                        }
                    });
        }
        return result;
    }

    /** A pull reader took {@code count} events: give their slots back. */
    void taken(int count) {
        if (count <= 0) {
            return;
        }
        buffered.addAndGet(-count);
        WebSocket ws = socket;
        if (ws != null && !closed.isDone()) {
            ws.request(count);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Receiving

    /** Ends the connection once; fails every run and ping still waiting. Returns whether this call ended it. */
    boolean fail(RannaConnectionException failure) {
        if (!closed.complete(failure)) {
            return false;
        }
        var waiting = new ArrayList<>(runs.values());
        runs.clear();
        // A run is registered under several nonces; fail() is idempotent per run.
        for (RannaRun run : waiting) {
            run.fail(failure);
        }
        for (Ping ping : pings.values()) {
            ping.answer.completeExceptionally(failure);
        }
        pings.clear();
        return true;
    }

    private static RannaConnectionException connectionFailure(Throwable error) {
        Throwable cause = error;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RannaConnectionException) {
            return (RannaConnectionException) cause;
        }
        return new RannaConnectionException(0, "the connection failed: " + cause, cause);
    }

    /**
     * Routes one event. Returns whether a pull reader now holds it (its slot comes back when taken); otherwise
     * the caller gives the slot back at once.
     */
    boolean dispatch(Event event) {
        Nonce nonce = event.nonce();
        if (!(nonce instanceof Nonce.Numeric)) {
            log.log(Level.DEBUG, "event without one of our nonces dropped: {0}", event);
            return false;
        }
        long value = ((Nonce.Numeric) nonce).value();
        if (event instanceof Event.Pong) {
            Ping ping = pings.remove(value);
            if (ping != null) {
                ping.answer.complete(Duration.ofNanos(System.nanoTime() - ping.sentNanos));
            }
            return false;
        }
        RannaRun run = runs.get(value);
        if (run == null) {
            // An answer to an operation of a run that has ended (e.g. a KILL racing its STOP).
            log.log(Level.DEBUG, "event for no run in flight dropped: {0}", event);
            return false;
        }
        boolean held = run.receive(event, value);
        if (held) {
            int now = buffered.incrementAndGet();
            peakBuffered.accumulateAndGet(now, Math::max);
        }
        return held;
    }

    private final class Receiver implements WebSocket.Listener {
        /** The message being assembled from its parts; only the receiving thread (one at a time) touches it. */
        private char[] message = new char[1024];

        private int length;
        /** Set by {@link #logs} for the message being decoded. */
        private boolean held;

        /** A LOG decoded by the codec's streaming pass: one String for its text, no JSON tree. */
        private final ClientCodec.LogHandler logs = new ClientCodec.LogHandler() {
            @Override
            public void log(Nonce nonce, RunId runId, StdStream stream, char[] text, int offset, int count) {
                log(nonce, runId, null, stream, text, offset, count);
            }

            @Override
            public void log(
                    Nonce nonce,
                    RunId runId,
                    @Nullable Stage stage,
                    StdStream stream,
                    char[] text,
                    int offset,
                    int count) {
                held = dispatch(new Event.Log(nonce, runId, stream, new String(text, offset, count), stage));
            }
        };

        @Override
        public void onOpen(WebSocket webSocket) {
            attach(webSocket);
            webSocket.request(window);
        }

        @Override
        public @Nullable CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            int size = data.length();
            if ((long) length + size > maxMessageChars) {
                length = 0;
                var failure = new RannaConnectionException(
                        1009, "the server sent a message larger than " + maxMessageChars + " chars", null);
                if (fail(failure)) {
                    webSocket.sendClose(1009, "message too big").whenComplete((x, e) -> webSocket.abort());
                }
                return null;
            }
            if (length + size > message.length) {
                message = Arrays.copyOf(message, Math.max(message.length * 2, length + size));
            }
            if (data instanceof CharBuffer) {
                ((CharBuffer) data).duplicate().get(message, length, size);
            } else {
                data.toString().getChars(0, size, message, length);
            }
            length += size;
            if (!last) {
                // A part of a message is not an event: ask for the rest at once.
                webSocket.request(1);
                return null;
            }
            int whole = length;
            length = 0;
            held = false;
            try {
                Event event = codec.decodeEvent(message, 0, whole, logs);
                if (event != null) {
                    held = dispatch(event);
                }
            } catch (IllegalArgumentException e) {
                // Unknown event codes of a newer server, or a broken message: skipped, the rest still flows.
                log.log(Level.WARNING, "undecodable event skipped: " + e.getMessage());
            }
            if (message.length > SHRINK_ABOVE && whole < SHRINK_ABOVE) {
                // A rare large message does not keep its buffer for the connection's life.
                message = new char[1024];
            }
            if (!held && !closed.isDone()) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public @Nullable CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public @Nullable CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            fail(new RannaConnectionException(
                    statusCode,
                    "the server closed the connection (" + statusCode + (reason.isEmpty() ? "" : " " + reason) + ")",
                    null));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            fail(new RannaConnectionException(0, "the connection failed: " + error, error));
        }
    }
}
