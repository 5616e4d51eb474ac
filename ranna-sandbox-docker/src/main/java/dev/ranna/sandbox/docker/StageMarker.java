package dev.ranna.sandbox.docker;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Finds the end of a compile stage in one output stream: the boot header ({@link Boot.Project}) prints
 * {@code <marker><status as three digits>\n} once the compiler and everything it started are gone. The
 * marker is 32 random letters and digits, new for every run, so neither the user's code nor a compiler
 * echoing it (a diagnostic quoting a source line) can contain it. Bytes before the marker are the
 * compiler's, bytes after it the program's; the marker line itself is taken out. It may arrive split over
 * any number of frames: a partial match is held back and handed on as output when it turns out not to be
 * the marker (Knuth-Morris-Pratt, so an overlapping start is never missed).
 *
 * <p>One instance per stream; not thread-safe (a stream's frames arrive on one thread).
 */
final class StageMarker {

    /** Receives output bytes. */
    interface Output {
        void write(byte[] bytes, int offset, int length);
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final int STATUS_LENGTH = 4; // three digits and a newline

    private final byte[] marker;
    private final int[] failure;
    private int matched; // bytes of the marker matched so far
    private final byte[] status = new byte[STATUS_LENGTH];
    private int statusRead = -1; // -1 until the marker matched, then bytes of the status read
    private int result = -1;

    StageMarker(String marker) {
        this.marker = marker.getBytes(StandardCharsets.US_ASCII);
        this.failure = new int[this.marker.length];
        for (int i = 1, k = 0; i < this.marker.length; i++) {
            while (k > 0 && this.marker[i] != this.marker[k]) {
                k = failure[k - 1];
            }
            if (this.marker[i] == this.marker[k]) {
                k++;
            }
            failure[i] = k;
        }
    }

    /** A new per-run marker: 32 characters from a secure random source (190 bits). */
    static String random() {
        var chars = new char[32];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(chars);
    }

    /** Whether the marker line has been seen. */
    boolean found() {
        return result >= 0;
    }

    /** The compiler's status from the marker line; only once {@link #found()}. */
    int status() {
        return result;
    }

    /**
     * Scans {@code bytes[offset, offset + length)} for the marker line, handing what comes before it to
     * {@code before}. Returns the index just past the marker line (the rest is not the compiler's and is
     * not handed on), or -1 if it has not ended in these bytes. Must not be called once {@link #found()}.
     */
    int scan(byte[] bytes, int offset, int length, Output before) {
        int end = offset + length;
        int released = offset; // bytes [written, released) of this array are output, not yet handed on
        int written = offset;
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (statusRead >= 0) {
                status[statusRead++] = b;
                if (statusRead == STATUS_LENGTH) {
                    statusRead = -1;
                    int parsed = parseStatus();
                    if (parsed >= 0) {
                        result = parsed;
                        return i + 1;
                    }
                    // not the header's line after all: it was output
                    before.write(marker, 0, marker.length);
                    before.write(status, 0, STATUS_LENGTH);
                    released = i + 1;
                    written = i + 1;
                }
                continue;
            }
            int previous = matched;
            while (matched > 0 && b != marker[matched]) {
                matched = failure[matched - 1];
            }
            if (b == marker[matched]) {
                matched++;
            }
            // the held bytes (always marker[0, matched)) plus b, minus what is still held, are output now
            int release = previous + 1 - matched;
            if (release > 0) {
                int inArray = i + 1 - released;
                int heldBefore = previous + 1 - inArray; // held from earlier arrays: then nothing is pending here
                int fromHeld = Math.min(release, heldBefore);
                if (fromHeld > 0) {
                    before.write(marker, 0, fromHeld);
                }
                released += release - fromHeld;
            }
            if (matched == marker.length) {
                if (released > written) {
                    before.write(bytes, written, released - written);
                }
                matched = 0;
                statusRead = 0;
                released = i + 1;
                written = i + 1;
            }
        }
        if (released > written) {
            before.write(bytes, written, released - written);
        }
        return -1;
    }

    /** Hands on whatever is held back (the stream ended in the middle of something marker-like). */
    void flush(Output before) {
        if (statusRead >= 0) {
            before.write(marker, 0, marker.length);
            before.write(status, 0, statusRead);
            statusRead = -1;
        } else if (matched > 0) {
            before.write(marker, 0, matched);
        }
        matched = 0;
    }

    private int parseStatus() {
        if (status[3] != '\n') {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < 3; i++) {
            if (status[i] < '0' || status[i] > '9') {
                return -1;
            }
            value = value * 10 + (status[i] - '0');
        }
        return value;
    }
}
