package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.AbstractExecution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One started run: a reader thread per output stream (a sink may block, and then so does only that
 * reader; the program blocks on its full pipe), and a waiter thread that sees the program exit, kills
 * what is left of its tree, waits for both readers to reach end of stream, releases the run's resources
 * and only then completes {@link #exit()}.
 *
 * <p>{@link #kill()} only sends SIGKILL to the launcher process (bwrap's monitor); bwrap's {@code
 * --die-with-parent} and pid namespace take the rest of the tree down, and the waiter empties the run's
 * cgroup afterwards. It takes no lock a blocked reader could hold. The engine times the run: there is no
 * timer here.
 */
final class ProcessExecution extends AbstractExecution {
    private static final Logger log = LoggerFactory.getLogger(ProcessExecution.class);

    /** What the waiter releases when the run is over, in this order. */
    interface Resources {
        /** Kills every process left of the run (cgroup, uid or process tree). */
        void killLeftovers();

        /** Whether the kernel OOM-killed a process of the run. */
        boolean oomKilled();

        /**
         * CPU time and peak memory of the run's whole tree (its cgroup), or null when not measured; read
         * after {@link #killLeftovers()} and before {@link #release()} removes the cgroup.
         */
        @Nullable
        ResourceUsage usage();

        /** Removes cgroups and directories and frees the slot. Never throws. */
        void release();
    }

    private final RunId runId;
    private final Process process;
    private final long startNanos;
    private final Resources resources;
    private volatile boolean exited;

    ProcessExecution(RunId runId, Process process, long startNanos, OutputSink sink, Resources resources) {
        super(sink);
        this.runId = runId;
        this.process = process;
        this.startNanos = startNanos;
        this.resources = resources;
    }

    /** Starts the readers and the waiter. Throws if the executor refuses (sandbox closing). */
    void begin(ExecutorService threads) {
        CompletableFuture<Void> stdout = read(threads, process.getInputStream(), StdStream.STDOUT);
        CompletableFuture<Void> stderr = read(threads, process.getErrorStream(), StdStream.STDERR);
        threads.execute(() -> await(stdout, stderr));
    }

    /** The exit future itself, for the sandbox's own bookkeeping. */
    CompletableFuture<ExitStatus> exitFuture() {
        return exit().toCompletableFuture();
    }

    @Override
    protected void killProgram() {
        if (exited || !process.isAlive()) {
            return;
        }
        log.debug("run {}: killed", runId);
        // Through the handle: Process.destroyForcibly() also closes the output streams, and what the
        // program wrote before it died would be lost to the readers.
        process.toHandle().destroyForcibly();
    }

    private CompletableFuture<Void> read(ExecutorService threads, InputStream in, StdStream stream) {
        var done = new CompletableFuture<Void>();
        threads.execute(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    // A failing sink kills the run; reading on drains the pipe so nothing blocks on it.
                    output(stream, buffer, 0, n);
                }
            } catch (IOException e) {
                log.debug("run {}: reading {} ended: {}", runId, stream, e.toString());
            } finally {
                done.complete(null);
            }
        });
        return done;
    }

    private void await(CompletableFuture<Void> stdout, CompletableFuture<Void> stderr) {
        ExitStatus status = null;
        Throwable failure = null;
        try {
            int code = waitUninterruptibly();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
            exited = true;
            // bwrap's monitor is gone; anything it left (its pid 1 still exiting, or a whole tree without
            // isolation) dies now, so the pipes reach end of stream.
            resources.killLeftovers();
            CompletableFuture.allOf(stdout, stderr).join();
            status = status(code, elapsed, resources.oomKilled()).withUsage(resources.usage());
            if (code == Launcher.SETUP_FAILED && !killRequested()) {
                log.debug("run {}: exit code {}: sandbox setup failed, or the program's own code", runId, code);
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            resources.release();
        }
        if (failure != null || status == null) {
            log.warn("run {} failed", runId, failure);
            fail(failure != null ? failure : new IllegalStateException("no exit status"));
        } else {
            log.debug("run {} ended: {}", runId, status);
            complete(status);
        }
    }

    private int waitUninterruptibly() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return process.waitFor();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * bwrap (like a shell) reports a program ended by signal N as exit code 128+N, so a code in that range
     * is read as the signal. A program that itself exits with such a code is reported as signalled too.
     */
    private ExitStatus status(int code, Duration elapsed, boolean oomKilled) {
        if (killRequested()) {
            return ExitStatus.killed(elapsed).withOomKilled(oomKilled);
        }
        if (code > 128 && code <= 128 + 64) {
            return ExitStatus.signalled(ExitStatus.signalName(code - 128), elapsed)
                    .withOomKilled(oomKilled);
        }
        return ExitStatus.exited(code, elapsed).withOomKilled(oomKilled);
    }
}
