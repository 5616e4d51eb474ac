package dev.ranna.engine;

import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.Operation;

/**
 * One client's conversation with the engine, normally one WebSocket connection.
 *
 * <p><b>Nonce routing.</b> Every event of a run carries the nonce of the EXEC that started it, including
 * the STOP that follows a KILL. A KILL's own nonce appears only on an ERROR about the KILL itself
 * ({@code "sandbox is not running"}: the run is unknown, finished, or belongs to another session). A
 * {@link DecodeResult.Failure} is answered by one ERROR with the nonce it could read.
 *
 * <p><b>Interactive runs.</b> STDIN, SIGNAL and RESIZE follow KILL's ownership rule and answer only when
 * refused, on their own nonce: {@code "sandbox is not running"} as above; STDIN to a run without {@code
 * interactive} or after its EOF {@code 400 "stdin is not open"}, past {@code api.maxstdinbuffer} unread
 * {@code 413 "stdin buffer full"} (nothing of the message is kept); RESIZE of a run without {@code tty}
 * {@code 400 "run has no terminal"}; SIGNAL on a sandbox without {@link
 * dev.ranna.engine.spi.Capability#SIGNALS} {@code 400 "this server's sandbox does not support signals"}.
 * SIGNAL {@code SIGKILL} is a KILL (STOP {@code killed}); another signal that ends the program shows as
 * STOP's {@code signal}, {@code killed} false. An EXEC asking for stdin, {@code interactive} or {@code tty}
 * of a sandbox that lacks the capability gets {@code 400 "this server's sandbox does not support ..."}.
 *
 * <p><b>Per EXEC:</b> a validation problem (language, code, inline, environment, rate limit, capacity)
 * gives one ERROR and nothing else; otherwise exactly one SPAWN, zero or more LOG and exactly one STOP,
 * in that order. A timeout sends ERROR 408 before the STOP, the output limit ERROR 413, a sandbox failure
 * after SPAWN ERROR 500.
 *
 * <p><b>Threading.</b> {@link #handle} never blocks: work goes to the engine's threads; it may be called
 * from any thread (typically an event loop). {@link #close()} kills the session's runs; after it returns
 * no further event reaches the sink (a send in flight on another thread is waited for).
 */
public interface EngineSession extends AutoCloseable {

    /** Handles one decoded client message. Never blocks, never throws for bad input. */
    void handle(DecodeResult inbound);

    /** Handles one operation. */
    default void handle(Operation operation) {
        handle(new DecodeResult.Success(operation));
    }

    /**
     * Tells the session whether its client keeps up: {@code false} pauses the output of the session's
     * programs (each blocks on its pipe once the few bytes in flight are sent), {@code true} resumes it.
     * Sessions start writable. The transport calls this on every change, in order, from one thread at a
     * time (e.g. Netty's {@code channelWritabilityChanged} with {@code channel.isWritable()}); it never
     * blocks on a run.
     */
    void writabilityChanged(boolean writable);

    /** The number of this session's runs that are queued or running. */
    int activeRuns();

    /**
     * Kills every run of this session (their processes or containers are removed) and stops sending
     * events: once it returns, no event reaches the sink. Idempotent; waits only for an event being sent
     * on another thread (sends never block), not for the runs to finish their cleanup.
     */
    @Override
    void close();
}
