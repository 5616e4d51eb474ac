package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.StdinSource;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;

/** An interactive run's input for tests: {@link #send} pieces, then {@link #close} (EOF). */
final class QueueStdin implements StdinSource {
    private static final byte[] END = new byte[0];
    private final LinkedBlockingQueue<byte[]> pieces = new LinkedBlockingQueue<>();
    private byte[] current = new byte[0];
    private int position;
    private boolean ended;

    void send(String text) {
        pieces.add(text.getBytes(StandardCharsets.UTF_8));
    }

    void close() {
        pieces.add(END);
    }

    @Override
    public synchronized int read(byte[] buffer, int offset, int length) throws InterruptedException {
        while (!ended && position == current.length) {
            byte[] next = pieces.take();
            if (next == END) {
                ended = true;
            } else {
                current = next;
                position = 0;
            }
        }
        if (position == current.length) {
            return -1;
        }
        int n = Math.min(length, current.length - position);
        System.arraycopy(current, position, buffer, offset, n);
        position += n;
        return n;
    }
}
