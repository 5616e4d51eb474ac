package dev.ranna.protocol.json;

import dev.ranna.protocol.Utf8Text;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * JSON string escaping on UTF-8 bytes, for the output of runs: the bytes Jackson writes for the same text,
 * without decoding it to chars and escaping char by char. Control characters get the short escapes (backspace,
 * tab, newline, form feed, carriage return) or a backslash-u escape with upper-case hex digits; the quote and
 * the backslash are escaped; everything else (DEL, non-ASCII) passes through as it is. Runs that need no
 * escaping are found eight bytes at a time and written with one bulk write each.
 *
 * <p>The input must be well-formed UTF-8 ({@link Utf8Text}'s bytes are); stateless and thread-safe.
 */
final class JsonBytes {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    /** The escape of each ASCII byte, or null for a byte written as it is. */
    private static final byte[][] ESCAPES = new byte[128][];

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = new byte[] {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 0xF]};
        }
        ESCAPES['\b'] = new byte[] {'\\', 'b'};
        ESCAPES['\t'] = new byte[] {'\\', 't'};
        ESCAPES['\n'] = new byte[] {'\\', 'n'};
        ESCAPES['\f'] = new byte[] {'\\', 'f'};
        ESCAPES['\r'] = new byte[] {'\\', 'r'};
        ESCAPES['"'] = new byte[] {'\\', '"'};
        ESCAPES['\\'] = new byte[] {'\\', '\\'};
    }

    private JsonBytes() {}

    /** Writes {@code text} as a quoted JSON string. */
    static void writeString(Utf8Text text, OutputStream out) throws IOException {
        text.read((bytes, offset, length) -> writeString(bytes, offset, length, out));
    }

    /** Writes {@code text}'s UTF-8 as a quoted JSON string (an unpaired surrogate becomes {@code '?'}). */
    static void writeString(String text, OutputStream out) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        writeString(bytes, 0, bytes.length, out);
    }

    /** Writes the well-formed UTF-8 {@code bytes[offset, offset+length)} as a quoted JSON string. */
    static void writeString(byte[] bytes, int offset, int length, OutputStream out) throws IOException {
        out.write('"');
        int end = offset + length;
        int run = offset; // the start of the bytes not written yet, none of which needs escaping
        int i = offset;
        while (i < end) {
            // Skip whole words without a byte to escape; most output has none.
            while (i + 8 <= end && !needsEscape((long) LONGS.get(bytes, i))) {
                i += 8;
            }
            // Then byte by byte to the end of the word that holds one (or of the input).
            int stop = Math.min(end, i + 8);
            for (; i < stop; i++) {
                int b = bytes[i];
                if (b >= 0) {
                    byte[] escape = ESCAPES[b];
                    if (escape != null) {
                        if (i > run) {
                            out.write(bytes, run, i - run);
                        }
                        out.write(escape);
                        run = i + 1;
                    }
                }
            }
        }
        if (end > run) {
            out.write(bytes, run, end - run);
        }
        out.write('"');
    }

    /**
     * Whether any of the eight bytes of {@code word} is below 0x20, {@code "} or {@code \}. Bytes of 0x80
     * and above never match. Exact as a whole (a match is always a real one), which is all the caller needs.
     */
    static boolean needsEscape(long word) {
        long notWord = ~word;
        long control = (word - ONES * 0x20) & notWord;
        long quote = word ^ (ONES * '"');
        long backslash = word ^ (ONES * '\\');
        long zeroQuote = (quote - ONES) & ~quote;
        long zeroBackslash = (backslash - ONES) & ~backslash;
        return ((control | zeroQuote | zeroBackslash) & HIGH_BITS) != 0;
    }
}
