package dev.ranna.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.ranna.protocol.Utf8Text;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The byte escaper writes exactly what Jackson writes for the same text, as UTF-8. */
class JsonBytesTest {

    /** Jackson's String generator, then UTF-8: the bytes the wire had before the byte path. */
    static byte[] jackson(String text) {
        var out = new StringWriter();
        try (JsonGenerator g = JsonSupport.FACTORY.createGenerator(out)) {
            g.writeString(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] escaped(byte[] utf8) {
        var out = new ByteArrayOutputStream();
        try {
            JsonBytes.writeString(Utf8Text.copyOf(utf8, 0, utf8.length), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static void assertAsJackson(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertThat(escaped(utf8)).as("%s", text).isEqualTo(jackson(text));
    }

    @Test
    void everyAsciiByteAloneAndInsideARunIsEscapedAsJacksonDoes() {
        for (int b = 0; b < 0x80; b++) {
            String c = String.valueOf((char) b);
            assertAsJackson(c);
            // At every position of a word, so the eight-at-a-time scan meets it everywhere.
            for (int at = 0; at < 17; at++) {
                assertAsJackson("a".repeat(at) + c + "b".repeat(17 - at));
            }
        }
    }

    @Test
    void everyNonAsciiByteValuePassesThroughInsideWellFormedCharacters() {
        // 80..BF as continuation bytes, C2..F4 as leads: every byte value that well-formed UTF-8 can hold.
        for (int b = 0x80; b <= 0xBF; b++) {
            assertAsText(new byte[] {(byte) 0xC2, (byte) b});
            assertAsText(new byte[] {(byte) 0xE1, (byte) b, (byte) 0x80, '"'});
            assertAsText(new byte[] {'\n', (byte) 0xF1, (byte) 0x80, (byte) b, (byte) 0x80});
        }
        for (int lead = 0xC2; lead <= 0xF4; lead++) {
            byte[] c = lead < 0xE0
                    ? new byte[] {(byte) lead, (byte) 0x80}
                    : lead < 0xF0
                            ? new byte[] {(byte) lead, (byte) (lead == 0xE0 ? 0xA0 : 0x80), (byte) 0x80}
                            : new byte[] {(byte) lead, (byte) (lead == 0xF0 ? 0x90 : 0x80), (byte) 0x80, (byte) 0x80};
            assertAsText(c);
        }
    }

    private static void assertAsText(byte[] utf8) {
        String text = new String(utf8, StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("\ufffd");
        assertThat(escaped(utf8)).as("%s", text).isEqualTo(jackson(text));
    }

    @Test
    void theWordTestFindsEveryByteToEscapeAtEveryPositionAndNothingElse() {
        var random = new Random(15);
        for (int b = 0; b < 256; b++) {
            for (int at = 0; at < 8; at++) {
                var word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                boolean expected = false;
                for (int i = 0; i < 8; i++) {
                    int v = i == at ? b : pick(random);
                    expected |= v < 0x20 || v == '"' || v == '\\';
                    word.put((byte) v);
                }
                assertThat(JsonBytes.needsEscape(word.getLong(0)))
                        .as("byte %02x at %d in %016x", b, at, word.getLong(0))
                        .isEqualTo(expected);
            }
        }
    }

    /** A byte that needs no escape, often next to the ones that do (0x20, 0x21, 0x23, 0x5b, 0x5d, 0x80, 0xff). */
    private static int pick(Random random) {
        int[] near = {0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF};
        if (random.nextBoolean()) {
            return near[random.nextInt(near.length)];
        }
        int v;
        do {
            v = random.nextInt(256);
        } while (v < 0x20 || v == '"' || v == '\\');
        return v;
    }

    @Test
    void randomTextOfEveryKindOfCharacterIsEscapedAsJacksonDoes() {
        var random = new Random(42);
        for (int n = 0; n < 3000; n++) {
            var text = new StringBuilder();
            int length = random.nextInt(n % 10 == 0 ? 3000 : 40);
            for (int i = 0; i < length; i++) {
                text.appendCodePoint(codePoint(random));
            }
            assertAsJackson(text.toString());
        }
    }

    static int codePoint(Random random) {
        switch (random.nextInt(8)) {
            case 0:
                return random.nextInt(0x20); // controls
            case 1:
                return "\"\\/\u007f'".charAt(random.nextInt(5));
            case 2:
                return 0x80 + random.nextInt(0x780); // two bytes
            case 3: {
                int c = 0x800 + random.nextInt(0x10000 - 0x800); // three bytes, not a surrogate
                return Character.isSurrogate((char) c) ? 0xFFFD : c;
            }
            case 4:
                return 0x10000 + random.nextInt(0x100000); // four bytes
            default:
                return 0x20 + random.nextInt(0x60); // printable ASCII, the bulk of real output
        }
    }
}
