package dev.ranna.engine;

import dev.ranna.protocol.Event;

/**
 * Where a session's events go: typically one client connection.
 *
 * <p>{@link #send} is called from engine and sandbox threads, possibly concurrently for different runs,
 * but for any one run in order (SPAWN, LOG..., STOP) and never concurrently; it must be thread-safe and
 * must not block (queue the event, e.g. with Netty's {@code writeAndFlush}).
 *
 * <p>Backpressure flows one way: the transport tells the session whether its client keeps up with
 * {@link EngineSession#writabilityChanged(boolean)}; the engine never asks the sink. While the session
 * is told not writable, the engine stops taking output from the session's programs (they block on
 * their pipes) instead of queueing it; at most a small bounded amount per run is still sent.
 */
public interface EventSink {

    /** Queues {@code event} for the client. Never blocks; never throws for a closed connection. */
    void send(Event event);
}
