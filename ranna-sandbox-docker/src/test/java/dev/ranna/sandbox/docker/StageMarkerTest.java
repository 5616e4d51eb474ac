package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StageMarkerTest {

    private static final String MARKER = "abaabacXyz0123456789QWERTYUIOPas";

    /** Feeds {@code text} in pieces cut at {@code cuts}; returns compiler output | rest, and the status. */
    private static String feed(String text, int... cuts) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        var marker = new StageMarker(MARKER);
        var before = new ByteArrayOutputStream();
        var after = new ByteArrayOutputStream();
        int from = 0;
        for (int c = 0; c <= cuts.length; c++) {
            int to = c < cuts.length ? cuts[c] : bytes.length;
            if (marker.found()) {
                after.write(bytes, from, to - from);
            } else {
                int end = marker.scan(bytes, from, to - from, before::write);
                if (end >= 0) {
                    after.write(bytes, end, to - end);
                }
            }
            from = to;
        }
        if (!marker.found()) {
            marker.flush(before::write);
            return before.toString(StandardCharsets.ISO_8859_1) + "|-";
        }
        return before.toString(StandardCharsets.ISO_8859_1) + "|" + marker.status() + "|"
                + after.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void splitsCompilerOutputFromTheProgramsWhereverTheFramesAreCut() {
        String compiler = "warning: abaabac ab abaaba abaabacX" + "\n";
        String text = compiler + MARKER + "000\n" + "program";
        for (int a = 0; a <= text.length(); a++) {
            for (int b = a; b <= text.length(); b += 7) {
                assertThat(feed(text, a, b)).as("cut at %d and %d", a, b).isEqualTo(compiler + "|0|program");
            }
        }
    }

    @Test
    void findsTheMarkerRightAfterAnOverlappingFalseStartAndReadsTheStatus() {
        String text = "ab" + "abaab" + MARKER + "001\n";
        assertThat(feed(text)).isEqualTo("ababaab|1|");
        assertThat(feed("x" + MARKER.substring(0, 10) + MARKER + "137\n" + "y"))
                .isEqualTo("x" + MARKER.substring(0, 10) + "|137|y");
    }

    @Test
    void anotherRunsMarkerOrABrokenStatusLineIsPlainOutput() {
        String other = StageMarker.random();
        assertThat(feed("a" + other + "000\nb")).isEqualTo("a" + other + "000\nb|-");
        assertThat(feed(MARKER + "0x0\nrest")).isEqualTo(MARKER + "0x0\nrest|-");
        assertThat(feed("tail" + MARKER.substring(0, 5))).isEqualTo("tail" + MARKER.substring(0, 5) + "|-");
        assertThat(feed("tail" + MARKER + "00")).isEqualTo("tail" + MARKER + "00|-");
    }

    @Test
    void randomBinaryOutputPassesThroughUnchanged() {
        var random = new Random(14);
        for (int round = 0; round < 200; round++) {
            var bytes = new byte[random.nextInt(300)];
            random.nextBytes(bytes);
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            assertThat(feed(text, Math.min(text.length(), random.nextInt(300)))).isEqualTo(text + "|-");
        }
    }

    @Test
    void markersAreRandomLettersAndDigits() {
        String one = StageMarker.random();
        assertThat(one).matches("[A-Za-z0-9]{32}");
        assertThat(StageMarker.random()).isNotEqualTo(one);
    }
}
