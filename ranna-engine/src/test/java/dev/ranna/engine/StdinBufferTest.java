package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ranna.engine.StdinBuffer.Offer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class StdinBufferTest {

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Reads until -1 with a small buffer, so reads wrap around the ring. */
    static String drain(StdinBuffer buffer, int chunk) throws InterruptedException {
        var out = new ByteArrayOutputStream();
        byte[] piece = new byte[chunk];
        int n;
        while ((n = buffer.read(piece, 0, piece.length)) >= 0) {
            out.write(piece, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theInitialInputComesFirstThenOffersInOrderThenTheEnd() throws Exception {
        var buffer = new StdinBuffer(1024, bytes("first "));
        assertThat(buffer.offer(bytes("second "), false)).isEqualTo(Offer.ACCEPTED);
        assertThat(buffer.offer(bytes("third"), true)).isEqualTo(Offer.ACCEPTED);

        assertThat(drain(buffer, 3)).isEqualTo("first second third");
        assertThat(buffer.read(new byte[4], 0, 4)).as("the end is forever").isEqualTo(-1);
    }

    @Test
    void orderIsKeptWhileTheRingWrapsAndGrows() throws Exception {
        var buffer = new StdinBuffer(100, new byte[0]);
        var expected = new StringBuilder("b".repeat(60));
        var received = new StringBuilder();
        assertThat(buffer.offer(bytes(expected.toString()), false)).isEqualTo(Offer.ACCEPTED);
        byte[] piece = new byte[12];
        for (int i = 0; i < 200; i++) {
            String message = "m" + i + ";";
            assertThat(buffer.offer(bytes(message), false)).as(message).isEqualTo(Offer.ACCEPTED);
            expected.append(message);
            if (i % 2 == 0) {
                int n = buffer.read(piece, 0, piece.length);
                received.append(new String(piece, 0, n, StandardCharsets.US_ASCII));
            }
        }
        buffer.offer(new byte[0], true);
        received.append(drain(buffer, 5));
        assertThat(received.toString()).isEqualTo(expected.toString());
    }

    @Test
    void aMessageThatWouldPassTheBoundIsRefusedWholeEofIncluded() throws Exception {
        var buffer = new StdinBuffer(10, bytes("1234"));
        assertThat(buffer.offer(bytes("5678"), false)).isEqualTo(Offer.ACCEPTED);
        assertThat(buffer.offer(bytes("abc"), true)).isEqualTo(Offer.FULL);
        assertThat(buffer.unread()).isEqualTo(8);
        assertThat(buffer.isOpen())
                .as("the refused message's eof was not applied")
                .isTrue();
        assertThat(buffer.offer(bytes("ab"), false)).as("exactly at the bound").isEqualTo(Offer.ACCEPTED);
        assertThat(buffer.offer(bytes("c"), false)).isEqualTo(Offer.FULL);
        assertThat(buffer.offer(new byte[0], true)).as("EOF alone always fits").isEqualTo(Offer.ACCEPTED);

        assertThat(drain(buffer, 4)).isEqualTo("12345678ab");
    }

    @Test
    void whatTheProgramReadFreesRoom() throws Exception {
        var buffer = new StdinBuffer(4, new byte[0]);
        assertThat(buffer.offer(bytes("abcd"), false)).isEqualTo(Offer.ACCEPTED);
        assertThat(buffer.offer(bytes("e"), false)).isEqualTo(Offer.FULL);
        assertThat(buffer.read(new byte[2], 0, 2)).isEqualTo(2);
        assertThat(buffer.offer(bytes("ef"), false)).isEqualTo(Offer.ACCEPTED);
        buffer.offer(new byte[0], true);
        assertThat(drain(buffer, 8)).isEqualTo("cdef");
    }

    @Test
    void anInitialInputLargerThanTheBoundIsKeptButLeavesNoRoom() throws Exception {
        var buffer = new StdinBuffer(4, bytes("0123456789"));
        assertThat(buffer.offer(bytes("x"), false)).isEqualTo(Offer.FULL);
        assertThat(buffer.offer(new byte[0], true)).isEqualTo(Offer.ACCEPTED);
        assertThat(drain(buffer, 3)).isEqualTo("0123456789");
    }

    @Test
    void afterEofEveryOfferIsClosed() {
        var buffer = new StdinBuffer(16, new byte[0]);
        assertThat(buffer.offer(bytes("x"), true)).isEqualTo(Offer.ACCEPTED);
        assertThat(buffer.isOpen()).isFalse();
        assertThat(buffer.offer(bytes("y"), false)).isEqualTo(Offer.CLOSED);
        assertThat(buffer.offer(new byte[0], true)).isEqualTo(Offer.CLOSED);
    }

    @Test
    void aBlockedReaderGetsWhatIsOfferedLater() throws Exception {
        var buffer = new StdinBuffer(16, new byte[0]);
        var read = CompletableFuture.supplyAsync(() -> {
            try {
                return drain(buffer, 16);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        buffer.offer(bytes("late"), false);
        buffer.offer(bytes(" input"), true);
        assertThat(read.get()).isEqualTo("late input");
    }

    @Test
    void releaseDropsTheUnreadInputAndEndsABlockedRead() throws Exception {
        var buffer = new StdinBuffer(16, bytes("unread"));
        byte[] piece = new byte[6];
        assertThat(buffer.read(piece, 0, 6)).isEqualTo(6);
        var result = new AtomicReference<Integer>();
        var reader = new Thread(() -> {
            try {
                result.set(buffer.read(new byte[8], 0, 8));
            } catch (InterruptedException e) {
                result.set(-2);
            }
        });
        reader.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.getState() == Thread.State.WAITING);

        buffer.release();
        reader.join(5000);
        assertThat(result.get()).isEqualTo(-1);
        assertThat(buffer.offer(bytes("x"), false)).isEqualTo(Offer.CLOSED);
        assertThat(buffer.isOpen()).isFalse();

        var released = new StdinBuffer(16, bytes("dropped"));
        released.release();
        assertThat(released.read(new byte[8], 0, 8))
                .as("unread input is dropped")
                .isEqualTo(-1);
    }

    @Test
    void aBlockedReadIsInterruptible() throws Exception {
        var buffer = new StdinBuffer(16, new byte[0]);
        var failure = new AtomicReference<Throwable>();
        var reader = new Thread(() -> {
            try {
                buffer.read(new byte[8], 0, 8);
            } catch (InterruptedException e) {
                failure.set(e);
            }
        });
        reader.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.getState() == Thread.State.WAITING);
        reader.interrupt();
        reader.join(5000);
        assertThat(failure.get()).isInstanceOf(InterruptedException.class);
    }

    @Test
    void readChecksItsArguments() {
        var buffer = new StdinBuffer(16, bytes("x"));
        assertThatThrownBy(() -> buffer.read(new byte[4], 3, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new StdinBuffer(0, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
