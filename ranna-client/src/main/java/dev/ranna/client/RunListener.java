package dev.ranna.client;

import dev.ranna.protocol.Event;

/**
 * Receives the events of one run, pushed as they arrive: {@link RannaConnection#exec(
 * dev.ranna.protocol.ExecutionRequest, RunListener)}.
 *
 * <p><b>Threading.</b> Called on the connection's receiving thread (a thread of the {@code HttpClient}'s
 * executor), one call at a time per connection, in the order the server sent the events. The connection reads
 * the next message from the network only after the call returns: a listener that takes its time slows the
 * server down (TCP backpressure), for every run of this connection, instead of letting events pile up in
 * memory. A listener must not wait for a later event of the same connection (that would wait forever); it may
 * send (kill, stdin, ...), which never waits for the network.
 *
 * <p><b>Order.</b> For a run that starts: {@code SPAWN}, then {@code LOG}s, and {@code ERROR}s (an ERROR of
 * the run itself, e.g. 408 on a timeout, or the refusal of one of the run's operations, e.g. a stdin after
 * EOF), then exactly one {@code STOP}; {@link RannaRun#stop()} completes after {@code onEvent(STOP)} returned.
 * For a run the server refused: one {@code ERROR}, then {@link #onFailure(RannaException)}. For a run whose
 * connection was lost: {@link #onFailure(RannaException)} after the events received so far. Nothing follows
 * {@code STOP} or {@link #onFailure(RannaException)}.
 *
 * <p>An exception thrown by a listener is logged ({@code System.Logger} {@code dev.ranna.client}) and
 * otherwise ignored: the run and the connection go on.
 */
@FunctionalInterface
public interface RunListener {

    /**
     * One event of the run: an {@link Event.Spawn}, {@link Event.Log}, {@link Event.Error} or {@link
     * Event.Stop} (never a PONG).
     */
    void onEvent(Event event);

    /**
     * The run ended without a STOP: the server refused it (the exception carries its ERROR's code and message),
     * or the connection was lost or closed ({@link RannaConnectionException}). Does nothing by default.
     *
     * <p>Called on the receiving thread, except after {@link RannaConnection#close()}: then on the thread that
     * closed, possibly while an {@link #onEvent(Event)} of the same connection is still running.
     */
    default void onFailure(RannaException failure) {}
}
