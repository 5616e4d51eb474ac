package dev.ranna.netty.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.json.ClientCodec;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records what the server sends: whole text messages with their arrival time, and the close. Every message is
 * checked against the contract's JSON Schemas as it arrives: {@link #next} fails on one that does not match,
 * and {@link #assertEveryMessageMatchedTheContract()} (after each test) on any, read or not.
 */
final class RecordingListener implements WebSocket.Listener {
    /** The listeners made since the last check, so the check after a test sees the messages no one read. */
    private static final Queue<RecordingListener> UNCHECKED = new ConcurrentLinkedQueue<>();

    record Received(String text, long nanos) {
        Event event() {
            return ClientCodec.create().decodeEvent(text);
        }
    }

    record Close(int status, String reason) {}

    final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Close> closed = new CompletableFuture<>();
    final AtomicInteger pings = new AtomicInteger();
    private final Queue<String> contractViolations = new ConcurrentLinkedQueue<>();
    private final StringBuilder partial = new StringBuilder();

    RecordingListener() {
        UNCHECKED.add(this);
    }

    /**
     * Fails if a message that any listener made since the last call received broke the contract, naming the
     * schema and quoting the message; then starts over.
     */
    static void assertEveryMessageMatchedTheContract() {
        List<String> violations = new ArrayList<>();
        for (RecordingListener listener; (listener = UNCHECKED.poll()) != null; ) {
            violations.addAll(listener.contractViolations);
        }
        assertThat(violations)
                .as("messages from the server that break the contract")
                .isEmpty();
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            // The arrival time before the check, so the check's cost never shows in the tests' timings.
            long nanos = System.nanoTime();
            String text = partial.toString();
            partial.setLength(0);
            String violation = Contract.eventViolation(text);
            if (violation != null) {
                contractViolations.add(violation);
            }
            messages.add(new Received(text, nanos));
        }
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        contractViolations.add("a binary frame: the contract has one JSON object per text frame");
        messages.add(new Received("<binary>", System.nanoTime()));
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        // The JDK answers with a pong on its own.
        pings.incrementAndGet();
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    /** The next message, waiting at most {@code timeout}; fails the test if none comes. */
    Received next(Duration timeout) throws InterruptedException {
        Received received = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(received).as("a message within " + timeout).isNotNull();
        String violation = Contract.eventViolation(received.text());
        if (violation != null) {
            throw new AssertionError(violation);
        }
        return received;
    }

    Event nextEvent(Duration timeout) throws InterruptedException {
        return next(timeout).event();
    }

    /** Skips LOG events until an event of another kind arrives. */
    Event nextNonLog(Duration timeout) throws InterruptedException {
        while (true) {
            Event event = nextEvent(timeout);
            if (!(event instanceof Event.Log)) {
                return event;
            }
        }
    }
}
