package dev.ranna.engine;

import dev.ranna.protocol.Event;

/**
 * Where a session's events go: typically one client connection.
 *
 * <p>{@link #send} is called from engine and sandbox threads, possibly concurrently for different runs,
 * but for any one run in order (SPAWN, LOG..., STOP) and never concurrently; it must be thread-safe and
 * must not block (queue the event, e.g. with Netty's {@code writeAndFlush}).
 *
 * <p>Backpressure: while {@link #isWritable()} is false, the engine stops taking output from the
 * session's programs (they block on their pipes) instead of queueing it; at most a small bounded amount
 * per run is still sent. When the sink becomes writable again the transport calls {@link
 * EngineSession#writabilityChanged()}.
 */
public interface EventSink {

    /** Queues {@code event} for the client. Never blocks; never throws for a closed connection. */
    void send(Event event);

    /** Whether the client keeps up; false pauses the session's program output. Defaults to true. */
    default boolean isWritable() {
        return true;
    }
}
