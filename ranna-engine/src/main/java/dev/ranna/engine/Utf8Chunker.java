package dev.ranna.engine;

import dev.ranna.protocol.Utf8Text;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns one stream's bytes into well-formed UTF-8 chunk by chunk, on bytes: a character split between two
 * reads is carried to the next chunk, invalid bytes become U+FFFD (EF BF BD). Not thread-safe: one per
 * stream, used under the run's lock.
 *
 * <p>Well-formed input, the common case, is checked ({@link Utf8Text#wellFormedLength}, ASCII eight bytes at a
 * time) and copied as it is. A read with anything ill-formed goes through the JDK's decoder instead, with
 * replacement, and back to UTF-8: the output is then exactly what that decoder makes of the stream, as a
 * text chunker built on it did (how many U+FFFD an ill-formed sequence becomes is the decoder's choice).
 * The check is never more lenient than the decoder, so the two paths agree on every stream.
 */
final class Utf8Chunker {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    // At most 3 bytes of an incomplete character wait here between calls; a 4th while one is completed.
    private final byte[] carry = new byte[4];
    private int carried;

    /** Appends the whole characters of {@code bytes[offset, offset+length)} to {@code out}, keeping a cut one. */
    void decode(byte[] bytes, int offset, int length, PendingOutput out) {
        if (carried > 0) {
            // Complete the carried character with the first bytes of this read, then go on without a carry.
            int need = sequenceLength(carry[0]) - carried;
            int take = Math.min(Math.max(need, 0), length);
            System.arraycopy(bytes, offset, carry, carried, take);
            int have = carried + take;
            int valid = Utf8Text.wellFormedLength(carry, 0, have);
            if (need > 0 && take == need && valid == have) {
                out.append(carry, 0, have);
                carried = 0;
                offset += take;
                length -= take;
            } else if (need > 0 && take < need && valid == 0) {
                carried = have; // still cut, and still well-formed so far: this whole read was part of it
                return;
            } else {
                replace(bytes, offset, length, out);
                return;
            }
        }
        if (length == 0) {
            return;
        }
        int valid = Utf8Text.wellFormedLength(bytes, offset, length);
        if (valid < 0) {
            replace(bytes, offset, length, out);
            return;
        }
        out.append(bytes, offset, valid);
        carried = length - valid;
        System.arraycopy(bytes, offset + valid, carry, 0, carried);
    }

    /** The length of the character a lead byte starts; 0 for a byte that starts none. */
    private static int sequenceLength(byte lead) {
        int b = lead & 0xFF;
        if (b >= 0xC2 && b <= 0xDF) {
            return 2;
        }
        if (b >= 0xE0 && b <= 0xEF) {
            return 3;
        }
        if (b >= 0xF0 && b <= 0xF4) {
            return 4;
        }
        return 0;
    }

    /** The rare path: the carry and this read through the JDK's decoder, with replacement. */
    private void replace(byte[] bytes, int offset, int length, PendingOutput out) {
        ByteBuffer in;
        if (carried == 0) {
            in = ByteBuffer.wrap(bytes, offset, length);
        } else {
            in = ByteBuffer.allocate(carried + length);
            in.put(carry, 0, carried).put(bytes, offset, length).flip();
            carried = 0;
        }
        CharBuffer chars = CharBuffer.allocate(in.remaining() + 1);
        CoderResult result = decoder.decode(in, chars, false);
        if (result.isOverflow()) {
            // Cannot happen: one byte never decodes to more than one char, plus one for a replacement.
            throw new IllegalStateException("decoder overflow");
        }
        carried = in.remaining();
        in.get(carry, 0, carried);
        appendChars(chars, out);
    }

    /** Ends the stream: an incomplete trailing character becomes U+FFFD. */
    void finish(PendingOutput out) {
        if (carried == 0) {
            decoder.reset();
            return;
        }
        ByteBuffer in = ByteBuffer.wrap(carry, 0, carried);
        carried = 0;
        CharBuffer chars = CharBuffer.allocate(8);
        decoder.decode(in, chars, true);
        decoder.flush(chars);
        decoder.reset();
        appendChars(chars, out);
    }

    /** Whether a cut character waits for the next read. */
    boolean holdsPartialCharacter() {
        return carried > 0;
    }

    private static void appendChars(CharBuffer chars, PendingOutput out) {
        chars.flip();
        // The decoder makes no unpaired surrogate (an ill-formed sequence is U+FFFD), so this is lossless.
        byte[] utf8 = chars.toString().getBytes(StandardCharsets.UTF_8);
        out.append(utf8, 0, utf8.length);
    }
}
