package dev.ranna.api.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.json.ClientCodec;
import dev.ranna.protocol.schema.ContractSchemas;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Records what a server sends on one WebSocket: whole text messages, each checked against the contract's
 * JSON Schemas when read, and the close. Thread-safe: the JDK's WebSocket calls it on its own thread, the
 * test reads on its own.
 */
public final class WireListener implements WebSocket.Listener {
    private static final ContractSchemas SCHEMAS = ContractSchemas.get();
    private static final ClientCodec CODEC = ClientCodec.create();

    /** A close from the server. */
    public record Close(int status, String reason) {}

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public @Nullable CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        return null;
    }

    @Override
    public @Nullable CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        messages.add("<binary: the contract has one JSON object per text frame>");
        return null;
    }

    @Override
    public @Nullable CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    /** The next message as sent, after checking it against the contract; fails if none comes in time. */
    public String nextText(Duration timeout) throws InterruptedException {
        String text = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(text).as("a message within " + timeout).isNotNull();
        List<String> problems = SCHEMAS.eventProblems(text);
        if (!problems.isEmpty()) {
            throw new AssertionError(
                    ContractSchemas.describe(SCHEMAS.eventSchemaOf(text).orElse("an event schema"), problems, text));
        }
        return text;
    }

    /** The next event. */
    public Event next(Duration timeout) throws InterruptedException {
        return CODEC.decodeEvent(nextText(timeout));
    }

    /** Skips LOG events until another kind arrives. */
    public Event nextNonLog(Duration timeout) throws InterruptedException {
        while (true) {
            Event event = next(timeout);
            if (!(event instanceof Event.Log)) {
                return event;
            }
        }
    }

    /** The server's close, waiting at most {@code timeout}. */
    public Close close(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
