package dev.ranna.spring;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendResult;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One WebSocket connection's outgoing messages: a queue sent one message at a time with the container's
 * asynchronous send, so no thread ever blocks on a slow client, and the session's backpressure signal.
 *
 * <p>Like Netty's channel writability: when the bytes queued and not yet written pass {@link #HIGH_WATER}
 * the connection turns unwritable (the engine then stops taking output from the session's programs, which
 * block on their pipes), and writable again below {@link #LOW_WATER}. What the engine still sends while
 * unwritable is bounded per run, and replies to the client's own messages are small; past {@link
 * #HARD_LIMIT} (a client that sends and never reads) the connection is closed, as is one whose message
 * has not reached it for the write timeout. So a slow client costs at most {@link #HARD_LIMIT} of heap.
 *
 * <p>Thread-safe: {@link #send} is called from engine threads, completions arrive on container threads.
 * The writability listener is called with the latest state, one call at a time.
 */
final class OutboundQueue {
    /** Netty's server uses the same marks (32 KiB low, 128 KiB high). */
    static final int LOW_WATER = 32 * 1024;

    static final int HIGH_WATER = 128 * 1024;
    static final int HARD_LIMIT = 8 * 1024 * 1024;

    private static final Object PING = new Object();

    private final RemoteEndpoint.Async remote;
    private final Consumer<Boolean> writabilityListener;
    private final Consumer<String> failure;
    private final Object lock = new Object();
    private final Object publishLock = new Object();
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private final AtomicInteger wip = new AtomicInteger();
    private long queuedBytes;
    private boolean inFlight;
    private boolean writable = true;
    private boolean closed;

    /**
     * @param writabilityListener told every change of writability (the session's {@code writabilityChanged})
     * @param failure told once why the connection must close (the queue is then closed)
     */
    OutboundQueue(RemoteEndpoint.Async remote, Consumer<Boolean> writabilityListener, Consumer<String> failure) {
        this.remote = remote;
        this.writabilityListener = writabilityListener;
        this.failure = failure;
    }

    /** Queues a text message. Never blocks; dropped once closed. */
    void send(String text) {
        String reason = null;
        synchronized (lock) {
            if (closed) {
                return;
            }
            queue.add(text);
            queuedBytes += 2L * text.length();
            if (queuedBytes > HARD_LIMIT) {
                reason = "client does not read its events";
            }
        }
        if (reason != null) {
            fail(reason);
            return;
        }
        publishWritability();
        drain();
    }

    /** Queues a ping frame. */
    void ping() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            queue.add(PING);
        }
        drain();
    }

    /** Bytes queued and not yet written (an estimate: two per character). */
    long queuedBytes() {
        synchronized (lock) {
            return queuedBytes;
        }
    }

    /** Drops what is queued; nothing more is sent. */
    void close() {
        synchronized (lock) {
            closed = true;
            queue.clear();
            queuedBytes = 0;
        }
    }

    /** Sends while nothing is in flight; a completion that arrives inside sendText only counts as missed work. */
    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            while (true) {
                Object next;
                synchronized (lock) {
                    if (inFlight || closed || queue.isEmpty()) {
                        break;
                    }
                    next = queue.poll();
                    inFlight = true;
                }
                if (next == PING) {
                    sendPing();
                } else {
                    String text = (String) next;
                    try {
                        remote.sendText(text, result -> sent(text, result));
                    } catch (RuntimeException e) {
                        fail("send failed: " + e);
                    }
                }
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void sendPing() {
        try {
            remote.sendPing(ByteBuffer.allocate(0));
        } catch (Exception e) {
            fail("ping failed: " + e);
            return;
        }
        synchronized (lock) {
            inFlight = false;
        }
    }

    private void sent(String text, SendResult result) {
        synchronized (lock) {
            inFlight = false;
            queuedBytes = Math.max(0, queuedBytes - 2L * text.length());
        }
        if (!result.isOK()) {
            Throwable cause = result.getException();
            fail("send failed: " + (cause == null ? "unknown" : cause.toString()));
            return;
        }
        publishWritability();
        drain();
    }

    /** Tells the listener the current state if it changed; the last call always carries the latest state. */
    private void publishWritability() {
        synchronized (publishLock) {
            Boolean change = null;
            synchronized (lock) {
                if (writable && queuedBytes > HIGH_WATER) {
                    writable = false;
                    change = false;
                } else if (!writable && queuedBytes < LOW_WATER) {
                    writable = true;
                    change = true;
                }
            }
            if (change != null) {
                writabilityListener.accept(change);
            }
        }
    }

    private void fail(String reason) {
        @Nullable String why = null;
        synchronized (lock) {
            if (!closed) {
                closed = true;
                queue.clear();
                why = reason;
            }
        }
        if (why != null) {
            failure.accept(why);
        }
    }
}
