package dev.ranna.sandbox.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.ranna.engine.spi.AbstractExecution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinPump;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.StdStream;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run in one prepared container.
 *
 * <p>Flow: {@link #begin} attaches (stdin carrying the payload, stdout and stderr apart) and returns once the
 * attach is established; docker-java's streaming thread hands frames to the sink (blocking it is how
 * backpressure reaches the program). When the stream ends (the program exited or was killed, which stops
 * the container), a finisher inspects the container (exit code, OOM flag), removes it, and only then
 * completes {@link #exit()}. {@link #kill()} only sends a SIGKILL from another thread, so it never waits
 * for a blocked sink. The engine times the run: there is no timer here.
 *
 * <p>Standard input ({@link Boot.Input}): a run without any keeps the single attach above, its stdin
 * carrying only the payload. A run with input attaches twice: once for stdout and stderr, once for stdin
 * alone, fed by a {@link StdinPump} (payload, then the request's input) through an {@link InputPipe}.
 * docker-java cannot half-close an attach, so the end of input closes that second attach's connection:
 * Docker then closes the container's stdin ({@code StdinOnce}) and the program reads EOF, while output
 * goes on on the first. A terminal run attaches once (a terminal has one stream, and Docker never closes
 * a terminal's stdin: the end of input is Ctrl-D); its output is raw and all {@code stdout}, with the
 * boot markers ({@link Boot#TTY_SCRIPT}) taken out.
 *
 * <p>Signals go to docker-init (tini, PID 1), which forwards them to the program's process group ({@link
 * Containers#TINI_KILL_PROCESS_GROUP}); SIGSTOP cannot be forwarded (it would stop tini), so it pauses the
 * container (the freezer stops every process of the run) and SIGCONT resumes it. Signals, pauses and
 * resizes run in order on one queue, off the caller's thread.
 */
final class DockerExecution extends AbstractExecution {

    private static final Logger log = LoggerFactory.getLogger(DockerExecution.class);

    /** The attach could not be established; the container may be reused by nobody and should be removed. */
    static final class AttachFailed extends Exception {
        private static final long serialVersionUID = 1L;

        AttachFailed(Throwable cause) {
            super(cause);
        }
    }

    private final DockerClient client;
    private final Containers containers;
    private final Containers.Prepared container;
    private final SandboxRequest request;
    private final Executor executor;
    private final Runnable onDone;
    private final StreamCallback<Frame> attach;
    private final Boot.Input input;
    private final SerialExecutor control;
    private final Set<ProgramSignal> sent = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> rawSeen = new CompletableFuture<>();
    private final CompletableFuture<Void> cookedSeen = new CompletableFuture<>();
    private final MarkerFilter markers;
    private final InputPipe pipe;
    private final StreamCallback<Frame> inputAttach;
    private volatile @Nullable StdinPump pump;
    private volatile boolean paused; // only touched on the control queue
    private volatile int @Nullable [] size; // the terminal size last asked for: columns, rows
    private int @Nullable [] applied; // only touched on the control queue
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile long startedNanos;

    // compile stage (Boot.Project); the markers are only touched on the attach's streaming thread
    private final OutputSink sink;
    private final Boot.Project project;
    private final long runMemory;
    private final @Nullable StageMarker stdoutStage;
    private final @Nullable StageMarker stderrStage;
    /** Completed true when the program may start (the shell gets {@link Boot#GO}), false when it never will. */
    private final CompletableFuture<Boolean> go = new CompletableFuture<>();

    private volatile boolean compiled;
    private volatile long runStartNanos;
    private volatile @Nullable ResourceUsage compileUsage;
    /** The run stage's memory limit could not be set: the container used more at the boundary. */
    private volatile boolean memoryRefused;

    private volatile @Nullable SandboxException setupFailure;

    DockerExecution(
            DockerClient client,
            Containers containers,
            Containers.Prepared container,
            SandboxRequest request,
            OutputSink sink,
            Executor executor,
            Runnable onDone,
            Boot.Project project,
            long runMemory) {
        super(sink);
        this.sink = sink;
        this.project = project;
        this.runMemory = runMemory;
        this.stdoutStage = project.compiles() ? new StageMarker(project.marker()) : null;
        this.stderrStage = project.compiles() && !container.tty() ? new StageMarker(project.marker()) : null;
        this.client = client;
        this.containers = containers;
        this.container = container;
        this.request = request;
        this.executor = executor;
        this.onDone = onDone;
        this.attach = new StreamCallback<>(this::onFrame);
        this.input = container.tty()
                ? Boot.Input.TERMINAL
                : request.stdin() == StdinSource.EMPTY ? Boot.Input.NONE : Boot.Input.PIPE;
        this.control = new SerialExecutor(executor);
        this.markers = new MarkerFilter();
        this.inputAttach = new StreamCallback<>(frame -> {});
        this.pipe = new InputPipe(() -> {
            if (input == Boot.Input.PIPE) {
                // the end of input (or of the run): closing the connection is how Docker learns it
                executor.execute(inputAttach::close);
            }
        });
    }

    /** How this run's standard input is connected; the payload must be made for it. */
    Boot.Input input() {
        return input;
    }

    String containerId() {
        return container.id();
    }

    /** This run's compile-stage marker, empty without a compile stage (tests). */
    String marker() {
        return project.marker();
    }

    /**
     * Attaches and sends the payload; returns once the program is on its way. {@code meanwhile} runs on
     * the calling thread while the attach is being established.
     *
     * @throws AttachFailed if the container did not accept the attach (it is not removed here)
     */
    void begin(byte[] payload, Runnable meanwhile) throws AttachFailed, SandboxException {
        if (input != Boot.Input.TERMINAL) {
            ownMemoryLimit(); // before the attach: a run without input sends its payload with it
        }
        startNanos = System.nanoTime();
        var output = client.attachContainerCmd(container.id())
                .withStdOut(true)
                .withStdErr(true)
                .withFollowStream(true)
                .withLogs(false);
        switch (input) {
            case NONE ->
                output.withStdIn(project.compiles() ? new GatedPayload(payload) : new ByteArrayInputStream(payload));
            case TERMINAL -> output.withStdIn(pipe.source());
            case PIPE ->
                client.attachContainerCmd(container.id())
                        .withStdIn(pipe.source())
                        .withStdOut(false)
                        .withStdErr(false)
                        .withFollowStream(true)
                        .withLogs(false)
                        .exec(inputAttach);
        }
        output.exec(attach);
        meanwhile.run();
        try {
            attach.started().get(30, TimeUnit.SECONDS);
            if (input == Boot.Input.PIPE) {
                inputAttach.started().get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            closeAttaches();
            Throwable cause = e.getCause();
            throw new AttachFailed(cause != null ? cause : e);
        } catch (TimeoutException e) {
            closeAttaches();
            throw new AttachFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeAttaches();
            throw new AttachFailed(e);
        }
        if (input == Boot.Input.TERMINAL) {
            try {
                containers.start(container); // created, not started: its script speaks first
                ownMemoryLimit(); // its cgroup exists now; the payload waits for the pump below
            } catch (SandboxException e) {
                closeAttaches();
                throw e;
            }
        }
        if (input != Boot.Input.NONE) {
            pump = StdinPump.start(
                    "ranna-docker-stdin-" + request.runId(),
                    programInput(payload),
                    pipe.sink(),
                    input == Boot.Input.TERMINAL ? StdinPump.AtEnd.TERMINAL_EOF : StdinPump.AtEnd.CLOSE);
        }
        startedNanos = System.nanoTime();
        attach.done().whenComplete((ok, error) -> {
            endNanos = System.nanoTime();
            executor.execute(() -> finish(error));
        });
    }

    /**
     * Sets the run's own memory limit ({@code limits.memorybytes}) on its running container, before any of
     * its code arrives; a spec with a compile stage sets the run's limit at the boundary instead.
     */
    private void ownMemoryLimit() throws SandboxException {
        if (project.compiles() || runMemory == container.memoryBytes()) {
            return;
        }
        try {
            containers.setMemory(container.id(), runMemory);
        } catch (MemoryLimits.Refused e) {
            throw new SandboxException("could not set the run's memory limit: " + e.getMessage(), e);
        }
    }

    private void closeAttaches() {
        go.complete(false);
        pipe.abort();
        attach.close();
        inputAttach.close();
    }

    /**
     * What the pump writes: the payload, then the request's input. On a terminal the payload waits for
     * the terminal to be raw and the input for it to be restored ({@link Boot#TTY_SCRIPT}).
     */
    private StdinSource programInput(byte[] payload) {
        StdinSource boot = StdinSource.of(payload);
        StdinSource program = request.stdin();
        boolean terminal = input == Boot.Input.TERMINAL;
        return new StdinSource() {
            private int phase; // 0: payload, 1: the go line (after a clean compile), 2: the program's input
            private final StdinSource goLine = StdinSource.of(Boot.GO);

            @Override
            public int read(byte[] buffer, int offset, int length) throws InterruptedException {
                if (phase == 0) {
                    if (terminal && !await(rawSeen)) {
                        return -1;
                    }
                    int n = boot.read(buffer, offset, length);
                    if (n > 0) {
                        return n;
                    }
                    phase = 1;
                    if (project.compiles() && !awaitGo()) {
                        return -1;
                    }
                }
                if (phase == 1) {
                    if (project.compiles()) {
                        int n = goLine.read(buffer, offset, length);
                        if (n > 0) {
                            return n;
                        }
                    }
                    phase = 2;
                    if (terminal && !await(cookedSeen)) {
                        return -1;
                    }
                }
                return program.read(buffer, offset, length);
            }
        };
    }

    /** Waits until the program may start: true, or false if it never will (the run is over). */
    private boolean awaitGo() throws InterruptedException {
        try {
            return go.get();
        } catch (ExecutionException e) {
            return false;
        }
    }

    /**
     * The stdin of a run without input whose spec compiles: the payload, then, once the compile ended
     * cleanly and the run's limits are set, {@link Boot#GO}; then the end. Read by docker-java's stdin
     * thread, which it blocks meanwhile (a thread of that attach's own).
     */
    private final class GatedPayload extends java.io.InputStream {
        private final byte[] payload;
        private int position;
        private byte @Nullable [] rest;

        GatedPayload(byte[] payload) {
            this.payload = payload;
        }

        @Override
        public int read() throws java.io.IOException {
            var one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws java.io.IOException {
            if (length == 0) {
                return 0;
            }
            if (position < payload.length) {
                int n = Math.min(length, payload.length - position);
                System.arraycopy(payload, position, buffer, offset, n);
                position += n;
                return n;
            }
            if (rest == null) {
                try {
                    rest = awaitGo() ? Boot.GO.clone() : new byte[0];
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for the compile stage");
                }
            }
            byte[] left = rest;
            int at = position - payload.length;
            if (at >= left.length) {
                return -1;
            }
            int n = Math.min(length, left.length - at);
            System.arraycopy(left, at, buffer, offset, n);
            position += n;
            return n;
        }
    }

    /**
     * The compile stage ended: the marker line was seen on every stream. On a clean compile the run's
     * memory limit is set and the usage so far is taken as the compile's, the sink learns the boundary,
     * and the program is let go. A failed compile needs nothing: the shell exits with its status. Runs on
     * the streaming thread (so every compiler byte was written before), never concurrently with a write.
     */
    private void compileEnded(int status) {
        if (status != 0 || compiled || killRequested()) {
            return;
        }
        long ended = System.nanoTime();
        boolean refused = false;
        if (runMemory != container.memoryBytes()) {
            try {
                containers.setMemory(container.id(), runMemory);
            } catch (MemoryLimits.Refused e) {
                log.debug("run {}: {}", request.runId(), e.getMessage());
                refused = true;
            } catch (SandboxException e) {
                log.warn("run {}: {}", request.runId(), e.getMessage());
                setupFailure = e;
                kill();
                return;
            }
        }
        ResourceUsage usage = containers.stageBoundary(container.id());
        compileUsage = usage;
        compiled = true;
        try {
            sink.compiled(
                    ExitStatus.exited(0, Duration.ofNanos(ended - startNanos)).withUsage(usage));
        } catch (RuntimeException e) {
            log.warn("run {}: the sink failed at the end of the compile stage", request.runId(), e);
            kill();
            return;
        }
        runStartNanos = System.nanoTime();
        if (refused) {
            // the compile left more in the container (its files) than the run may have: the run's limit ends it
            memoryRefused = true;
            kill();
            go.complete(false);
            return;
        }
        go.complete(true);
    }

    /** Waits for a boot marker; false if the boot failed before printing it (the run is over). */
    private static boolean await(CompletableFuture<Void> marker) throws InterruptedException {
        try {
            marker.get();
            return true;
        } catch (ExecutionException e) {
            return false;
        }
    }

    /**
     * Sends {@code signal} to the program's process group through docker-init, or pauses (SIGSTOP) or
     * resumes (SIGCONT) the container. Queued; returns at once; nothing once the program has exited.
     */
    @Override
    public void signal(ProgramSignal signal) {
        if (exit().toCompletableFuture().isDone()) {
            return;
        }
        control.execute(() -> deliver(signal));
    }

    private void deliver(ProgramSignal signal) {
        if (exit().toCompletableFuture().isDone() || killRequested()) {
            return;
        }
        String id = container.id();
        try {
            switch (signal) {
                case SIGSTOP -> {
                    if (!paused) {
                        client.pauseContainerCmd(id).exec();
                        paused = true;
                        if (killRequested()) {
                            resume(); // the kill may have seen it running: make sure it can take effect
                        }
                    }
                }
                case SIGCONT -> {
                    if (paused) {
                        client.unpauseContainerCmd(id).exec();
                        paused = false;
                    }
                    sent.add(signal);
                    client.killContainerCmd(id).withSignal(signal.name()).exec();
                }
                default -> {
                    sent.add(signal);
                    client.killContainerCmd(id).withSignal(signal.name()).exec();
                }
            }
        } catch (RuntimeException e) {
            // exited meanwhile (not running, or removed): a signal after exit does nothing
            log.debug("signal {} to container {}: {}", signal, id, Images.rootMessage(e));
        }
    }

    /** Resizes the run's terminal (queued; only the latest size counts), once the boot has sized it. */
    @Override
    public void resize(int columns, int rows) {
        if (input != Boot.Input.TERMINAL || exit().toCompletableFuture().isDone()) {
            return;
        }
        size = new int[] {columns, rows};
        if (rawSeen.isDone()) {
            control.execute(this::applySize);
        }
    }

    private void applySize() {
        int[] wanted = size;
        if (wanted == null
                || java.util.Arrays.equals(wanted, applied)
                || exit().toCompletableFuture().isDone()) {
            return;
        }
        try {
            client.resizeContainerCmd(container.id())
                    .withSize(wanted[1], wanted[0])
                    .exec();
            applied = wanted;
        } catch (RuntimeException e) {
            log.debug("resize of container {}: {}", container.id(), Images.rootMessage(e));
        }
    }

    private void resume() {
        try {
            client.unpauseContainerCmd(container.id()).exec();
        } catch (RuntimeException e) {
            log.debug("unpause of container {}: {}", container.id(), Images.rootMessage(e));
        }
        paused = false;
    }

    /**
     * Sends the container a SIGKILL from another thread. Never blocks. A paused (SIGSTOPped) container is
     * resumed first: gVisor's runsc does not deliver a kill to a paused container and Docker then waits
     * 10 s before it forces the end (measured), so the program may run for the moment between the two.
     */
    @Override
    protected void killProgram() {
        executor.execute(() -> {
            if (paused) {
                resume();
            }
            try {
                client.killContainerCmd(container.id()).exec();
            } catch (RuntimeException e) {
                // already exited or removed: nothing left to kill
                log.debug("kill of container {}: {}", container.id(), Images.rootMessage(e));
            }
        });
    }

    private void onFrame(Frame frame) {
        byte[] payload = frame.getPayload();
        if (payload == null || payload.length == 0) {
            return;
        }
        if (input == Boot.Input.TERMINAL) {
            markers.accept(payload);
            return;
        }
        StdStream stream = frame.getStreamType() == StreamType.STDERR ? StdStream.STDERR : StdStream.STDOUT;
        StageMarker stage = stream == StdStream.STDERR ? stderrStage : stdoutStage;
        int from = 0;
        if (stage != null && !stage.found()) {
            int end = stage.scan(payload, 0, payload.length, (b, o, l) -> output(stream, b, o, l));
            if (end < 0) {
                return;
            }
            from = end;
            StageMarker other = stream == StdStream.STDERR ? stdoutStage : stderrStage;
            if (other == null || other.found()) {
                compileEnded(stage.status());
            }
        }
        if (from < payload.length) {
            output(stream, payload, from, payload.length - from);
        }
    }

    /**
     * Takes the boot markers out of a terminal's output: {@link Boot#RAW} at its very start, then, for a spec
     * with a compile stage, the compiler's output up to the stage marker ({@link StageMarker}), then {@link
     * Boot#COOKED} (each may arrive split). Anything else where a boot marker belongs (the shell's complaint
     * when the boot failed) ends the matching and is passed on. Runs on the attach's streaming thread only.
     */
    private final class MarkerFilter {
        private static final int RAW = 0;
        private static final int COMPILE = 1;
        private static final int COOKED = 2;
        private static final int PROGRAM = 3;
        private int phase = RAW;
        private int matched; // bytes of the current boot marker seen so far

        void accept(byte[] bytes) {
            int i = 0;
            while (i < bytes.length) {
                switch (phase) {
                    case RAW, COOKED -> {
                        byte[] want = phase == RAW ? Boot.RAW : Boot.COOKED;
                        if (bytes[i] == want[matched]) {
                            matched++;
                            i++;
                            if (matched == want.length) {
                                matched = 0;
                                if (phase == RAW) {
                                    rawSeen.complete(null);
                                    control.execute(DockerExecution.this::applySize);
                                    phase = stdoutStage != null ? COMPILE : COOKED;
                                } else {
                                    cookedSeen.complete(null);
                                    phase = PROGRAM;
                                }
                            }
                        } else {
                            // not the boot speaking: hand over what was held back, stop looking
                            byte[] held = java.util.Arrays.copyOf(want, matched);
                            phase = PROGRAM;
                            failMarkers();
                            output(StdStream.STDOUT, held, 0, held.length);
                        }
                    }
                    case COMPILE -> {
                        StageMarker stage = java.util.Objects.requireNonNull(stdoutStage, "stage");
                        int end =
                                stage.scan(bytes, i, bytes.length - i, (b, o, l) -> output(StdStream.STDOUT, b, o, l));
                        if (end < 0) {
                            i = bytes.length;
                        } else {
                            i = end;
                            phase = COOKED;
                            compileEnded(stage.status());
                        }
                    }
                    default -> {
                        output(StdStream.STDOUT, bytes, i, bytes.length - i);
                        i = bytes.length;
                    }
                }
            }
        }
    }

    private void failMarkers() {
        var ended = new IllegalStateException("the terminal boot did not finish");
        rawSeen.completeExceptionally(ended);
        cookedSeen.completeExceptionally(ended);
    }

    /** Stops the program's input once it has exited: the pump, the pipe and the input attach. */
    private void stopInput() {
        failMarkers();
        pipe.abort();
        StdinPump p = pump;
        if (p != null) {
            p.close();
        }
        inputAttach.close();
    }

    private void finish(@Nullable Throwable attachError) {
        go.complete(false);
        stopInput();
        // a stream that ended inside something marker-like: those bytes were output after all
        if (stdoutStage != null && !stdoutStage.found()) {
            stdoutStage.flush((b, o, l) -> output(StdStream.STDOUT, b, o, l));
        }
        if (stderrStage != null && !stderrStage.found()) {
            stderrStage.flush((b, o, l) -> output(StdStream.STDERR, b, o, l));
        }
        @Nullable ExitStatus status = null;
        @Nullable Throwable failure = null;
        try {
            if (attachError != null && !killRequested()) {
                log.debug("attach to container {} ended with {}", container.id(), Images.rootMessage(attachError));
            }
            InspectContainerResponse.ContainerState state = stoppedState();
            status = status(state);
        } catch (ExternalStop e) {
            failure = e.toSandboxException();
        } catch (RuntimeException e) {
            // Usually the daemon went away; its exception names sockets and classes, so it goes to the log.
            log.warn("run {}: could not read the container's end state: {}", request.runId(), Images.rootMessage(e));
            failure = new SandboxException(
                    "the run's container failed: the Docker engine did not report how it ended", e);
        } finally {
            long inspected = System.nanoTime();
            // The container's cgroup goes with it; its parent keeps the counters until read here.
            ResourceUsage usage = containers.removeMeasured(container.id(), compiled ? compileUsage : null);
            if (status != null) {
                status = status.withUsage(usage);
            }
            onDone.run();
            if (log.isDebugEnabled()) {
                long removed = System.nanoTime();
                log.debug(
                        "run {} timing (ms): attach {}, program+stream {}, inspect {}, remove {}",
                        request.runId(),
                        (startedNanos - startNanos) / 1e6,
                        (endNanos - startedNanos) / 1e6,
                        (inspected - endNanos) / 1e6,
                        (removed - inspected) / 1e6);
            }
        }
        SandboxException setup = setupFailure;
        if (failure == null && setup != null) {
            failure = setup;
        }
        if (failure != null) {
            log.warn("run {} in container {} failed: {}", request.runId(), container.id(), failure.getMessage());
            fail(failure);
        } else {
            complete(java.util.Objects.requireNonNull(status, "status"));
        }
    }

    /** The container's state once it has stopped; kills it if the stream broke while it still ran. */
    private InspectContainerResponse.ContainerState stoppedState() throws ExternalStop {
        InspectContainerResponse.ContainerState state;
        try {
            state = client.inspectContainerCmd(container.id()).exec().getState();
            if (Boolean.TRUE.equals(state.getRunning())) {
                // the stream can end a moment before Docker records the exit; a broken stream is killed
                if (!attach.done().isCompletedExceptionally() || killRequested()) {
                    awaitExit();
                } else {
                    client.killContainerCmd(container.id()).exec();
                    awaitExit();
                    throw new IllegalStateException("the output stream broke while the program ran");
                }
                state = client.inspectContainerCmd(container.id()).exec().getState();
            }
        } catch (NotFoundException e) {
            throw new ExternalStop("the run's container was removed outside the sandbox");
        }
        return state;
    }

    private void awaitExit() {
        try {
            client.waitContainerCmd(container.id())
                    .exec(new com.github.dockerjava.api.command.WaitContainerResultCallback())
                    .awaitStatusCode(60, TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            if (e instanceof NotFoundException) {
                throw e;
            }
            log.debug("wait for container {}: {}", container.id(), Images.rootMessage(e));
        }
    }

    private ExitStatus status(InspectContainerResponse.ContainerState state) throws ExternalStop {
        // after a clean compile the run stage's time, else the compile's (or the program's, without one)
        Duration elapsed = Duration.ofNanos(Math.max(0, endNanos - (compiled ? runStartNanos : startNanos)));
        boolean oom = Boolean.TRUE.equals(state.getOOMKilled()) || memoryRefused;
        Long exitCodeLong = state.getExitCodeLong();
        int code = exitCodeLong == null ? -1 : exitCodeLong.intValue();
        boolean killed = killRequested();
        if (killed && (code == 128 + 9 || code < 0)) {
            return ExitStatus.killed(elapsed).withOomKilled(oom);
        }
        if (code > 128 && code < 128 + 32) {
            boolean ours = sent.stream().anyMatch(s -> s.number() == code - 128);
            if (!killed && !oom && !ours) {
                // a signal nobody here sent: the memory limit (recorded late), or someone outside
                Set<String> events = containerEvents();
                if (events.contains("oom")) {
                    oom = true;
                } else if (events.contains("kill")) {
                    throw new ExternalStop("the run's container was stopped outside the sandbox");
                }
            }
            return ExitStatus.signalled(ExitStatus.signalName(code - 128), elapsed)
                    .withOomKilled(oom);
        }
        return ExitStatus.exited(code, elapsed).withOomKilled(oom);
    }

    /**
     * The {@code oom} and {@code kill} events the engine logged for this container, read only when it died by
     * a signal this sandbox did not send. A {@code kill} event means someone outside (docker kill, stop,
     * rm -f) sent it; a program that dies by itself has none. An {@code oom} event means the memory limit:
     * the engine records {@code OOMKilled} only when the OOM event reaches it before the exit event, and on
     * gVisor ({@code runsc}) the exit often comes first, so the event log is asked, waiting up to a second
     * for an event still on its way.
     */
    private Set<String> containerEvents() {
        Set<String> ourSignals = new HashSet<>();
        sent.forEach(s -> ourSignals.add(Integer.toString(s.number())));
        long now = Instant.now().getEpochSecond();
        var events = new ArrayList<Event>();
        var callback = new StreamCallback<Event>(events::add);
        try {
            client.eventsCmd()
                    .withContainerFilter(container.id())
                    .withEventFilter("kill", "oom")
                    .withSince(Long.toString(now - 3600))
                    .withUntil(Long.toString(now + 1))
                    .exec(callback);
            callback.done().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.debug("could not read events of container {}: {}", container.id(), Images.rootMessage(e));
        } finally {
            callback.close();
        }
        var actions = new HashSet<String>();
        for (Event event : List.copyOf(events)) {
            String action = event.getAction();
            if (action == null) {
                action = event.getStatus();
            }
            Map<String, String> attributes =
                    event.getActor() == null ? null : event.getActor().getAttributes();
            String signal = attributes == null ? null : attributes.get("signal");
            if ("kill".equals(action) && signal != null && ourSignals.contains(signal)) {
                continue; // a signal() of this run, not someone outside
            }
            if (action != null) {
                actions.add(action);
            }
        }
        return actions;
    }

    private static final class ExternalStop extends Exception {
        private static final long serialVersionUID = 1L;

        private final String reason;

        ExternalStop(String reason) {
            super(reason);
            this.reason = reason;
        }

        SandboxException toSandboxException() {
            return new SandboxException(reason, this);
        }
    }

    /** Runs tasks one at a time, in order, on {@code executor}'s threads. */
    private static final class SerialExecutor {
        private final Executor executor;
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        private boolean running; // guarded by tasks

        SerialExecutor(Executor executor) {
            this.executor = executor;
        }

        /**
         * Signals and resizes a client may have waiting at once; past it a new one is dropped, so a client
         * that floods SIGNAL or RESIZE costs neither memory nor a queue of Docker API calls (a queued resize
         * applies the latest size anyway).
         */
        private static final int MAX_PENDING = 32;

        void execute(Runnable task) {
            synchronized (tasks) {
                if (tasks.size() >= MAX_PENDING) {
                    log.debug("control queue full: dropping a signal or resize");
                    return;
                }
                tasks.add(task);
                if (running) {
                    return;
                }
                running = true;
            }
            try {
                executor.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                synchronized (tasks) {
                    tasks.clear();
                    running = false;
                }
            }
        }

        private void drain() {
            while (true) {
                Runnable next;
                synchronized (tasks) {
                    next = tasks.poll();
                    if (next == null) {
                        running = false;
                        return;
                    }
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    log.debug("control task failed: {}", e.toString());
                }
            }
        }
    }
}
