package dev.ranna.engine;

import dev.ranna.engine.spi.StdinSource;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The standard input of one interactive run: what the client sent and the program has not read yet, in
 * order, bounded by {@code api.maxstdinbuffer}, then the end once the client sent EOF.
 *
 * <p>The client side {@link #offer}s each STDIN message whole or not at all: a message that would take
 * the unread bytes past the bound is refused ({@link Offer#FULL}) and nothing of it, its EOF included, is
 * kept. The sandbox's pump {@link #read}s, blocking while there is nothing to read. When the run ends,
 * {@link #release()} drops what is left and a blocked or later read returns {@code -1}, so no reader
 * waits for input nobody can send any more.
 *
 * <p>The bytes sit in one ring that grows (doubling) up to the bound, so many small messages cost no
 * more memory than the bytes they carry. Thread-safe; one reader at a time.
 */
final class StdinBuffer implements StdinSource {
    /** How an {@link #offer} went. */
    enum Offer {
        /** Kept (and the input ended, if asked). */
        ACCEPTED,
        /** Refused whole: the unread bytes plus these would pass the bound. */
        FULL,
        /** Refused: the input has ended (EOF sent) or the run is over. */
        CLOSED
    }

    private static final byte[] NOTHING = new byte[0];
    /** A drained ring larger than this is dropped, so an idle interactive run holds no buffer. */
    private static final int KEEP_WHEN_EMPTY = 16 * 1024;

    private final int bound;
    private volatile Runnable onTaken = () -> {};
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Guarded by lock.
    private byte[] ring;
    private int head;
    private int size;
    private boolean ended;
    private boolean released;

    /**
     * @param bound the most unread bytes {@link #offer} lets accumulate
     * @param initial the EXEC's {@code stdin}, kept whatever its size (the code size limit bounds it)
     */
    StdinBuffer(int bound, byte[] initial) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be > 0: " + bound);
        }
        this.bound = bound;
        this.ring = initial.length == 0 ? NOTHING : initial.clone();
        this.size = initial.length;
    }

    /**
     * Appends {@code data}, then ends the input if {@code endInput}; all of it or nothing.
     *
     * @return whether it was kept, and if not why
     */
    Offer offer(byte[] data, boolean endInput) {
        Objects.requireNonNull(data, "data");
        lock.lock();
        try {
            if (ended || released) {
                return Offer.CLOSED;
            }
            // An empty message (EOF alone) always fits, even when the EXEC's stdin alone passed the bound.
            if (data.length > 0 && (long) size + data.length > bound) {
                return Offer.FULL;
            }
            append(data);
            ended = endInput;
            if (data.length > 0 || endInput) {
                changed.signalAll();
            }
            return Offer.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code action} (on the reader's thread, outside this buffer's lock) after each read that took
     * bytes: the program is being handed input, so its next output is likely the answer.
     */
    void onTaken(Runnable action) {
        this.onTaken = Objects.requireNonNull(action, "action");
    }

    /** Whether more input may still be offered: no EOF yet and the run is not over. */
    boolean isOpen() {
        lock.lock();
        try {
            return !ended && !released;
        } finally {
            lock.unlock();
        }
    }

    /** The bytes kept and not read yet. */
    int unread() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** The run is over: drops the unread bytes and ends the input for a blocked or later reader. Idempotent. */
    void release() {
        lock.lock();
        try {
            released = true;
            ring = NOTHING;
            head = 0;
            size = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws InterruptedException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        if (length == 0) {
            return 0;
        }
        int n = take(buffer, offset, length);
        if (n > 0) {
            onTaken.run();
        }
        return n;
    }

    private int take(byte[] buffer, int offset, int length) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (size == 0 && !ended && !released) {
                changed.await();
            }
            if (size == 0) {
                return -1;
            }
            int n = Math.min(length, size);
            int first = Math.min(n, ring.length - head);
            System.arraycopy(ring, head, buffer, offset, first);
            System.arraycopy(ring, 0, buffer, offset + first, n - first);
            head = (head + n) % ring.length;
            size -= n;
            if (size == 0) {
                head = 0;
                if (ring.length > KEEP_WHEN_EMPTY) {
                    ring = NOTHING;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    private void append(byte[] data) {
        int needed = size + data.length;
        if (needed > ring.length) {
            // Grow to at least what is needed, doubling, but not past the bound (or what is needed, if the
            // EXEC's stdin alone was larger).
            int capacity = (int) Math.min(Math.max(needed, Math.max(64L, ring.length * 2L)), Math.max(needed, bound));
            byte[] grown = new byte[capacity];
            int first = Math.min(size, ring.length - head);
            System.arraycopy(ring, head, grown, 0, first);
            System.arraycopy(ring, 0, grown, first, size - first);
            ring = grown;
            head = 0;
        }
        int tail = (head + size) % Math.max(1, ring.length);
        int first = Math.min(data.length, ring.length - tail);
        System.arraycopy(data, 0, ring, tail, first);
        System.arraycopy(data, first, ring, 0, data.length - first);
        size += data.length;
    }
}
