package dev.ranna.engine;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns one stream's bytes into valid UTF-8 text chunk by chunk: a character split between two reads is
 * carried to the next chunk, invalid bytes become U+FFFD. Not thread-safe: one per stream, used under
 * the run's lock.
 */
final class Utf8Chunker {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    // At most 3 bytes of an incomplete character wait here between calls.
    private final byte[] carry = new byte[4];
    private int carried;

    /** Decodes {@code bytes[offset, offset+length)}, keeping an incomplete trailing character for later. */
    String decode(byte[] bytes, int offset, int length) {
        if (carried == 0 && isAscii(bytes, offset, length)) {
            // The common case (and the whole of a bulk ASCII stream): ASCII is its own UTF-8 decoding, so
            // copy the bytes straight into a compact String instead of decoding to chars and back.
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        ByteBuffer in;
        if (carried == 0) {
            in = ByteBuffer.wrap(bytes, offset, length);
        } else {
            in = ByteBuffer.allocate(carried + length);
            in.put(carry, 0, carried).put(bytes, offset, length).flip();
            carried = 0;
        }
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        CoderResult result = decoder.decode(in, out, false);
        if (result.isOverflow()) {
            // Cannot happen: one byte never decodes to more than one char, plus one for a replacement.
            throw new IllegalStateException("decoder overflow");
        }
        carried = in.remaining();
        in.get(carry, 0, carried);
        out.flip();
        return out.toString();
    }

    private static boolean isAscii(byte[] bytes, int offset, int length) {
        // No early exit: a plain OR-reduction, which the JIT vectorizes.
        int or = 0;
        for (int i = offset, end = offset + length; i < end; i++) {
            or |= bytes[i];
        }
        return or >= 0;
    }

    /** Ends the stream: an incomplete trailing character becomes U+FFFD. */
    String finish() {
        ByteBuffer in = ByteBuffer.wrap(carry, 0, carried);
        carried = 0;
        CharBuffer out = CharBuffer.allocate(8);
        decoder.decode(in, out, true);
        decoder.flush(out);
        decoder.reset();
        out.flip();
        return out.toString();
    }
}
