package dev.ranna.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Utf8Text}: well-formedness exactly as the JDK's decoder sees it; equality of the text, whatever the form. */
class Utf8TextTest {

    /** What the JDK's strict decoder says of a range: the same three answers as wellFormedLength. */
    static int jdk(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CoderResult result = decoder.decode(in, CharBuffer.allocate(bytes.length + 1), false);
        if (result.isMalformed()) {
            return -1 - in.position();
        }
        return in.position(); // underflow: what is left is the start of a character
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void illFormedSequencesAreFoundWhereTheJdkFindsThem() {
        List<byte[]> cases = List.of(
                bytes(0xED, 0xA0, 0x80), // a surrogate (U+D800) encoded in UTF-8
                bytes('a', 0xED, 0xBF, 0xBF), // U+DFFF
                bytes(0xC0, 0x80), // overlong NUL
                bytes(0xC1, 0xBF), // overlong
                bytes(0xE0, 0x80, 0x80), // overlong three bytes
                bytes(0xE0, 0x9F, 0xBF),
                bytes(0xF0, 0x80, 0x80, 0x80), // overlong four bytes
                bytes(0xF0, 0x8F, 0xBF, 0xBF),
                bytes(0xF4, 0x90, 0x80, 0x80), // above U+10FFFF
                bytes(0xF5, 0x80, 0x80, 0x80),
                bytes(0xFF),
                bytes(0x80),
                bytes('a', 'b', 0xBF),
                bytes(0xC3, 'a'),
                bytes(0xE2, 0x82, 'a'),
                bytes(0xF0, 0x9F, 0x98, 'a'));
        for (byte[] c : cases) {
            int found = Utf8Text.wellFormedLength(c, 0, c.length);
            assertThat(found)
                    .as("%s", java.util.Arrays.toString(c))
                    .isNegative()
                    .isEqualTo(jdk(c));
            assertThatThrownBy(() -> Utf8Text.copyOf(c, 0, c.length)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aCharacterCutByTheEndIsLeftForLater() {
        byte[] smile = "😀".getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < 4; cut++) {
            byte[] b = new byte[2 + cut];
            b[0] = 'o';
            b[1] = 'k';
            System.arraycopy(smile, 0, b, 2, cut);
            assertThat(Utf8Text.wellFormedLength(b, 0, b.length)).isEqualTo(2).isEqualTo(jdk(b));
        }
        assertThat(Utf8Text.wellFormedLength(bytes(0xE0, 0xA0), 0, 2)).isZero();
        // Stricter than the decoder, which waits for a third byte before it rejects the start of a surrogate.
        assertThat(Utf8Text.wellFormedLength(bytes(0xED, 0xA0), 0, 2)).isEqualTo(-1);
        assertThat(jdk(bytes(0xED, 0xA0))).isZero();
    }

    @Test
    void randomBytesGetTheJdksAnswer() {
        var random = new Random(7);
        for (int n = 0; n < 20_000; n++) {
            var out = new ByteArrayOutputStream();
            int pieces = random.nextInt(12);
            for (int i = 0; i < pieces; i++) {
                switch (random.nextInt(4)) {
                    case 0:
                        out.writeBytes(
                                "plain ascii text".substring(random.nextInt(16)).getBytes(StandardCharsets.UTF_8));
                        break;
                    case 1:
                        out.writeBytes(new String(Character.toChars(random.nextInt(0x110000)))
                                .getBytes(StandardCharsets.UTF_8));
                        break;
                    case 2:
                        out.write(0x80 + random.nextInt(0x80)); // a byte that may or may not fit
                        break;
                    default:
                        out.write(random.nextInt(256));
                }
            }
            byte[] b = out.toByteArray();
            int offset = b.length == 0 ? 0 : random.nextInt(b.length);
            byte[] range = java.util.Arrays.copyOfRange(b, offset, b.length);
            int found = Utf8Text.wellFormedLength(b, offset, b.length - offset);
            int jdk = jdk(range);
            if (found >= 0) {
                assertThat(found).as("%s", java.util.Arrays.toString(range)).isEqualTo(jdk);
            } else {
                // Ill-formed where the decoder says so, or (stricter) at a cut start the decoder still waits on.
                assertThat(jdk).as("%s", java.util.Arrays.toString(range)).isIn(found, -1 - found);
                if (jdk >= 0) {
                    assertThat(range.length - jdk).isBetween(1, 3);
                }
            }
        }
    }

    @Test
    void textMadeFromBytesEqualsTheSameTextMadeFromAString() {
        String s = "héllo 😀\n";
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Utf8Text fromBytes = Utf8Text.copyOf(b, 0, b.length);
        b[0] = 'X'; // a copy: the caller's array is its own
        assertThat(fromBytes)
                .isEqualTo(Utf8Text.of(s))
                .hasSameHashCodeAs(Utf8Text.of(s))
                .hasToString(s);
        assertThat(fromBytes.text()).isEqualTo(s);
        assertThat(fromBytes.byteLength()).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        assertThat(fromBytes).isNotEqualTo(Utf8Text.of("héllo 😀"));
        assertThat(Utf8Text.copyOf(b, 0, 0)).isSameAs(Utf8Text.EMPTY);
        assertThat(new Utf8Text.Builder(1)
                        .append(Utf8Text.of("hé"))
                        .append(fromBytes)
                        .build())
                .isEqualTo(Utf8Text.of("hé" + s));
    }

    @Test
    void aLoneSurrogateHasNoUtf8FormAndBecomesAQuestionMark() {
        Utf8Text lone = Utf8Text.of("a\ud800b");
        assertThat(lone.isWellFormed()).isFalse();
        assertThat(lone.toByteArray()).isEqualTo(bytes('a', '?', 'b'));
        assertThat(lone.text()).isEqualTo("a\ud800b");
        assertThat(Utf8Text.of("a😀b").isWellFormed()).isTrue();
    }
}
