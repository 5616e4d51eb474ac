package dev.ranna.engine;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.StdStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test sandbox that plays scripts instead of running programs (MockWebServer style): {@link
 * #enqueue} a script per expected start, then {@link #takeRequest} what the engine asked for. Each
 * script runs on its own thread and honours kill like a real sandbox; like a real sandbox it keeps no
 * timer (the engine times runs).
 */
final class ScriptedSandbox implements Sandbox, SandboxProvider {
    private final BlockingQueue<Script> scripts = new LinkedBlockingQueue<>();
    private final BlockingQueue<SandboxRequest> requests = new LinkedBlockingQueue<>();
    private final List<ScriptedExecution> executions = new ArrayList<>();
    private final AtomicInteger closes = new AtomicInteger();
    private SpecMap defaultSpecs = SpecMap.EMPTY;
    volatile Set<Capability> capabilities = Set.of();

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    void enqueue(Script script) {
        scripts.add(script);
    }

    SandboxRequest takeRequest() throws InterruptedException {
        SandboxRequest request = requests.poll(5, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the sandbox was not asked to start anything");
        }
        return request;
    }

    int closeCount() {
        return closes.get();
    }

    synchronized List<ScriptedExecution> executions() {
        return List.copyOf(executions);
    }

    ScriptedSandbox defaultSpecs(SpecMap specs) {
        this.defaultSpecs = specs;
        return this;
    }

    // --- SandboxProvider -------------------------------------------------------------------------

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public Availability availability(SandboxConfig config, java.util.Collection<LanguageSpec> languages) {
        return Availability.available("always");
    }

    @Override
    public Sandbox create(SandboxConfig config) {
        return this;
    }

    // --- Sandbox ---------------------------------------------------------------------------------

    @Override
    public Execution start(SandboxRequest request, OutputSink sink) throws SandboxException {
        requests.add(request);
        Script script = scripts.poll();
        if (script == null) {
            script = Script.create().exit(0);
        }
        if (script.startGate != null) {
            await(script.startGate);
        }
        if (script.startFailure != null) {
            throw script.startFailure;
        }
        var execution = new ScriptedExecution(script, request, sink);
        synchronized (this) {
            executions.add(execution);
        }
        execution.thread.start();
        return execution;
    }

    @Override
    public String version() {
        return "scripted 1";
    }

    final List<List<String>> prepared = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void prepare(java.util.Collection<LanguageSpec> specs) {
        prepared.add(specs.stream().map(LanguageSpec::key).toList());
    }

    @Override
    public SpecMap defaultSpecs(SandboxConfig config) {
        return defaultSpecs;
    }

    @Override
    public void close() {
        closes.incrementAndGet();
        for (ScriptedExecution execution : executions()) {
            execution.kill();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What one run does. */
    static final class Script {
        interface Step {}

        record Write(StdStream stream, byte[] bytes) implements Step {}

        record Gate(CountDownLatch latch) implements Step {}

        /** Reads the run's standard input to its end, writing each piece read to stdout. */
        record EchoStdin() implements Step {}

        /** Reports a clean compile that took {@code elapsed}: later steps are the run stage's. */
        record Compiled(Duration elapsed) implements Step {}

        final List<Step> steps = new ArrayList<>();
        CountDownLatch startGate;
        SandboxException startFailure;
        Integer exitCode = 0;
        boolean hang;
        RuntimeException crash;
        Duration elapsed = Duration.ofMillis(7);
        ResourceUsage usage;
        boolean oomKilled;

        static Script create() {
            return new Script();
        }

        Script stdout(String text) {
            return write(StdStream.STDOUT, text.getBytes(StandardCharsets.UTF_8));
        }

        Script stderr(String text) {
            return write(StdStream.STDERR, text.getBytes(StandardCharsets.UTF_8));
        }

        Script write(StdStream stream, byte[] bytes) {
            steps.add(new Write(stream, bytes));
            return this;
        }

        /** Waits for {@code latch} between steps. */
        Script gate(CountDownLatch latch) {
            steps.add(new Gate(latch));
            return this;
        }

        /** The compile stage ends cleanly here, having taken {@code elapsed} ({@code OutputSink.compiled}). */
        Script compiled(Duration elapsed) {
            steps.add(new Compiled(elapsed));
            return this;
        }

        /** Reads standard input until it ends (EOF, or the run's end), echoing it to stdout. */
        Script echoStdin() {
            steps.add(new EchoStdin());
            return this;
        }

        /** A signal other than SIGCONT/SIGSTOP ends the program, which reports it (like a real one without traps). */
        Script exitOnSignal() {
            this.exitOnSignal = true;
            return this;
        }

        boolean exitOnSignal;

        /** start() blocks until {@code latch} opens. */
        Script startGate(CountDownLatch latch) {
            this.startGate = latch;
            return this;
        }

        Script failStart(SandboxException failure) {
            this.startFailure = failure;
            return this;
        }

        Script exit(int code) {
            this.exitCode = code;
            return this;
        }

        /** The exit status carries {@code usage} and {@code oomKilled}. */
        Script usage(ResourceUsage usage, boolean oomKilled) {
            this.usage = usage;
            this.oomKilled = oomKilled;
            return this;
        }

        Script elapsed(Duration elapsed) {
            this.elapsed = elapsed;
            return this;
        }

        /** After its steps, runs until killed. */
        Script hang() {
            this.hang = true;
            return this;
        }

        /** Like {@link #hang()}, but kill() is ignored: the sandbox has lost track of the run. */
        Script hangForever() {
            this.hang = true;
            this.ignoreKill = true;
            return this;
        }

        boolean ignoreKill;

        /** exit() completes exceptionally after the steps. */
        Script crash(RuntimeException failure) {
            this.crash = failure;
            return this;
        }
    }

    /** One playing script. */
    static final class ScriptedExecution implements Execution {
        final Thread thread;
        final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        final CountDownLatch killed = new CountDownLatch(1);
        final AtomicInteger kills = new AtomicInteger();
        final List<dev.ranna.protocol.ProgramSignal> signals = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<List<Integer>> resizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Set while the script blocks reading standard input, so kill and signals can interrupt it. */
        private volatile boolean readingStdin;
        /** Read by the echo step: whether the read ended with -1 (true) or an interrupt (false). */
        volatile boolean stdinEnded;

        private volatile dev.ranna.protocol.ProgramSignal endedBy;
        final SandboxRequest request;
        final Script script;
        volatile int stepsDone;

        ScriptedExecution(Script script, SandboxRequest request, OutputSink sink) {
            this.request = request;
            this.script = script;
            this.thread = new Thread(
                    () -> play(script, sink),
                    "script-" + request.runId().value().substring(0, 8));
            this.thread.setDaemon(true);
        }

        private void play(Script script, OutputSink sink) {
            try {
                for (Script.Step step : script.steps) {
                    if (killed.getCount() == 0) {
                        break;
                    }
                    if (step instanceof Script.Write) {
                        var write = (Script.Write) step;
                        sink.write(write.stream(), write.bytes(), 0, write.bytes().length);
                    } else if (step instanceof Script.Gate) {
                        await(((Script.Gate) step).latch());
                    } else if (step instanceof Script.EchoStdin) {
                        echo(sink);
                    } else if (step instanceof Script.Compiled) {
                        sink.compiled(ExitStatus.exited(0, ((Script.Compiled) step).elapsed()));
                    }
                    stepsDone++;
                }
                if (script.crash != null && killed.getCount() > 0) {
                    exit.completeExceptionally(script.crash);
                    return;
                }
                if (endedBy != null) {
                    exit.complete(ExitStatus.signalled(endedBy.name(), script.elapsed));
                    return;
                }
                if (script.hang) {
                    if (killed.await(5, TimeUnit.MINUTES)) {
                        if (endedBy != null) {
                            exit.complete(ExitStatus.signalled(endedBy.name(), script.elapsed));
                            return;
                        }
                        exit.complete(ExitStatus.killed(script.elapsed)
                                .withUsage(script.usage)
                                .withOomKilled(script.oomKilled));
                    } else {
                        exit.completeExceptionally(new AssertionError("a hanging script was never killed"));
                    }
                    return;
                }
                if (killed.getCount() == 0) {
                    exit.complete(ExitStatus.killed(script.elapsed)
                            .withUsage(script.usage)
                            .withOomKilled(script.oomKilled));
                } else {
                    exit.complete(ExitStatus.exited(script.exitCode, script.elapsed)
                            .withUsage(script.usage)
                            .withOomKilled(script.oomKilled));
                }
            } catch (InterruptedException e) {
                exit.completeExceptionally(e);
            }
        }

        private void echo(OutputSink sink) {
            byte[] buffer = new byte[4096];
            readingStdin = true;
            try {
                while (killed.getCount() > 0) {
                    int n = request.stdin().read(buffer, 0, buffer.length);
                    if (n < 0) {
                        stdinEnded = true;
                        return;
                    }
                    sink.write(dev.ranna.protocol.StdStream.STDOUT, buffer, 0, n);
                }
            } catch (InterruptedException e) {
                // Killed or signalled while waiting for input.
            } finally {
                readingStdin = false;
                Thread.interrupted();
            }
        }

        @Override
        public CompletionStage<ExitStatus> exit() {
            return exit;
        }

        @Override
        public void signal(dev.ranna.protocol.ProgramSignal signal) {
            signals.add(signal);
            if (script.exitOnSignal
                    && signal != dev.ranna.protocol.ProgramSignal.SIGCONT
                    && signal != dev.ranna.protocol.ProgramSignal.SIGSTOP
                    && endedBy == null) {
                endedBy = signal;
                stop();
            }
        }

        @Override
        public void resize(int columns, int rows) {
            resizes.add(List.of(columns, rows));
        }

        private void stop() {
            killed.countDown();
            if (readingStdin) {
                thread.interrupt();
            }
        }

        @Override
        public void kill() {
            kills.incrementAndGet();
            if (!script.ignoreKill) {
                stop();
            }
        }
    }
}
