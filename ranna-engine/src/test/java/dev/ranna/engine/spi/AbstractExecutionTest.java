package dev.ranna.engine.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.StdStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The skeleton both sandboxes' executions stand on: exit once, kill once, a failing sink ends the run. */
@Timeout(30)
class AbstractExecutionTest {

    /** An execution whose "program" is the test: it calls output and complete itself. */
    static final class Probe extends AbstractExecution {
        final AtomicInteger kills = new AtomicInteger();

        Probe(OutputSink sink) {
            super(sink);
        }

        @Override
        protected void killProgram() {
            kills.incrementAndGet();
        }

        void write(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            output(StdStream.STDOUT, bytes, 0, bytes.length);
        }

        void exit(ExitStatus status) {
            complete(status);
        }
    }

    @Test
    void killActsOnceHoweverOftenAndFromHoweverManyThreadsItIsCalled() throws Exception {
        var probe = new Probe((stream, bytes, offset, length) -> {});
        var start = new CountDownLatch(1);
        var threads = new ArrayList<Thread>();
        for (int i = 0; i < 8; i++) {
            var thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                probe.kill();
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        probe.kill();
        assertThat(probe.kills).hasValue(1);
        assertThat(probe.killRequested()).isTrue();
    }

    @Test
    void killAfterExitDoesNothing() throws Exception {
        var probe = new Probe((stream, bytes, offset, length) -> {});
        ExitStatus status = ExitStatus.exited(0, Duration.ofMillis(5));
        probe.exit(status);
        probe.kill();
        assertThat(probe.kills).hasValue(0);
        assertThat(probe.exit().toCompletableFuture().get()).isEqualTo(status);
    }

    @Test
    void aFailingSinkKillsTheRunDropsTheRestAndEndsItWithTheFailure() {
        var failure = new IllegalStateException("sink broke");
        List<String> seen = new ArrayList<>();
        var probe = new Probe((stream, bytes, offset, length) -> {
            String text = new String(bytes, offset, length, StandardCharsets.UTF_8);
            seen.add(text);
            if (text.equals("two")) {
                throw failure;
            }
        });
        probe.write("one");
        probe.write("two");
        probe.write("three");
        assertThat(seen).containsExactly("one", "two");
        assertThat(probe.kills).hasValue(1);
        probe.exit(ExitStatus.killed(Duration.ofMillis(3)));
        assertThatThrownBy(() -> probe.exit().toCompletableFuture().get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCause(failure);
    }

    @Test
    void afterKillOnlyWhatWasInFlightStillArrivesAndTheRestIsDropped() {
        var delivered = new java.util.concurrent.atomic.AtomicLong();
        var probe = new Probe((stream, bytes, offset, length) -> delivered.addAndGet(length));
        String chunk = "y\n".repeat(8 * 1024);
        probe.write(chunk);
        assertThat(delivered).hasValue(chunk.length());
        probe.kill();
        for (int i = 0; i < 64; i++) {
            probe.write(chunk);
        }
        assertThat(delivered.get() - chunk.length()).isEqualTo(AbstractExecution.MAX_OUTPUT_AFTER_KILL);
        probe.exit(ExitStatus.killed(Duration.ofMillis(3)));
        assertThat(probe.exit().toCompletableFuture()).isCompleted();
    }

    @Test
    void emptyWritesNeverReachTheSink() {
        var calls = new AtomicInteger();
        var probe = new Probe((stream, bytes, offset, length) -> calls.incrementAndGet());
        probe.write("");
        assertThat(calls).hasValue(0);
    }
}
