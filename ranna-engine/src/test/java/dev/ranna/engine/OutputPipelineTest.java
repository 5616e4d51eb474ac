package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * The coalescer's timing and chunk size, on a {@link FakeScheduler}: an answer after quiet goes at once, a
 * burst is gathered, a flood gets larger LOGs while the client keeps up and small ones again after it.
 */
class OutputPipelineTest {
    private static final Duration DELAY = Duration.ofMillis(5);
    /** Sizes of the growth tests: four doublings from the first chunk to the largest. */
    private static final int SMALL = 1024;

    private static final int LARGE = 16 * SMALL;

    private final FakeScheduler scheduler = new FakeScheduler();
    private final Writability writability = new Writability();
    private final List<String> sent = new ArrayList<>();
    private final List<Integer> sentBytes = new ArrayList<>();
    private final OutputPipeline pipeline = new OutputPipeline(
            new ReentrantLock(),
            writability,
            () -> false,
            scheduler,
            EngineMetrics.NONE,
            RunLimits.builder()
                    .coalesceDelay(DELAY)
                    .coalesceBytes(SMALL)
                    .maxCoalesceBytes(LARGE)
                    .build(),
            Long.MAX_VALUE,
            null,
            event -> {
                var log = (Event.Log) event;
                sentBytes.add(log.output().byteLength());
                sent.add(log.text());
            },
            Nonce.of(1),
            RunId.random());

    /** What a program flooding its pipe delivers: one full read after the other, the clock standing still. */
    private void flood(int reads, byte[] read) {
        for (int i = 0; i < reads; i++) {
            pipeline.write(StdStream.STDOUT, read, 0, read.length);
        }
    }

    private static byte[] read(int size) {
        return "a".repeat(size).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aFloodGetsLargerLogsUpToTheBoundWhileTheClientKeepsUp() {
        flood(64, read(SMALL));
        assertThat(sentBytes)
                .startsWith(SMALL, 2 * SMALL, 4 * SMALL, 8 * SMALL, LARGE, LARGE)
                .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(LARGE));
        assertThat(pipeline.chunkBytes()).isEqualTo(LARGE);
        scheduler.advance(DELAY);
        assertThat(sentBytes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(64 * SMALL);
    }

    @Test
    void theEndOfTheDelayBeforeAChunkFilledBringsSmallLogsBack() {
        flood(32, read(SMALL));
        assertThat(pipeline.chunkBytes()).isGreaterThan(SMALL);

        write("tail"); // output slows down: the delay ends before a chunk fills
        scheduler.advance(DELAY);
        assertThat(sent.get(sent.size() - 1)).endsWith("tail");
        assertThat(pipeline.chunkBytes()).isEqualTo(SMALL);

        sentBytes.clear();
        scheduler.advance(DELAY);
        flood(2, read(SMALL)); // a new flood starts small again
        assertThat(sentBytes).startsWith(SMALL);
    }

    @Test
    void aQuietSpellBringsSmallLogsBackAndTheAnswerStillGoesAtOnce() {
        flood(31, read(SMALL)); // 1 + 2 + 4 + 8 + 16 reads: every one sent in a full chunk, nothing left
        assertThat(scheduler.pending()).isZero();
        assertThat(pipeline.chunkBytes()).isEqualTo(LARGE);

        scheduler.advance(Duration.ofSeconds(2));
        int before = sent.size();
        write("prompt> ");
        assertThat(sent).hasSize(before + 1).endsWith("prompt> ");
        assertThat(pipeline.chunkBytes()).isEqualTo(SMALL);
    }

    @Test
    void aWriterThatWaitedForTheClientBringsSmallLogsBack() throws Exception {
        flood(31, read(SMALL));
        assertThat(pipeline.chunkBytes()).isEqualTo(LARGE);
        flood(15, read(SMALL));

        // A short wait, as a fast client's transport causes while it drains a large LOG: growth goes on.
        awaitWritableAfter(Duration.ofMillis(1));
        assertThat(sentBytes).endsWith(LARGE);
        assertThat(pipeline.chunkBytes()).isEqualTo(LARGE);

        flood(15, read(SMALL)); // pending again, one read short of a large chunk
        awaitWritableAfter(DELAY); // the client falls behind for a whole delay
        assertThat(sentBytes)
                .as("its read went out as a small LOG, not gathered for a large one")
                .endsWith(SMALL);
        assertThat(pipeline.chunkBytes()).as("and growth starts over").isEqualTo(2 * SMALL);
    }

    /** One read that finds the client behind and waits {@code wait} on the engine's clock for it. */
    private void awaitWritableAfter(Duration wait) throws InterruptedException {
        writability.set(false);
        byte[] read = read(SMALL);
        var writer = new Thread(() -> pipeline.write(StdStream.STDOUT, read, 0, read.length));
        writer.start();
        EngineSessionTest.awaitThreadWaiting(writer);
        scheduler.advance(wait);
        writability.set(true);
        writer.join(5_000);
        assertThat(writer.isAlive()).isFalse();
    }

    @Test
    void largeLogsOfMultiByteTextAreCutOnlyBetweenCharacters() {
        byte[] read = "é😀日".repeat(2000).getBytes(StandardCharsets.UTF_8); // 9 bytes a unit
        var expected = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            // Reads that end inside characters, as a pipe delivers them.
            int cut = 1 + i % 8;
            pipeline.write(StdStream.STDOUT, read, 0, read.length - cut);
            pipeline.write(StdStream.STDOUT, read, read.length - cut, cut);
            expected.append("é😀日".repeat(2000));
        }
        scheduler.advance(DELAY);
        assertThat(String.join("", sent)).isEqualTo(expected.toString());
        assertThat(sent).noneMatch(text -> text.contains("\uFFFD"));
        assertThat(sentBytes).anySatisfy(n -> assertThat(n).isGreaterThan(SMALL));
    }

