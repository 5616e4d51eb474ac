package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.AbstractExecution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.engine.spi.StdinPump;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
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
 *
 * <p>Standard input: a {@link StdinPump} copies the request's source into the launcher's stdin, which is
 * the program's (on a terminal, {@code script}'s, which relays it to the terminal's master); it stops
 * after the program exited, before {@link #exit()} completes. {@link #signal} signals the members of the
 * program's process group (its own session: bubblewrap's {@code --new-session}, {@code script}'s child,
 * or {@code setsid} without isolation), never bubblewrap's own processes or the terminal helpers.
 * {@link #resize} writes {@code cols rows} to the terminal's control FIFO.
 *
 * <p>A project run with a compile stage has two stages, each a launcher of its own ({@link Stage}): the
 * compiler first (its stdin at EOF, its output read like the program's), then, only after it exited 0,
 * {@link OutputSink#compiled} and the program ({@link RunStage#start()}). Every byte the compiler wrote is
 * delivered before {@code compiled()}: its pipes are read to end of stream after its cgroup is emptied.
 * {@link #kill()} kills the current stage's launcher; a kill that arrives between the compiler's exit
 * and the program's start is seen by the stage switch, which then never starts the program (or kills it
 * at once when the switch had already published it). Signals during the compile stage reach the
 * compiler; input and resizes wait for the program (the pump starts with it, resize lines stay in the
 * FIFO).
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

    /**
     * One launched stage: the compiler or the program.
     *
     * @param startNanos when its launcher started ({@code System.nanoTime()})
     * @param programDepth how many processes lie between the launcher and the program (bwrap's monitor
     *     and pid 1, script, the waiter)
     * @param statusFile where the waiter writes the stage's wait status, or null
     */
    record Stage(
            Process process,
            long startNanos,
            Resources resources,
            int programDepth,
            @Nullable Path statusFile) {}

    /** The run stage of a run with a compile stage, started only after a clean compile. */
    interface RunStage {
        /** Starts the program (hands a prestarted launcher its command, or spawns one). */
        Stage start() throws IOException;

        /** Releases everything the run stage held, when it never starts. Never throws. */
        void abandon();
    }

    private final RunId runId;
    private final OutputSink sink;
    private final StdinSource stdin;
    /** A terminal run's control FIFO (read-write), or null. */
    private final @Nullable RandomAccessFile control;
    /** The stage running now: the compile stage until the program starts, then the run stage. */
    private volatile Stage stage;
    /** The run stage still to start after the compile stage, or null (no compile stage). */
    private final @Nullable RunStage next;

    private volatile @Nullable StdinPump pump;
    private volatile boolean exited;
    /** Signals in the order they were asked for, each delivered on the sandbox's threads. */
    private CompletableFuture<Void> signals = CompletableFuture.completedFuture(null);

    private volatile @Nullable ExecutorService threads;
    private final AtomicInteger pendingSignals = new AtomicInteger();
    /** Resize lines written to the terminal's control FIFO; see {@link #MAX_RESIZES}. */
    private final AtomicInteger resizes = new AtomicInteger();

    /** Signals that may wait for delivery at once. */
    private static final int MAX_PENDING_SIGNALS = 16;

    /**
     * Resize lines a run may write: at most 10 bytes each, 4096 of them stay below the FIFO's 64 KiB, so a
     * write never blocks the caller even when the program has stopped or killed the loop that reads them.
     */
    private static final int MAX_RESIZES = 4096;

    /**
     * @param first the stage started: the program, or the compiler when {@code next} is not null
     * @param next the run stage to start after a clean compile, or null
     */
    ProcessExecution(
            RunId runId,
            Stage first,
            @Nullable RunStage next,
            OutputSink sink,
            StdinSource stdin,
            @Nullable RandomAccessFile control) {
        super(sink);
        this.runId = runId;
        this.stage = first;
        this.next = next;
        this.sink = sink;
        this.stdin = stdin;
        this.control = control;
    }

    /**
     * Starts the readers and the waiter of the first stage (and for the program the input pump). Throws
     * if the executor refuses (sandbox closing).
     */
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    /** Set by {@link #await} before it reports the end: it completes {@link #released} itself, later. */
    private volatile boolean releaseAfterExit;

    void begin(ExecutorService threads) {
        exit().whenComplete((status, failure) -> {
            if (!releaseAfterExit) {
                released.complete(null);
            }
        });
        this.threads = threads;
        RunStage then = next;
        if (then == null) {
            beginRun(stage, threads);
            return;
        }
        Stage compile = stage;
        // The compiler reads nothing: the request's input is the program's.
        closeQuietly(compile.process().getOutputStream());
        CompletableFuture<Void> stdout = read(threads, compile.process().getInputStream(), StdStream.STDOUT);
        CompletableFuture<Void> stderr = read(threads, compile.process().getErrorStream(), StdStream.STDERR);
        threads.execute(() -> awaitCompile(compile, then, threads, stdout, stderr));
    }

    private void beginRun(Stage run, ExecutorService threads) {
        pump = StdinPump.start(
                "ranna-stdin-" + runId,
                stdin,
                run.process().getOutputStream(),
                control != null ? StdinPump.AtEnd.TERMINAL_EOF : StdinPump.AtEnd.CLOSE);
        CompletableFuture<Void> stdout = read(threads, run.process().getInputStream(), StdStream.STDOUT);
        CompletableFuture<Void> stderr = read(threads, run.process().getErrorStream(), StdStream.STDERR);
        threads.execute(() -> await(run, stdout, stderr));
    }

    /**
     * The compile stage's waiter: sees the compiler exit, empties its cgroup, reads its output to the end,
     * and then either ends the run with the compiler's status (non-zero, a signal, killed) or reports
     * {@link OutputSink#compiled} and starts the program.
     */
    private void awaitCompile(
            Stage compile,
            RunStage then,
            ExecutorService threads,
            CompletableFuture<Void> stdout,
            CompletableFuture<Void> stderr) {
        ExitStatus status = null;
        Throwable failure = null;
        try {
            int code = waitUninterruptibly(compile.process());
            Duration elapsed = Duration.ofNanos(System.nanoTime() - compile.startNanos());
            compile.resources().killLeftovers();
            CompletableFuture.allOf(stdout, stderr).join();
            status = status(compile, code, elapsed, compile.resources().oomKilled())
                    .withUsage(compile.resources().usage());
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            compile.resources().release();
        }
        if (failure != null || status == null) {
            endBeforeRun(then);
            log.warn("run {}: compile stage failed", runId, failure);
            fail(failure != null ? failure : new IllegalStateException("no exit status"));
            return;
        }
        Integer exitCode = status.exitCode();
        if (killRequested() || exitCode == null || exitCode != 0) {
            log.debug("run {}: compile stage ended: {}", runId, status);
            endBeforeRun(then);
            complete(status);
            return;
        }
        try {
            sink.compiled(status);
        } catch (RuntimeException | Error e) {
            endBeforeRun(then);
            fail(e);
            return;
        }
        if (killRequested()) {
            endBeforeRun(then);
            complete(ExitStatus.killed(Duration.ZERO));
            return;
        }
        Stage run;
        try {
            run = then.start();
        } catch (IOException | RuntimeException e) {
            endBeforeRun(then);
            fail(new dev.ranna.engine.spi.SandboxException("could not start the program", e));
            return;
        }
        stage = run;
        // kill() sets its flag before it reads the stage: either it saw this one, or this sees the flag.
        if (killRequested()) {
            run.process().toHandle().destroyForcibly();
        }
        try {
            beginRun(run, threads);
        } catch (RuntimeException e) {
            // Closing: nothing will wait for the program, so end and release it here.
            run.process().toHandle().destroyForcibly();
            run.resources().killLeftovers();
            stopInput();
            run.resources().release();
            fail(new dev.ranna.engine.spi.SandboxException(
                    dev.ranna.protocol.ErrorCode.UNAVAILABLE, "the sandbox is shutting down", e));
        }
    }

    /** The program never starts: close its input and terminal FIFO, release what its stage held. */
    private void endBeforeRun(RunStage then) {
        exited = true;
        stopInput();
        then.abandon();
    }

    /** The exit future itself. */
    CompletableFuture<ExitStatus> exitFuture() {
        return exit().toCompletableFuture();
    }

    /**
     * Completes once the run ended and released what it held (cgroup, directories, uid), for the sandbox's
     * own bookkeeping: a run's end is reported before its release ({@link #await}), or after it on every
     * other path.
     */
    CompletableFuture<Void> releasedFuture() {
        return released;
    }

    @Override
    protected void killProgram() {
        Process current = stage.process();
        if (exited || !current.isAlive()) {
            return;
        }
        log.debug("run {}: killed", runId);
        // Through the handle: Process.destroyForcibly() also closes the output streams, and what the
        // program wrote before it died would be lost to the readers.
        current.toHandle().destroyForcibly();
    }

    @Override
    public void signal(ProgramSignal signal) {
        ExecutorService executor = threads;
        if (exited || executor == null) {
            return;
        }
        // Off the caller's thread (the engine's), in order: finding the program and running kill take a
        // few milliseconds, and right after the start the program may not be there yet. A client flooding
        // SIGNAL gets the ones past MAX_PENDING_SIGNALS dropped, not a queue of kill processes.
        if (pendingSignals.incrementAndGet() > MAX_PENDING_SIGNALS) {
            pendingSignals.decrementAndGet();
            log.debug("run {}: {} dropped, {} signals are waiting", runId, signal, MAX_PENDING_SIGNALS);
            return;
        }
        synchronized (this) {
            signals = signals.thenRunAsync(
                            () -> {
                                try {
                                    deliver(signal);
                                } finally {
                                    pendingSignals.decrementAndGet();
                                }
                            },
                            executor)
                    .exceptionally(e -> {
                        log.warn("run {}: could not send {}: {}", runId, signal, e.toString());
                        return null;
                    });
        }
    }

    /** How long a signal waits for the program to appear below its launchers (bubblewrap, script). */
    private static final long PROGRAM_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private void deliver(ProgramSignal signal) {
        // A signal sent right after the start finds the launchers still setting up (a terminal takes tens
        // of milliseconds): wait for the program rather than drop what the client asked for.
        long deadline = System.nanoTime() + PROGRAM_WAIT_NANOS;
        Stage current = stage;
        Optional<ProcessHandle> program = program(current);
        while (program.isEmpty()) {
            if (exited || !current.process().isAlive() || System.nanoTime() - deadline > 0) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            program = program(current);
        }
        // The program's process group, as a terminal's Ctrl-C would reach it: its members among the program
        // and its descendants. Not kill(-pgid): under bubblewrap the group is that of bwrap's pid 1 (its
        // --new-session setsid()s there), which must not be stopped, and ignores other signals anyway.
        long group = processGroup(program.get().pid());
        List<String> argv = new ArrayList<>(List.of(KILL, "-" + signal.number(), "--"));
        Stream.concat(Stream.of(program.get()), program.get().descendants())
                .filter(handle -> group > 0 && processGroup(handle.pid()) == group)
                .forEach(handle -> argv.add(Long.toString(handle.pid())));
        if (argv.size() == 3 || exited) {
            return;
        }
        try {
            // Java itself can send only TERM and KILL.
            var kill = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            log.warn("run {}: could not send {}: {}", runId, signal, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final String KILL =
            Optional.ofNullable(HostTools.which("kill")).map(Object::toString).orElse("/bin/kill");

    /** The process group of {@code pid} from {@code /proc/PID/stat}, or -1 when it is gone. */
    static long processGroup(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so cut at the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The program's first process, if it is running: {@code programDepth} levels below the launcher, at
     * each level the child in its parent's process group if there is one (on a terminal the waiter's
     * children are the program, in its group, and the resize loop, in a session of its own).
     */
    private static Optional<ProcessHandle> program(Stage current) {
        if (current.statusFile() != null) {
            return announcedProgram(current);
        }
        ProcessHandle handle = current.process().toHandle();
        for (int i = 0; i < current.programDepth(); i++) {
            long group = processGroup(handle.pid());
            List<ProcessHandle> children = handle.children().toList();
            Optional<ProcessHandle> child = children.stream()
                    .filter(c -> processGroup(c.pid()) == group)
                    .findFirst()
                    .or(() -> children.stream().findFirst());
            if (child.isEmpty()) {
                return Optional.empty();
            }
            handle = child.get();
        }
        return handle.isAlive() ? Optional.of(handle) : Optional.empty();
    }

    /**
     * The program as the waiter announced it ({@code pid N}, N in the sandbox's pid namespace), found
     * among the launcher's descendants by its innermost namespace pid. Empty until the waiter forked, and
     * until its child has exec'd the program (before that it is a copy of the waiter, which ignores the
     * signals a client sends). Walking the tree by depth instead races with the terminal's helpers, whose
     * children come and go and change sessions while the program starts.
     */
    private static Optional<ProcessHandle> announcedProgram(Stage current) {
        long announced = -1;
        for (String line : statusLines(current.statusFile())) {
            if (line.startsWith("pid ")) {
                try {
                    announced = Long.parseLong(line.substring(4).trim());
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        if (announced <= 0) {
            return Optional.empty();
        }
        long inner = announced;
        Optional<ProcessHandle> program = current.process()
                .descendants()
                .filter(handle -> innermostPid(handle.pid()) == inner)
                .findFirst();
        if (program.isEmpty()) {
            return Optional.empty();
        }
        Optional<ProcessHandle> waiter = program.get().parent();
        if (waiter.isPresent() && sameImage(program.get(), waiter.get())) {
            return Optional.empty();
        }
        return program.get().isAlive() ? program : Optional.empty();
    }

    /** The last pid of {@code NSpid} in {@code /proc/PID/status}: the pid in its own namespace, or -1. */
    static long innermostPid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] pids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return Long.parseLong(pids[pids.length - 1]);
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static boolean sameImage(ProcessHandle child, ProcessHandle parent) {
        Optional<String> line = child.info().commandLine();
        return line.isPresent() && line.equals(parent.info().commandLine());
    }

    @Override
    public void resize(int columns, int rows) {
        RandomAccessFile fifo = control;
        if (fifo == null || exited) {
            return;
        }
        if (resizes.incrementAndGet() > MAX_RESIZES) {
            log.debug("run {}: resize dropped, the run has had {}", runId, MAX_RESIZES);
            return;
        }
        try {
            synchronized (fifo) {
                fifo.write((columns + " " + rows + "\n").getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            log.debug("run {}: resize: {}", runId, e.toString());
        }
    }

    static void closeQuietly(@Nullable Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException e) {
            // Nothing left to do.
        }
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

    private void await(Stage run, CompletableFuture<Void> stdout, CompletableFuture<Void> stderr) {
        Resources resources = run.resources();
        ExitStatus status = null;
        Throwable failure = null;
        try {
            int code = waitUninterruptibly(run.process());
            Duration elapsed = Duration.ofNanos(System.nanoTime() - run.startNanos());
            exited = true;
            // bwrap's monitor is gone; anything it left (its pid 1 still exiting, or a whole tree without
            // isolation) dies now, so the pipes reach end of stream.
            resources.killLeftovers();
            stopInput();
            CompletableFuture.allOf(stdout, stderr).join();
            status = status(run, code, elapsed, resources.oomKilled()).withUsage(resources.usage());
            if (code == Launcher.SETUP_FAILED && !killRequested()) {
                log.debug("run {}: exit code {}: sandbox setup failed, or the program's own code", runId, code);
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            stopInput();
        }
        // The client hears of the end first; the cgroup's removal (an RCU grace period on cgroup v1, up to
        // milliseconds), the run's directory and uid follow. Nothing of the run is alive any more: its
        // launcher exited and its cgroup was killed above.
        releaseAfterExit = true;
        try {
            if (failure != null || status == null) {
                log.warn("run {} failed", runId, failure);
                fail(failure != null ? failure : new IllegalStateException("no exit status"));
            } else {
                log.debug("run {} ended: {}", runId, status);
                complete(status);
            }
        } finally {
            try {
                resources.release();
            } finally {
                released.complete(null);
            }
        }
    }

    /** Stops the pump, closes the program's input and tells the resize loop (if any) to end. Idempotent. */
    private void stopInput() {
        StdinPump running = pump;
        if (running != null) {
            running.close();
        }
        closeQuietly(stage.process().getOutputStream());
        RandomAccessFile fifo = control;
        if (fifo != null) {
            synchronized (fifo) {
                try {
                    fifo.write("q\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // Closed already.
                }
                closeQuietly(fifo);
            }
        }
    }

    private static int waitUninterruptibly(Process process) {
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
     * The program's own wait status, from the waiter's status file when it agrees with the launcher's
     * exit code. Otherwise (no perl, or the program killed its waiter) the code: bwrap's pid 1, like a
     * shell, reports a program ended by signal N as 128+N, so a code in that range is read as the signal.
     */
    private ExitStatus status(Stage ended, int code, Duration elapsed, boolean oomKilled) {
        if (killRequested()) {
            return ExitStatus.killed(elapsed).withOomKilled(oomKilled);
        }
        String waited = readStatus(ended.statusFile());
        if (waited.equals("exit " + code)) {
            return ExitStatus.exited(code, elapsed).withOomKilled(oomKilled);
        }
        if (code > 128 && code <= 128 + 64) {
            return ExitStatus.signalled(ExitStatus.signalName(code - 128), elapsed)
                    .withOomKilled(oomKilled);
        }
        return ExitStatus.exited(code, elapsed).withOomKilled(oomKilled);
    }

    /** The waiter's lines so far ({@code pid N}, then {@code exit C} or {@code signal N}), or none. */
    private static List<String> statusLines(@Nullable Path statusFile) {
        if (statusFile == null) {
            return List.of();
        }
        try {
            byte[] bytes = Files.readAllBytes(statusFile);
            return new String(bytes, 0, Math.min(bytes.length, 128), StandardCharsets.US_ASCII)
                    .lines()
                    .map(String::trim)
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The waiter's report of how the program ended, or empty before it ended (or without the waiter). */
    private static String readStatus(@Nullable Path statusFile) {
        List<String> lines = statusLines(statusFile);
        return lines.stream()
                .filter(line -> !line.startsWith("pid "))
                .reduce((a, b) -> b)
                .orElse("");
    }
}
