package dev.ranna.sandbox.docker;

import com.github.dockerjava.api.async.ResultCallback;
import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A docker-java streaming callback with futures instead of latches, and without docker-java's habit of
 * logging every stream error at ERROR level (a killed run's closed stream is expected here).
 *
 * <p>{@link #started()} completes when the response starts (or fails with the request's error); {@link
 * #done()} completes after the last item was handed to the consumer, normally or with the stream's error.
 * Items arrive on docker-java's streaming thread, one at a time; the consumer may block.
 */
final class StreamCallback<T> implements ResultCallback<T> {

    private final Consumer<T> consumer;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile @Nullable Closeable stream;
    private volatile boolean closed;

    StreamCallback(Consumer<T> consumer) {
        this.consumer = consumer;
    }

    CompletableFuture<Void> started() {
        return started;
    }

    CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public void onStart(Closeable stream) {
        this.stream = stream;
        started.complete(null);
        if (closed) {
            closeQuietly(stream);
        }
    }

    @Override
    public void onNext(T item) {
        consumer.accept(item);
    }

    @Override
    public void onError(Throwable throwable) {
        started.completeExceptionally(throwable);
        done.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
        started.complete(null);
        done.complete(null);
    }

    /** Closes the stream; the streaming thread then ends with {@link #onError} or {@link #onComplete}. */
    @Override
    public void close() {
        closed = true;
        Closeable s = stream;
        if (s != null) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException | RuntimeException e) {
            // closing a broken stream is best effort
        }
    }
}