    private void write(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        pipeline.write(StdStream.STDOUT, bytes, 0, bytes.length);
    }

    @Test
    void outputAfterAQuietSpellIsSentAtOnce() {
        write("prompt> ");
        assertThat(sent).as("the first output, without the clock moving").containsExactly("prompt> ");

        scheduler.advance(Duration.ofSeconds(3)); // the client thinks, then the program answers
        write("answer\n");
        assertThat(sent).containsExactly("prompt> ", "answer\n");
        assertThat(scheduler.pending()).as("no timer for output already sent").isZero();
    }

    @Test
    void aBurstIsGatheredUntilTheDelayEnds() {
        write("a");
        for (int i = 0; i < 100; i++) {
            scheduler.advance(Duration.ofMillis(1).dividedBy(100));
            write("b");
        }
        assertThat(sent).as("only the burst's first write went at once").containsExactly("a");

        scheduler.advance(DELAY);
        assertThat(sent).containsExactly("a", "b".repeat(100));

        write("c");
        assertThat(sent).as("right after a send, output waits for the delay").hasSize(2);
        scheduler.advance(DELAY);
        assertThat(sent).containsExactly("a", "b".repeat(100), "c");
    }

    @Test
    void outputRightAfterTheProgramTookInputIsSentAtOnce() {
        write("prompt> ");
        write("more");
        assertThat(sent).as("a burst: the second write waits").containsExactly("prompt> ");

        pipeline.inputTaken(); // the program reads a line the client sent
        write("answer\n");
        assertThat(sent)
                .as("the answer goes at once, with what was pending")
                .containsExactly("prompt> ", "moreanswer\n");

        write("tail");
        assertThat(sent).as("one answer per input taken").hasSize(2);
        scheduler.advance(DELAY);
        assertThat(sent).containsExactly("prompt> ", "moreanswer\n", "tail");
    }
}
