package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The byte chunker makes exactly the UTF-8 of what the JDK's decoder (with replacement) makes of the whole
 * stream, however the stream is cut into reads: the bytes a String-based chunker sent before.
 */
class Utf8ChunkerTest {

    /** The reference: the whole stream through the JDK's decoder, back to UTF-8. */
    static byte[] reference(byte[] stream) {
        try {
            String text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(stream))
                    .toString();
            return text.getBytes(StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new AssertionError(e);
        }
    }

    /** The stream through one chunker in reads of the given sizes (cycled), then finished. */
    static byte[] chunked(byte[] stream, int[] reads) {
        var chunker = new Utf8Chunker();
        var out = new PendingOutput(8);
        int at = 0;
        int r = 0;
        while (at < stream.length) {
            int n = Math.min(stream.length - at, reads[r++ % reads.length]);
            int before = out.size();
            chunker.decode(stream, at, n, out);
            // Every chunk on its own is well-formed (copyOf checks), so any LOG cut between reads is too.
            out.text(before, out.size());
            at += n;
        }
        chunker.finish(out);
        return out.text(0, out.size()).toByteArray();
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void illFormedInputBecomesTheDecodersReplacementsWhereverTheReadsEnd() {
        List<byte[]> streams = List.of(
                bytes(0xED, 0xA0, 0x80), // a surrogate encoded in UTF-8
                bytes('a', 0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80, 'b'), // a "pair" of them (CESU-8)
                bytes(0xC0, 0x80, 'x'), // overlong NUL
                bytes(0xE0, 0x80, 0xAF), // overlong '/'
                bytes(0xF0, 0x80, 0x80, 0xAF),
                bytes(0xF4, 0x90, 0x80, 0x80), // above U+10FFFF
                bytes(0xF8, 0x88, 0x80, 0x80, 0x80),
                bytes(0xFF, 0xFE, 'z'),
                bytes(0x80, 0xBF),
                bytes('o', 'k', 0xF0, 0x9F, 0x98), // cut at the end of the stream
                bytes(0xE2, 0x82, 'a', 0xC3));
        for (byte[] stream : streams) {
            byte[] expected = reference(stream);
            assertThat(new String(expected, StandardCharsets.UTF_8)).contains("\uFFFD");
            for (int read = 1; read <= stream.length; read++) {
                assertThat(chunked(stream, new int[] {read}))
                        .as("%s in reads of %d", java.util.Arrays.toString(stream), read)
                        .isEqualTo(expected);
            }
        }
        // The JDK's decoder makes one U+FFFD of an encoded surrogate, however it arrives.
        assertThat(chunked(bytes(0xED, 0xA0, 0x80), new int[] {1})).isEqualTo(bytes(0xEF, 0xBF, 0xBD));
    }

    @Test
    void fourByteCharactersCutAtEveryPlaceArriveWhole() {
        byte[] stream = "a😀b👋🏽𝄞".repeat(3).getBytes(StandardCharsets.UTF_8);
        for (int first = 0; first <= stream.length; first++) {
            for (int read = 1; read <= 5; read++) {
                assertThat(chunked(stream, new int[] {first == 0 ? read : first, read}))
                        .isEqualTo(stream);
            }
        }
    }

    @Test
    void randomStreamsInRandomReadsMatchTheDecoder() {
        var random = new Random(11);
        for (int round = 0; round < 3000; round++) {
            var stream = new ByteArrayOutputStream();
            int pieces = random.nextInt(40);
            for (int i = 0; i < pieces; i++) {
                switch (random.nextInt(5)) {
                    case 0:
                        stream.writeBytes("plain text\n".getBytes(StandardCharsets.UTF_8));
                        break;
                    case 1:
                        stream.writeBytes(new String(Character.toChars(random.nextInt(0x110000)))
                                .getBytes(StandardCharsets.UTF_8)); // lone surrogates come out as '?'
                        break;
                    case 2:
                        stream.writeBytes("é😀日".getBytes(StandardCharsets.UTF_8));
                        break;
                    case 3:
                        stream.write(0x80 + random.nextInt(0x80));
                        break;
                    default:
                        stream.write(random.nextInt(256));
                }
            }
            byte[] b = stream.toByteArray();
            int[] reads = new int[1 + random.nextInt(4)];
            for (int i = 0; i < reads.length; i++) {
                reads[i] = 1 + random.nextInt(random.nextBoolean() ? 4 : 64);
            }
            assertThat(chunked(b, reads)).as("round %d", round).isEqualTo(reference(b));
        }
    }

    @Test
    void chunksEndBetweenCharacters() {
        var pending = new PendingOutput(4);
        byte[] text = "ab😀é".getBytes(StandardCharsets.UTF_8); // 2 + 4 + 2 bytes
        pending.append(text, 0, text.length);
        assertThat(pending.chunkEnd(0, 3)).as("not inside the emoji").isEqualTo(2);
        assertThat(pending.chunkEnd(2, 3))
                .as("a chunk too small for one character takes it whole")
                .isEqualTo(6);
        assertThat(pending.chunkEnd(6, 3)).isEqualTo(8);
        assertThat(pending.chunkEnd(0, 100)).isEqualTo(8);
    }
}
