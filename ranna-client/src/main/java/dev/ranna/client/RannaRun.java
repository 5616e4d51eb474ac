package dev.ranna.client;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jspecify.annotations.Nullable;

/**
 * One run started on a {@link RannaConnection}: its events, the operations on it, and its end.
 *
 * <p><b>End.</b> {@link #stop()} completes with the STOP's {@link RunResult}, after every event of the run was
 * delivered. It completes exceptionally with a {@link RannaException} carrying the ERROR's code and message
 * when the server refused the run (an ERROR before SPAWN, e.g. 400 unknown language, 429, 503: no STOP
 * follows), and with a {@link RannaConnectionException} when the connection ended first. An ERROR after
 * SPAWN (408 {@code code execution timed out}, 413 {@code output limit exceeded}, 500) is always followed by a
 * STOP: {@code stop()} then completes normally ({@code timedOut}, {@code truncated}, ...) and the ERROR is
 * {@link #error()}.
 *
 * <p><b>Operations.</b> {@link #kill()}, {@link #stdin(String)}, {@link #closeStdin()}, {@link
 * #signal(ProgramSignal)} and {@link #resize(int, int)} may be called at once, before the SPAWN: they are sent
 * in call order once the run has its id. Each returns a stage that completes when the operation was handed to
 * the network (the server answers success with nothing), or exceptionally if the run never started or the
 * connection ended. A refusal by the server (e.g. 400 {@code "stdin is not open"}) arrives as an {@link
 * Event.Error} among the run's events and in {@link #errors()}; it does not end the run. Operations after the
 * STOP are sent anyway and answered with an ERROR the client drops.
 *
 * <p><b>Events.</b> Either pushed to the {@link RunListener} the run was started with, or read here, by one
 * thread at a time, with {@link #events()} or {@link #nextEvent(Duration)}. Read ones to their end (the STOP,
 * or the refusing ERROR), or call {@link #discardEvents()}: events not taken hold the connection's window.
 *
 * <p><b>Threading.</b> Thread-safe, except that events are read by one thread at a time. Nothing here blocks
 * but {@link #await()}, {@link #events()}'s iteration and {@link #nextEvent(Duration)}.
 */
public final class RannaRun {
    private static final System.Logger log = System.getLogger("dev.ranna.client");

    /** What a pull reader takes: an event, or the end of the events (normal, or the failure to throw). */
    private static final Object END = new Object();

    private final RannaConnection connection;
    private final ExecutionRequest request;
    private final long execNonce;
    private final @Nullable RunListener listener;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final CompletableFuture<RunId> spawned = new CompletableFuture<>();
    private final CompletableFuture<RunResult> stop = new CompletableFuture<>();
    private final List<RannaException> errors = new ArrayList<>();
    private final Object lock = new Object();

    /** Guarded by lock. */
    private final List<Long> operationNonces = new ArrayList<>();
    /** Guarded by lock: the last operation, so the next is sent after it. */
    private CompletableFuture<?> operations;
    /** Guarded by lock. */
    private @Nullable RannaException error;
    /** Guarded by lock. */
    private boolean discarding;
    /** Guarded by lock: the end was delivered (STOP, refusal or failure). */
    private boolean ended;

    /** The end, once the pull reader took it (or {@link #discardEvents()} found it): every later read returns it. */
    private volatile @Nullable Object end;

    RannaRun(RannaConnection connection, ExecutionRequest request, long execNonce, @Nullable RunListener listener) {
        this.connection = connection;
        this.request = request;
        this.execNonce = execNonce;
        this.listener = listener;
        this.operations = spawned;
    }

    /** The request this run was started with. */
    public ExecutionRequest request() {
        return request;
    }

    /** The nonce of this run's EXEC: every SPAWN, LOG, STOP and run ERROR carries it. */
    public Nonce nonce() {
        return Nonce.of(execNonce);
    }

    /** Completes with the run's id at its SPAWN; exceptionally as {@link #stop()} if the run never started. */
    public CompletionStage<RunId> spawned() {
        return spawned.copy();
    }

    /** The run's id once SPAWN arrived, else null. */
    public @Nullable RunId runId() {
        return spawned.isDone() && !spawned.isCompletedExceptionally() ? spawned.join() : null;
    }

    /** Completes with the STOP's result; see the class documentation for the exceptional completions. */
    public CompletionStage<RunResult> stop() {
        return stop.copy();
    }

