package dev.ranna.engine;

import dev.ranna.protocol.Utf8Text;
import java.util.Arrays;

/**
 * The coalescer's buffer: well-formed UTF-8 of one stream, whole characters, waiting to be sent as LOG
 * chunks. It grows to the largest chunk plus one read and is reused, so a flood allocates only the chunks it
 * sends. Not thread-safe: used under the run's lock.
 */
final class PendingOutput {
    private byte[] buffer;
    private int size;

    PendingOutput(int capacity) {
        buffer = new byte[capacity];
    }

    void append(byte[] bytes, int offset, int length) {
        if (size + length > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(size + length, buffer.length * 2));
        }
        System.arraycopy(bytes, offset, buffer, size, length);
        size += length;
    }

    int size() {
        return size;
    }

    /**
     * The end of a chunk that starts at {@code start} and holds at most {@code max} bytes: never inside a
     * character (the buffer holds whole characters), so each chunk is well-formed on its own.
     */
    int chunkEnd(int start, int max) {
        int end = Math.min(size, start + max);
        if (end < size) {
            int cut = end;
            while (cut > start && (buffer[cut] & 0xC0) == 0x80) {
                cut--; // a continuation byte: the character starts before it
            }
            if (cut > start) {
                end = cut;
            } else {
                // A chunk smaller than one character (a tiny coalesceBytes): the whole character, then.
                end++;
                while (end < size && (buffer[end] & 0xC0) == 0x80) {
                    end++;
                }
            }
        }
        return end;
    }

    /** A copy of {@code [start, end)}, which {@link #chunkEnd} gave. */
    Utf8Text text(int start, int end) {
        return Utf8Text.copyOf(buffer, start, end - start);
    }

    void clear() {
        size = 0;
    }
}
