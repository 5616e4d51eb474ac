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

/** The coalescer's timing, on a {@link FakeScheduler}: an answer after quiet goes at once, a burst is gathered. */
class OutputPipelineTest {
    private static final Duration DELAY = Duration.ofMillis(5);

    private final FakeScheduler scheduler = new FakeScheduler();
    private final List<String> sent = new ArrayList<>();
    private final OutputPipeline pipeline = new OutputPipeline(
            new ReentrantLock(),
            new Writability(),
            () -> false,
            scheduler,
            EngineMetrics.NONE,
            RunLimits.builder().coalesceDelay(DELAY).build(),
            RunLimits.DEFAULTS.maxOutputBytes(),
            null,
            event -> sent.add(((Event.Log) event).text()),
            Nonce.of(1),
            RunId.random());

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
