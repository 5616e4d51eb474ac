package dev.ranna.protocol;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Text held as well-formed UTF-8 bytes, or as a {@code String}, whichever it was made from; the other form
 * is made on first use and kept. The server's output path builds it from a program's bytes and writes
 * those bytes to the wire without ever making a {@code String} ({@link #text()} decodes only when a
 * caller asks); a client builds it from the {@code String} it decoded and never encodes it.
 *
 * <p>Immutable and thread-safe. Equality, hash code and {@link #toString()} are those of {@link #text()}.
 *
 * <p>The bytes are always well-formed UTF-8. A {@code String} with an unpaired surrogate has no UTF-8
 * form: its bytes have {@code '?'} in the surrogate's place, as {@link String#getBytes} and Netty write
 * it, and {@link #isWellFormed()} is false.
 */
public final class Utf8Text {
    private static final byte[] NO_BYTES = new byte[0];

    /** The empty text. */
    public static final Utf8Text EMPTY = new Utf8Text(NO_BYTES, "");

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Made from bytes (so well-formed), not from a {@code String}. */
    private final boolean fromBytes;
    // The one it was made from is set; the other is derived on first use. Volatile so that a lazily made
    // array is seen whole by a thread that reads the reference.
    private volatile byte @Nullable [] bytes;
    private volatile @Nullable String text;

    private Utf8Text(byte @Nullable [] bytes, @Nullable String text) {
        this.fromBytes = bytes != null;
        this.bytes = bytes;
        this.text = text;
    }

    /** The text of {@code text}; its bytes are made when first asked for. */
    public static Utf8Text of(String text) {
        if (text.isEmpty()) {
            return EMPTY;
        }
        return new Utf8Text(null, text);
    }

    /**
     * A copy of {@code bytes[offset, offset+length)}, which must be well-formed UTF-8 of whole characters.
     *
     * @throws IllegalArgumentException if the range is not well-formed UTF-8 (an invalid byte, an overlong
     *     form, a surrogate, a code point above U+10FFFF, or a character cut at the end)
     * @throws IndexOutOfBoundsException if the range is outside {@code bytes}
     */
    public static Utf8Text copyOf(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int valid = wellFormedLength(bytes, offset, length);
        if (valid != length) {
            throw new IllegalArgumentException(
                    "not well-formed UTF-8 at byte " + (valid < 0 ? -1 - valid : valid) + " of " + length);
        }
        if (length == 0) {
            return EMPTY;
        }
        return new Utf8Text(Arrays.copyOfRange(bytes, offset, offset + length), null);
    }

    /**
     * How much of {@code bytes[offset, offset+length)} is well-formed UTF-8 made of whole characters:
     *
     * <ul>
     *   <li>{@code length} when all of it is;
     *   <li>less (down to {@code length - 3}) when the range ends with the first bytes of a character that
     *       would be well-formed if the range went on: the return value is where that character starts;
     *   <li>{@code -1 - i} when an ill-formed sequence starts at {@code offset + i} (everything before it
     *       is well-formed).
     * </ul>
     *
     * <p>Well-formed is Unicode's table 3-7: no overlong forms, no surrogates (ED A0..BF), nothing above
     * U+10FFFF, what the JDK's UTF-8 decoder accepts. Where a character is cut by the end of the range this
     * is stricter than the decoder, never more lenient: a cut {@code ED A0} is ill-formed here at once, where
     * the decoder waits for one more byte before it says so. Runs of ASCII are checked eight bytes at a time.
     */
    public static int wellFormedLength(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int b = bytes[i];
            if (b >= 0) {
                i++;
                // A run of ASCII, the common case: skip it a word at a time.
                while (i + 8 <= end && ((long) LONGS.get(bytes, i) & 0x8080808080808080L) == 0) {
                    i += 8;
                }
                continue;
            }
            int lead = b & 0xFF;
            int need;
            int min2 = 0x80;
            int max2 = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                need = 1;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                need = 2;
                if (lead == 0xE0) {
                    min2 = 0xA0; // shorter forms are overlong
                } else if (lead == 0xED) {
                    max2 = 0x9F; // ED A0..BF would be a surrogate
                }
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                need = 3;
                if (lead == 0xF0) {
                    min2 = 0x90;
                } else if (lead == 0xF4) {
                    max2 = 0x8F; // above U+10FFFF
                }
            } else {
                return -1 - (i - offset); // 80..C1 or F5..FF never start a character
            }
            int have = Math.min(need, end - i - 1);
            for (int k = 1; k <= have; k++) {
                int c = bytes[i + k] & 0xFF;
                boolean ok = k == 1 ? c >= min2 && c <= max2 : c >= 0x80 && c <= 0xBF;
                if (!ok) {
                    return -1 - (i - offset);
                }
            }
            if (have < need) {
                return i - offset; // a well-formed start, cut by the end of the range
            }
            i += need + 1;
        }
        return length;
    }

    /** The text; decoded from the bytes on first use. */
    public String text() {
        String t = text;
        if (t == null) {
            t = new String(Objects.requireNonNull(bytes), StandardCharsets.UTF_8);
            text = t;
        }
        return t;
    }

    /** The number of UTF-8 bytes. */
    public int byteLength() {
        return utf8().length;
    }

    /** Whether there is no text. */
    public boolean isEmpty() {
        byte[] b = bytes;
        if (b != null) {
            return b.length == 0;
        }
        return Objects.requireNonNull(text).isEmpty();
    }

    /**
     * Whether the bytes are exactly the text's characters: always for text made from bytes; for text made
     * from a {@code String}, unless it holds an unpaired surrogate.
     */
    public boolean isWellFormed() {
        if (fromBytes) {
            return true;
        }
        String t = Objects.requireNonNull(text);
        for (int i = 0, n = t.length(); i < n; i++) {
            char c = t.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(t.charAt(i + 1))) {
                    i++;
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    /** A copy of the UTF-8 bytes. */
    public byte[] toByteArray() {
        return utf8().clone();
    }

    /**
     * Hands the UTF-8 bytes to {@code reader} as one range, without a copy. The array is this text's own:
     * the reader reads it during the call and neither changes nor keeps it.
     *
     * @throws IOException only if {@code reader} throws
     */
    public void read(ByteRangeReader reader) throws IOException {
        byte[] b = utf8();
        reader.read(b, 0, b.length);
    }

    private byte[] utf8() {
        byte[] b = bytes;
        if (b == null) {
            b = Objects.requireNonNull(text).getBytes(StandardCharsets.UTF_8);
            bytes = b;
        }
        return b;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Utf8Text)) {
            return false;
        }
        Utf8Text other = (Utf8Text) o;
        byte[] mine = bytes;
        byte[] theirs = other.bytes;
        if (fromBytes && other.fromBytes && mine != null && theirs != null) {
            return Arrays.equals(mine, theirs); // both from bytes: well-formed, so equal bytes are equal text
        }
        return text().equals(other.text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    /** The text itself. */
    @Override
    public String toString() {
        return text();
    }

    /** A reader of a range of bytes, e.g. {@code out::write} of an {@link java.io.OutputStream}. */
    @FunctionalInterface
    public interface ByteRangeReader {
        /** Reads {@code bytes[offset, offset+length)}. */
        void read(byte[] bytes, int offset, int length) throws IOException;
    }

    /**
     * Joins texts into one, e.g. a run's output for a REST answer. Not thread-safe.
     */
    public static final class Builder {
        private byte[] buffer;
        private int size;

        /** A builder with room for {@code capacity} bytes before it grows. */
        public Builder(int capacity) {
            if (capacity < 0) {
                throw new IllegalArgumentException("capacity must be >= 0: " + capacity);
            }
            buffer = new byte[capacity];
        }

        /** Appends {@code text}'s bytes. */
        public Builder append(Utf8Text text) {
            byte[] b = text.utf8();
            if (size + b.length > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(size + b.length, buffer.length * 2));
            }
            System.arraycopy(b, 0, buffer, size, b.length);
            size += b.length;
            return this;
        }

        /** The bytes appended so far. */
        public int byteLength() {
            return size;
        }

        /** The text appended so far; the builder can go on. */
        public Utf8Text build() {
            // Well-formed pieces joined are well-formed: no check needed.
            return size == 0 ? EMPTY : new Utf8Text(Arrays.copyOf(buffer, size), null);
        }
    }
}
