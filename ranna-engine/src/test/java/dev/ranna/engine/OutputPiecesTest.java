package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Sizes;
import dev.ranna.protocol.InlineTemplate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Unit tests of the small pieces on the output and admission paths. */
class OutputPiecesTest {

    /** One read through the chunker, as text. */
    static String decode(Utf8Chunker chunker, byte[] bytes, int offset, int length) {
        var out = new PendingOutput(16);
        chunker.decode(bytes, offset, length, out);
        return out.text(0, out.size()).text();
    }

    static String finish(Utf8Chunker chunker) {
        var out = new PendingOutput(16);
        chunker.finish(out);
        return out.text(0, out.size()).text();
    }

    @Test
    void chunkerCarriesSplitCharactersAndReplacesInvalidBytes() {
        var chunker = new Utf8Chunker();
        byte[] text = "aé👋z".getBytes(StandardCharsets.UTF_8);
        var out = new StringBuilder();
        for (byte b : text) {
            out.append(decode(chunker, new byte[] {b}, 0, 1));
        }
        assertThat(out.toString()).isEqualTo("aé👋z");
        assertThat(decode(chunker, new byte[] {(byte) 0xc3, 'x'}, 0, 2)).isEqualTo("\uFFFDx");
        assertThat(decode(chunker, new byte[] {(byte) 0xf0, (byte) 0x9f}, 0, 2)).isEmpty();
        assertThat(finish(chunker)).isEqualTo("\uFFFD");
        assertThat(decode(chunker, new byte[] {'o', 'k'}, 0, 2)).isEqualTo("ok");
    }

    @Test
    void chunkerHandlesEveryPossibleSplitOfAMixedText() {
        byte[] text = "日本語 👋🏽 ünï \u0000 end".getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= text.length; cut++) {
            var chunker = new Utf8Chunker();
            String decoded =
                    decode(chunker, text, 0, cut) + decode(chunker, text, cut, text.length - cut) + finish(chunker);
            assertThat(decoded).as("cut at %d", cut).isEqualTo(new String(text, StandardCharsets.UTF_8));
        }
    }

    @Test
    void chunkerAsciiFastPathAgreesWithTheDecoderOnRandomSplits() throws Exception {
        var random = new java.util.Random(7);
        for (int round = 0; round < 2000; round++) {
            byte[] text = new byte[random.nextInt(200)];
            for (int i = 0; i < text.length; i++) {
                // Mostly ASCII, sometimes UTF-8 lead/continuation bytes and invalid ones.
                text[i] = random.nextInt(8) == 0 ? (byte) (0x80 + random.nextInt(128)) : (byte) random.nextInt(128);
            }
            var chunker = new Utf8Chunker();
            var out = new StringBuilder();
            int at = 0;
            while (at < text.length) {
                int n = Math.min(text.length - at, random.nextInt(5) == 0 ? 1 : random.nextInt(40));
                out.append(decode(chunker, text, at, n));
                at += n;
            }
            out.append(finish(chunker));
            String expected = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(text))
                    .toString();
            assertThat(out.toString()).as("round %d", round).isEqualTo(expected);
        }
    }

    @Test
    void inlineExpansionMovesImportsAndReplacesPlaceholdersOnce() {
        var template =
                new InlineTemplate("import\\s+\"[\\w/]+\"", "package main\n$${IMPORTS}\nfunc main() {\n$${CODE}\n}");
        assertThat(InlineExpander.expand(template, "import \"fmt\"\nimport \"os\"\nfmt.Println(\"$${CODE}\")"))
                .isEqualTo(
                        "package main\nimport \"fmt\"\nimport \"os\"\nfunc main() {\n\n\nfmt.Println(\"$${CODE}\")\n}");
        assertThat(InlineExpander.expand(new InlineTemplate(null, "<$${CODE}>"), "x"))
                .isEqualTo("<x>");
    }

    @Test
    void rateLimiterRefillsOneTokenPerInterval() {
        var clock = new AtomicLong();
        var limiter = new RateLimiter(2, Duration.ofSeconds(10), clock::get);
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isFalse();
        assertThat(limiter.tryAcquire("b")).isTrue();
        clock.addAndGet(Duration.ofSeconds(9).toNanos());
        assertThat(limiter.tryAcquire("a")).isFalse();
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isFalse();
        clock.addAndGet(Duration.ofMinutes(10).toNanos());
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isFalse();
    }

    @Test
    void rateLimiterWithBurstZeroIsOff() {
        var limiter = new RateLimiter(0, Duration.ofSeconds(1), () -> 0);
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.tryAcquire("a")).isTrue();
        }
    }

    @Test
    void sizesUseRannasSyntax() {
        assertThat(Sizes.parse("k", "100M")).isEqualTo(100L << 20);
        assertThat(Sizes.parse("k", "1G")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("k", "512k")).isEqualTo(512L << 10);
        assertThat(Sizes.parse("k", "2MiB")).isEqualTo(2L << 20);
        assertThat(Sizes.parse("k", "1024")).isEqualTo(1024);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Sizes.parse("sandbox.memory", "lots"))
                .hasMessage("sandbox.memory: expected a size such as 100M, 1G or 512k, got 'lots'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Sizes.parse("x", "-5M"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
