package dev.ranna.spring;

import dev.ranna.engine.EngineSession;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Nonce;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection (a standard Jakarta WebSocket endpoint, created per upgrade by {@link
 * RannaServlet}): one engine session, fed every text message decoded; a binary message is answered {@code
 * 400 "invalid message type"}; a message over {@code api.ws.maxmessagesize} closes with 1009 (the
 * container enforces the buffer size). Events go out through an {@link OutboundQueue}, whose writability
 * is the session's backpressure. After {@code api.ws.pingintervalseconds} of client silence the server
 * pings, and closes (1001) when nothing arrives for {@code api.ws.pongtimeoutseconds} after that, as the
 * Netty server does. Closing the connection closes the session, which kills its runs.
 *
 * <p>The container calls one message handler at a time per connection; engine threads only touch the
 * queue; the keep-alive check runs on the context's timer.
 */
final class RannaEndpoint extends Endpoint {
    private static final Logger log = LoggerFactory.getLogger(RannaEndpoint.class);

    private final ApiContext context;
    private final String clientKey;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long lastActivity = System.nanoTime();
    private volatile boolean awaitingPong;
    private volatile long pingSentAt;
    private @Nullable Session session;
    private @Nullable OutboundQueue outbound;
    private volatile @Nullable EngineSession engineSession;
    private volatile @Nullable ScheduledFuture<?> keepAlive;

    RannaEndpoint(ApiContext context, String clientKey, Runnable release) {
        this.context = context;
        this.clientKey = clientKey;
        this.release = release;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        this.session = session;
        session.setMaxTextMessageBufferSize(context.maxMessageBytes);
        session.setMaxBinaryMessageBufferSize(context.maxMessageBytes);
        session.setMaxIdleTimeout(0);
        var remote = session.getAsyncRemote();
        remote.setSendTimeout(context.writeTimeout.toMillis());
        var queue = new OutboundQueue(
                remote,
                writable -> {
                    EngineSession current = engineSession;
                    if (current != null) {
                        current.writabilityChanged(writable);
                    }
                },
                reason -> {
                    // Off the sending thread: it may be an engine thread inside the session's own send.
                    log.debug("closing WebSocket of {}: {}", clientKey, reason);
                    runOnTimer(() -> {
                        shutdown();
                        closeWith(session, CloseReason.CloseCodes.GOING_AWAY, "client does not read");
                    });
                });
        this.outbound = queue;
        try {
            // Jakarta WebSocket sends a text message only as a String (or through a Writer, chars too), so the
            // event is a String here; a LOG's is decoded once from the bytes the encoder escaped on bytes.
            engineSession = context.engine.openSession(event -> queue.send(context.events.encode(event)), clientKey);
        } catch (IllegalStateException e) {
            // The engine is closed: the application is going down.
            closeWith(session, CloseReason.CloseCodes.TRY_AGAIN_LATER, "server shutting down");
            return;
        }
        session.addMessageHandler(String.class, text -> {
            touch();
            EngineSession current = engineSession;
            if (current != null) {
                current.handle(context.operations.decode(text));
            }
        });
        session.addMessageHandler(ByteBuffer.class, bytes -> {
            touch();
            EngineSession current = engineSession;
            if (current != null) {
                current.handle(DecodeResult.Failure.badRequest(Nonce.NONE, "invalid message type"));
            }
        });
        session.addMessageHandler(PongMessage.class, pong -> touch());
        schedule(context.pingInterval.toNanos());
    }

    private void runOnTimer(Runnable task) {
        try {
            context.timer.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            task.run();
        }
    }

    private void touch() {
        lastActivity = System.nanoTime();
        awaitingPong = false;
    }

    private void schedule(long delayNanos) {
        if (!closed.get()) {
            try {
                keepAlive = context.timer.schedule(this::checkAlive, Math.max(1, delayNanos), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The application is shutting down; the connection goes with it.
            }
        }
    }

    private void checkAlive() {
        Session current = session;
        OutboundQueue queue = outbound;
        if (closed.get() || current == null || queue == null || !current.isOpen()) {
            return;
        }
        long now = System.nanoTime();
        long ping = context.pingInterval.toNanos();
        long pong = context.pongTimeout.toNanos();
        if (awaitingPong) {
            if (now - pingSentAt >= pong) {
                log.info("closing WebSocket of {}: no answer to a ping", clientKey);
                closeWith(current, CloseReason.CloseCodes.GOING_AWAY, "ping timeout");
            } else {
                schedule(pingSentAt + pong - now);
            }
            return;
        }
        if (now - lastActivity >= ping) {
            pingSentAt = now;
            awaitingPong = true;
            queue.ping();
            schedule(pong);
        } else {
            schedule(lastActivity + ping - now);
        }
    }

    @Override
    public void onClose(Session session, CloseReason closeReason) {
        shutdown();
    }

    @Override
    public void onError(Session session, Throwable cause) {
        if (cause instanceof IOException || cause.getCause() instanceof IOException) {
            // The client went away: its doing, and repeatable at will, so no stack trace.
            log.debug("WebSocket of {} failed: {}", clientKey, cause.toString());
        } else {
            log.warn("WebSocket of {} failed", clientKey, cause);
        }
        shutdown();
        if (session.isOpen()) {
            closeWith(session, CloseReason.CloseCodes.UNEXPECTED_CONDITION, "internal error");
        }
    }

    private void shutdown() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ScheduledFuture<?> timer = keepAlive;
        if (timer != null) {
            timer.cancel(false);
        }
        EngineSession current = engineSession;
        engineSession = null;
        if (current != null) {
            current.close();
        }
        OutboundQueue queue = outbound;
        if (queue != null) {
            queue.close();
        }
        release.run();
    }

    private static void closeWith(Session session, CloseReason.CloseCode code, String reason) {
        try {
            session.close(new CloseReason(code, reason));
        } catch (IOException | RuntimeException e) {
            log.debug("closing a WebSocket failed: {}", e.toString());
        }
    }
}
