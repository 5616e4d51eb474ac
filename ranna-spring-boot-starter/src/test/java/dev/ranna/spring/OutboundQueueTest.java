package dev.ranna.spring;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The send queue against a scripted container endpoint that completes sends only when told: one message in
 * flight at a time, writability off above the high mark and on again below the low mark, a close past the
 * hard limit.
 */
class OutboundQueueTest {
    private final ArrayDeque<SendHandler> pending = new ArrayDeque<>();
    private final List<String> sent = new ArrayList<>();
    private final List<Boolean> writability = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    private final RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
                if (method.getName().equals("sendText") && args.length == 2) {
                    sent.add((String) args[0]);
                    pending.add((SendHandler) args[1]);
                    return null;
                }
                throw new UnsupportedOperationException(method.getName());
            });

    private final OutboundQueue queue = new OutboundQueue(remote, writability::add, failures::add);

    private void completeOne() {
        pending.poll().onResult(new SendResult());
    }

    @Test
    void oneMessageIsInFlightAtATime() {
        queue.send("a");
        queue.send("b");

        assertThat(sent).containsExactly("a");
        completeOne();
        assertThat(sent).containsExactly("a", "b");
    }

    @Test
    void writabilityFollowsTheWaterMarks() {
        String chunk = "x".repeat(8 * 1024); // 16 KiB queued each, at two bytes a character
        for (int i = 0; i < 9; i++) {
            queue.send(chunk);
        }
        assertThat(queue.queuedBytes()).isGreaterThan(OutboundQueue.HIGH_WATER);
        assertThat(writability).containsExactly(false);

        while (queue.queuedBytes() >= OutboundQueue.LOW_WATER) {
            completeOne();
        }
        assertThat(writability).containsExactly(false, true);
        assertThat(failures).isEmpty();
    }

    @Test
    void pastTheHardLimitTheConnectionFails() {
        String chunk = "x".repeat(512 * 1024);
        for (int i = 0; i < 9; i++) {
            queue.send(chunk);
        }

        assertThat(failures).containsExactly("client does not read its events");
        queue.send("after");
        assertThat(sent).doesNotContain("after");
    }

    @Test
    void aFailedSendFailsTheConnectionOnce() {
        queue.send("a");
        queue.send("b");
        pending.poll().onResult(new SendResult(new java.io.IOException("timeout")));

        assertThat(failures).hasSize(1).first().asString().contains("timeout");
        assertThat(sent).containsExactly("a");
    }
}
