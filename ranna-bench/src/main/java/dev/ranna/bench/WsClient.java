package dev.ranna.bench;

import dev.ranna.client.RannaClient;
import dev.ranna.client.RannaConnection;
import dev.ranna.client.RannaException;
import dev.ranna.client.RannaRun;
import dev.ranna.client.RunListener;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.json.ClientCodec;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The bench's WebSocket client: a thin layer over ranna-client's {@link RannaConnection} that keeps what the
 * scenarios measure ({@link RunTracker}: send and STOP times, stdout counted and checked). Runs' events go to
 * a {@link RunListener}, so at most one event is held at a time. With a read rate set, the listener waits until
 * the output read so far is due at that rate before it returns, and the connection reads nothing meanwhile: the
 * server sees a slow reader through TCP.
 */
final class WsClient {
    static final ClientCodec CODEC = ClientCodec.create();

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
        /** The run, once started. */
        volatile @Nullable RannaRun run;

        RunTracker(boolean keepOutput, int expectChar, boolean interactive) {
            this.keepOutput = keepOutput;
            this.expectChar = expectChar;
            this.chunks = interactive ? new LinkedBlockingQueue<>() : null;
        }

        /** Counts, checks (and keeps, if asked) one LOG's stdout text. Called on the listener's thread only. */
        void stdout(String text) {
            long unexpected = 0;
            if (expectChar >= 0) {
                for (int i = 0, end = text.length(); i < end; i++) {
                    if (text.charAt(i) != expectChar) {
                        unexpected++;
                    }
                }
            }
            stdoutChars.addAndGet(text.length());
            if (unexpected != 0) {
                unexpectedChars.addAndGet(unexpected);
            }
            if (keepOutput) {
                stdout.append(text);
            }
            BlockingQueue<String> queue = chunks;
            if (queue != null) {
                queue.add(text);
            }
        }
    }

    private final RannaConnection connection;
    private final long bytesPerSecond;
    /** Runs by id, for {@link #stdin}. */
    private final ConcurrentHashMap<String, RannaRun> runs = new ConcurrentHashMap<>();
    /** Touched by the receiving thread only (one at a time per connection). */
    private long readChars;

    private long firstReadNanos;
    /** ERRORs answering an operation (not a run's own): a refused STDIN, for example. */
    final AtomicLong protocolErrors = new AtomicLong();

    private WsClient(RannaConnection connection, long bytesPerSecond) {
        this.connection = connection;
        this.bytesPerSecond = bytesPerSecond;
    }

    static WsClient connect(HttpClient http, int port) {
        return connectAsync(http, port, 0, true).join();
    }

    /**
     * @param bytesPerSecond read rate limit (of the runs' output), 0 for none
     * @param decode kept for the scenarios' calls; every connection decodes (an idle one receives nothing)
     */
    static CompletableFuture<WsClient> connectAsync(HttpClient http, int port, long bytesPerSecond, boolean decode) {
        return RannaClient.builder()
                .baseUri("http://127.0.0.1:" + port)
                .httpClient(http)
                .connectTimeout(Duration.ofSeconds(30))
                .build()
                .connectAsync()
                .thenApply(connection -> new WsClient(connection, bytesPerSecond));
    }

    RunTracker exec(String code, boolean keepOutput) {
        return exec(code, keepOutput, -1);
    }

    /** Runs {@code code}; with {@code expectChar >= 0} every stdout char is checked to be that char. */
    RunTracker exec(String code, boolean keepOutput, int expectChar) {
        return start(ExecutionRequest.of(BenchServer.LANGUAGE, code), new RunTracker(keepOutput, expectChar, false));
    }

    /** Runs {@code request} (e.g. a project: {@code files} beside the code); its output is kept. */
    RunTracker exec(ExecutionRequest request) {
        return start(request, new RunTracker(true, -1, false));
    }

    /**
     * Starts an interactive run of {@code code} (EXEC with {@code "interactive": true}); its stdout arrives in
     * {@link RunTracker#chunks}, its id in {@link RunTracker#runId}.
     */
    RunTracker execInteractive(String code) {
        return start(
                ExecutionRequest.of(BenchServer.LANGUAGE, code).withInput("", true, false),
                new RunTracker(false, -1, true));
    }

    private RunTracker start(ExecutionRequest request, RunTracker tracker) {
        RannaRun run = connection.exec(request, new RunListener() {
            @Override
            public void onEvent(Event event) {
                switch (event.eventCode()) {
                    case LOG: {
                        var log = (Event.Log) event;
                        if (log.stream() == StdStream.STDOUT) {
                            tracker.stdout(log.text());
                        }
                        pace(log.text().length());
                        break;
                    }
                    case ERROR: {
                        var error = (Event.Error) event;
                        RannaRun self = tracker.run;
                        if (self != null
                                && tracker.runId.isDone()
                                && !error.nonce().equals(self.nonce())) {
                            protocolErrors.incrementAndGet();
                        } else {
                            tracker.error = error.code() + " " + error.message();
                        }
                        break;
                    }
                    case STOP:
                        tracker.stopNanos = System.nanoTime();
                        tracker.stop.complete((Event.Stop) event);
                        break;
                    case SPAWN:
                    case PONG:
                        break;
                }
            }

            @Override
            public void onFailure(RannaException failure) {
                tracker.runId.completeExceptionally(failure);
                tracker.stop.completeExceptionally(failure);
            }
        });
        // The id is published only once stdin() can find the run by it.
        run.spawned().thenAccept(id -> {
            runs.put(id.value(), run);
            tracker.runId.complete(id.value());
        });
        run.stop().whenComplete((result, error) -> {
            var id = run.runId();
            if (id != null) {
                runs.remove(id.value());
            }
        });
        tracker.run = run;
        return tracker;
    }

    /** Waits, on the receiving thread, until {@code chars} more output is due at the read rate. */
    private void pace(int chars) {
        if (bytesPerSecond <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (firstReadNanos == 0) {
            firstReadNanos = now;
        }
        readChars += chars;
        long due = firstReadNanos + readChars * 1_000_000_000L / bytesPerSecond;
        while (due - System.nanoTime() > 0) {
            LockSupport.parkNanos(due - System.nanoTime());
        }
    }

    /** STDIN to {@code runId}: {@code data}, then EOF if {@code eof}. A refusal counts as a protocol error. */
    void stdin(String runId, String data, boolean eof) {
        RannaRun run = runs.get(runId);
        if (run == null) {
            protocolErrors.incrementAndGet();
            return;
        }
        if (!data.isEmpty() || !eof) {
            run.stdin(data);
        }
        if (eof) {
            run.closeStdin();
        }
    }

    /** Sends a PING; the future completes with the round trip in nanoseconds. */
    CompletableFuture<Long> ping() {
        return connection.ping().thenApply(Duration::toNanos).toCompletableFuture();
    }

    void abort() {
        connection.close();
    }
}