    /**
     * Waits for the run's end and returns the STOP's result: {@link #stop()} for a thread that may block.
     *
     * @throws RannaException with the ERROR's code and message if the server refused the run
     * @throws RannaConnectionException if the connection ended first, or the thread was interrupted while
     *     waiting (its interrupt flag is then set again)
     */
    public RunResult await() {
        try {
            return stop.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RannaConnectionException(0, "interrupted while waiting for the run's end", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            // Rethrown here, so the stack shows the caller; the original is the cause.
            if (cause instanceof RannaConnectionException) {
                var failure = (RannaConnectionException) cause;
                throw new RannaConnectionException(failure.code(), failure.getMessage(), failure);
            }
            if (cause instanceof RannaException) {
                var failure = (RannaException) cause;
                throw new RannaException(failure.code(), failure.getMessage(), failure);
            }
            throw new RannaConnectionException(0, "the run failed: " + cause, cause);
        }
    }

    /** Whether the run has ended: stopped, refused, or lost with its connection. */
    public boolean isDone() {
        return stop.isDone();
    }

    /**
     * The run's own ERROR (on its EXEC's nonce), e.g. 408 after a timeout or 413 after the output limit, or the
     * refusal; null if there was none. An ERROR answering one of the run's operations is not this (see {@link
     * #errors()}).
     */
    public @Nullable RannaException error() {
        synchronized (lock) {
            return error;
        }
    }

    /** Every ERROR received for this run so far, its own and its operations', in arrival order. */
    public List<RannaException> errors() {
        synchronized (lock) {
            return List.copyOf(errors);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Operations

    /** Sends KILL; the run's STOP ({@code killed}) follows. */
    public CompletionStage<Void> kill() {
        return operate(id -> new Operation.Kill(Nonce.of(operationNonce()), id));
    }

    /** Writes {@code data} (UTF-8) to the standard input of an {@code interactive} run. */
    public CompletionStage<Void> stdin(String data) {
        Objects.requireNonNull(data, "data");
        return operate(id -> new Operation.Stdin(Nonce.of(operationNonce()), id, data, false));
    }

    /** Closes the standard input of an {@code interactive} run: the program reads EOF after what was sent. */
    public CompletionStage<Void> closeStdin() {
        return operate(id -> new Operation.Stdin(Nonce.of(operationNonce()), id, "", true));
    }

    /** Sends {@code signal} to the run's program (its process group). */
    public CompletionStage<Void> signal(ProgramSignal signal) {
        Objects.requireNonNull(signal, "signal");
        return operate(id -> new Operation.Signal(Nonce.of(operationNonce()), id, signal));
    }

    /**
     * Resizes the terminal of a {@code tty} run.
     *
     * @throws IllegalArgumentException if {@code columns} or {@code rows} is outside 1..1000
     */
    public CompletionStage<Void> resize(int columns, int rows) {
        if (columns < Operation.Resize.MIN_SIZE
                || columns > Operation.Resize.MAX_SIZE
                || rows < Operation.Resize.MIN_SIZE
                || rows > Operation.Resize.MAX_SIZE) {
            throw new IllegalArgumentException("terminal size must be 1..1000 each: " + columns + "x" + rows);
        }
        return operate(id -> new Operation.Resize(Nonce.of(operationNonce()), id, columns, rows));
    }

    private long operationNonce() {
        long nonce = connection.nextNonce();
        synchronized (lock) {
            if (!ended) {
                operationNonces.add(nonce);
                connection.register(nonce, this);
            }
        }
        return nonce;
    }

    /** Sends the operation after the SPAWN and after every earlier operation of this run. */
    private CompletionStage<Void> operate(Function<RunId, Operation> operation) {
        CompletableFuture<Void> sent;
        synchronized (lock) {
            sent = operations.handle((x, e) -> null).thenCompose(x -> {
                if (spawned.isCompletedExceptionally()) {
                    // Never started: the same failure as stop().
                    return stop.thenApply(r -> (Void) null);
                }
                return connection.send(operation.apply(spawned.join()));
            });
            operations = sent;
        }
        return sent.copy();
    }

    // ---------------------------------------------------------------------------------------------
    // Reading events

    /**
     * The run's events as a blocking, sequential stream: SPAWN, LOGs, ERRORs, then the STOP, after which it
     * ends; for a refused run the refusing ERROR, then the end. Each element blocks until it arrives. If the
     * connection ends first, the stream throws the {@link RannaConnectionException}. Closing the stream (or
     * leaving it early and closing it) discards the rest, as {@link #discardEvents()}.
     *
     * @throws IllegalStateException if the run was started with a {@link RunListener}
     */
    public Stream<Event> events() {
        requirePull();
        Iterator<Event> iterator = new Iterator<>() {
            private @Nullable Event next;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                try {
                    next = take(-1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RannaException(0, "interrupted while waiting for the run's next event", e);
                }
                return next != null;
            }

            @Override
            public Event next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Event event = Objects.requireNonNull(next);
                next = null;
                return event;
            }
        };
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(
                                iterator, Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.IMMUTABLE),
                        false)
                .onClose(this::discardEvents);
    }

    /**
     * The run's next event, waiting at most {@code timeout}; null if none arrived in time or there are no more
     * (then {@link #isDone()} is true).
     *
     * @throws RannaConnectionException if the connection ended before the run did
     * @throws IllegalStateException if the run was started with a {@link RunListener}
     */
    public @Nullable Event nextEvent(Duration timeout) throws InterruptedException {
        requirePull();
        return take(Math.max(0, timeout.toNanos()));
    }

    /**
     * Drops the events not taken yet and those still to come, giving their slots of the connection's window back
     * (for a run read with {@link #events()} whose events are of no more interest; {@link #stop()} still
     * completes). Idempotent; does nothing for a run with a {@link RunListener}.
     */
    public void discardEvents() {
        if (listener != null) {
            return;
        }
        int dropped = 0;
        synchronized (lock) {
            discarding = true;
            Object item;
            while ((item = queue.poll()) != null) {
                if (item instanceof Event) {
                    dropped++;
                } else {
                    end = item;
                }
            }
        }
        connection.taken(dropped);
    }

    private void requirePull() {
        if (listener != null) {
            throw new IllegalStateException("this run's events go to its RunListener");
        }
    }

    /** The next event; null at the end (or on timeout); throws the connection's failure. */
    private @Nullable Event take(long timeoutNanos) throws InterruptedException {
        Object item = end;
        if (item == null) {
            item = timeoutNanos < 0 ? queue.take() : queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
            if (item == null) {
                return null;
            }
        }
        if (item instanceof Event) {
            connection.taken(1);
            return (Event) item;
        }
        end = item;
        if (item instanceof RannaConnectionException) {
            throw new RannaConnectionException(
                    ((RannaConnectionException) item).code(),
                    ((RannaConnectionException) item).getMessage(),
                    (Throwable) item);
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // Receiving (the connection's receiving thread)

    /**
     * One event routed here by {@code nonce}. Returns whether it is now held for a pull reader (so its window slot
     * is given back only when taken).
     */
    boolean receive(Event event, long nonce) {
        boolean own = nonce == execNonce;
        switch (event.eventCode()) {
            case SPAWN:
                boolean held = deliver(event);
                spawned.complete(((Event.Spawn) event).runId());
                return held;
            case LOG:
                return deliver(event);
            case ERROR: {
                var e = (Event.Error) event;
                var failure = new RannaException(e.code(), e.message());
                boolean refused;
                synchronized (lock) {
                    errors.add(failure);
                    refused = own && !spawned.isDone();
                    if (own && error == null) {
                        error = failure;
                    }
                }
                boolean heldError = deliver(event);
                if (refused) {
                    // Before SPAWN: the server refused the EXEC; no STOP follows.
                    end(failure, false);
                }
                return heldError;
            }
            case STOP: {
                boolean heldStop = deliver(event);
                end(null, false);
                stop.complete(((Event.Stop) event).result());
                return heldStop;
            }
            case PONG:
                return false;
        }
        throw new AssertionError(event.eventCode());
    }

    /** The connection ended before this run did. */
    void fail(RannaConnectionException failure) {
        end(failure, true);
    }

    private boolean deliver(Event event) {
        RunListener target = listener;
        if (target != null) {
            try {
                target.onEvent(event);
            } catch (RuntimeException e) {
                log.log(Level.WARNING, "RunListener threw on " + event.eventCode() + "; ignored", e);
            }
            return false;
        }
        synchronized (lock) {
            if (discarding || ended) {
                return false;
            }
            queue.add(event);
            return true;
        }
    }

    /** Delivers the end once: the STOP (failure null), the refusal, or the connection's failure. */
    private void end(@Nullable RannaException failure, boolean connectionLost) {
        long[] nonces;
        synchronized (lock) {
            if (ended) {
                return;
            }
            ended = true;
            nonces = operationNonces.stream().mapToLong(Long::longValue).toArray();
            if (listener == null) {
                queue.add(connectionLost && failure != null ? failure : END);
            }
        }
        connection.unregister(execNonce);
        for (long nonce : nonces) {
            connection.unregister(nonce);
        }
        if (failure == null) {
            return;
        }
        RunListener target = listener;
        if (target != null) {
            try {
                target.onFailure(failure);
            } catch (RuntimeException e) {
                log.log(Level.WARNING, "RunListener threw on failure; ignored", e);
            }
        }
        spawned.completeExceptionally(failure);
        stop.completeExceptionally(failure);
    }

    @Override
    public String toString() {
        RunId id = runId();
        return "RannaRun[" + request.language() + ", nonce " + execNonce + (id != null ? ", " + id.value() : "")
                + (stop.isDone() ? ", done" : "") + "]";
    }
}
