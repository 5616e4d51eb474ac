package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.protocol.StdStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** Records output; optionally kills the run after some bytes, or blocks every write until released. */
final class CollectingSink implements OutputSink {
    private static final int KEEP = 4 * 1024 * 1024;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final AtomicLong total = new AtomicLong();
    private final AtomicReference<@Nullable Execution> execution = new AtomicReference<>();
    private final long killAfter;
    private final @Nullable CountDownLatch gate;
    private final CountDownLatch firstWrite = new CountDownLatch(1);
    private volatile long totalAtKill = -1;

    private CollectingSink(long killAfter, @Nullable CountDownLatch gate) {
        this.killAfter = killAfter;
        this.gate = gate;
    }

    static CollectingSink create() {
        return new CollectingSink(Long.MAX_VALUE, null);
    }

    /** Calls kill() on the attached execution once {@code bytes} arrived, from the writing thread. */
    static CollectingSink killingAfter(long bytes) {
        return new CollectingSink(bytes, null);
    }

    /** Every write blocks until {@code gate} opens. */
    static CollectingSink blockingUntil(CountDownLatch gate) {
        return new CollectingSink(Long.MAX_VALUE, gate);
    }

    /** The compiler's status as {@link #compiled} reported it, or null. */
    private volatile dev.ranna.engine.spi.@Nullable ExitStatus compiled;

    private volatile @Nullable String stdoutAtCompiled;
    private volatile @Nullable String stderrAtCompiled;
    private final java.util.concurrent.atomic.AtomicInteger compiledCalls =
            new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean killOnCompiled;

    /** Calls kill() on the attached execution from inside {@link #compiled}: the run must then never start. */
    CollectingSink killingOnCompiled() {
        killOnCompiled = true;
        return this;
    }

    @Override
    public void compiled(dev.ranna.engine.spi.ExitStatus compile) {
        compiledCalls.incrementAndGet();
        stdoutAtCompiled = stdout();
        stderrAtCompiled = stderr();
        compiled = compile;
        Execution run = execution.get();
        if (killOnCompiled && run != null) {
            run.kill();
        }
    }

    dev.ranna.engine.spi.@Nullable ExitStatus compiled() {
        return compiled;
    }

    int compiledCalls() {
        return compiledCalls.get();
    }

    /** Everything on stdout before {@link #compiled}: the compile stage's; null when it was never called. */
    @Nullable
    String stdoutAtCompiled() {
        return stdoutAtCompiled;
    }

    @Nullable
    String stderrAtCompiled() {
        return stderrAtCompiled;
    }

    void attach(Execution run) {
        execution.set(run);
    }

    @Override
    public void write(StdStream stream, byte[] bytes, int offset, int length) {
        firstWrite.countDown();
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long now = total.addAndGet(length);
        ByteArrayOutputStream target = stream == StdStream.STDOUT ? stdout : stderr;
        synchronized (target) {
            if (target.size() < KEEP) {
                target.write(bytes, offset, Math.min(length, KEEP - target.size()));
            }
        }
        Execution run = execution.get();
        if (now >= killAfter && run != null && totalAtKill < 0) {
            totalAtKill = now;
            run.kill();
        }
    }

    boolean awaitFirstWrite(long seconds) throws InterruptedException {
        return firstWrite.await(seconds, TimeUnit.SECONDS);
    }

    String stdout() {
        synchronized (stdout) {
            return stdout.toString(StandardCharsets.UTF_8);
        }
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    long total() {
        return total.get();
    }

    long totalAtKill() {
        return totalAtKill;
    }
}
