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
import dev.ranna.protocol.StdStream;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile long startedNanos;

    DockerExecution(
            DockerClient client,
            Containers containers,
            Containers.Prepared container,
            SandboxRequest request,
            OutputSink sink,
            Executor executor,
            Runnable onDone) {
        super(sink);
        this.client = client;
        this.containers = containers;
        this.container = container;
        this.request = request;
        this.executor = executor;
        this.onDone = onDone;
        this.attach = new StreamCallback<>(this::onFrame);
    }

    String containerId() {
        return container.id();
    }

    /**
     * Attaches and sends the payload; returns once the program is on its way. {@code meanwhile} runs on
     * the calling thread while the attach is being established.
     *
     * @throws AttachFailed if the container did not accept the attach (it is not removed here)
     */
    void begin(byte[] payload, Runnable meanwhile) throws AttachFailed {
        startNanos = System.nanoTime();
        client.attachContainerCmd(container.id())
                .withStdIn(new ByteArrayInputStream(payload))
                .withStdOut(true)
                .withStdErr(true)
                .withFollowStream(true)
                .withLogs(false)
                .exec(attach);
        meanwhile.run();
        try {
            attach.started().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new AttachFailed(cause != null ? cause : e);
        } catch (TimeoutException e) {
            attach.close();
            throw new AttachFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            attach.close();
            throw new AttachFailed(e);
        }
        startedNanos = System.nanoTime();
        attach.done().whenComplete((ok, error) -> {
            endNanos = System.nanoTime();
            executor.execute(() -> finish(error));
        });
    }

    /** Sends the container a SIGKILL from another thread. Never blocks. */
    @Override
    protected void killProgram() {
        executor.execute(() -> {
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
        StdStream stream = frame.getStreamType() == StreamType.STDERR ? StdStream.STDERR : StdStream.STDOUT;
        output(stream, payload, 0, payload.length);
    }

    private void finish(@Nullable Throwable attachError) {
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
            ResourceUsage usage = containers.removeMeasured(container.id());
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
        Duration elapsed = Duration.ofNanos(Math.max(0, endNanos - startNanos));
        boolean oom = Boolean.TRUE.equals(state.getOOMKilled());
        Long exitCodeLong = state.getExitCodeLong();
        int code = exitCodeLong == null ? -1 : exitCodeLong.intValue();
        boolean killed = killRequested();
        if (killed && (code == 128 + 9 || code < 0)) {
            return ExitStatus.killed(elapsed).withOomKilled(oom);
        }
        if (code > 128 && code < 128 + 32) {
            if (!killed && !oom) {
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
}
