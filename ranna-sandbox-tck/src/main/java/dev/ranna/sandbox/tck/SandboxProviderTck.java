package dev.ranna.sandbox.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.ranna.engine.RunLimits;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.SourceFile;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance kit for {@link SandboxProvider}s: every sandbox module extends this class in one test,
 * and a custom sandbox written by a user does the same.
 *
 * <h2>How to use it</h2>
 *
 * <pre>{@code
 * class DockerSandboxProviderTckTest extends SandboxProviderTck {
 *     protected SandboxProvider provider() { return new DockerSandboxProvider(); }
 *     protected LanguageSpec shellSpec() {
 *         return LanguageSpec.builder("sh", "main.sh").image("busybox:1.36").entrypoint("sh").build();
 *     }
 *     protected List<String> leftovers() { ... containers labelled with sandboxConfig().instanceId() ... }
 * }
 * }</pre>
 *
 * <ol>
 *   <li>{@link #provider()}: a new instance of the provider under test.
 *   <li>{@link #shellSpec()}: a language spec whose program runs the code file with a POSIX {@code sh}.
 *       Every program of the kit is a small sh script that uses only {@code printf}, {@code echo},
 *       {@code cat}, {@code sleep} (also {@code sleep 0.1}), {@code kill}, {@code pwd}, {@code test},
 *       {@code yes}, {@code dd}, {@code od}, {@code tr}, {@code wc}, {@code md5sum}, {@code stty}, {@code
 *       id}, {@code ls}, {@code chmod}, {@code rm}, {@code rmdir}, {@code ln} and shell built-ins, so a
 *       host {@code /bin/sh} with coreutils and a busybox container both work.
 *   <li>{@link #leftovers()}: how to see what the sandbox left on the host.
 *   <li>Optionally {@link #config()}, and {@link #reportsSignalNames()} / {@link #isolatesRuns()} for a
 *       sandbox that cannot do those things (each documented weakening must be stated in the provider's
 *       documentation too); {@link #compileSpec()} when the compile-stage spec cannot be derived from the
 *       shell spec, and {@link #allocationProgram(long)} when {@code dd} cannot hold a buffer that large.
 * </ol>
 *
 * <p>The kit creates <b>one</b> sandbox for the whole class ({@link #createSandbox()}), runs the groups
 * below against it one test at a time, closes it at the end and checks that nothing is left. If the
 * provider is not {@linkplain SandboxProvider#availability available} the class is skipped with the
 * provider's reason, unless the system property {@value #REQUIRE_AVAILABLE_PROPERTY} is {@code true} or
 * the environment variable {@code CI} is {@code true}: then it fails with that reason, so a CI machine
 * missing Docker or bubblewrap cannot pass silently.
 *
 * <p>After every test, runs the test left going are killed, the sink contract is checked (no call after
 * {@code exit()} completed, no two concurrent calls for one stream) and {@link #leftovers()} must become
 * empty within {@link #CLEANUP_GRACE}.
 *
 * <h2>What it checks, group by group</h2>
 *
 * <ul>
 *   <li><b>Discovery</b>: {@link ServiceLoader} finds the provider under its {@code name()}; the name is
 *       lower-case without spaces; {@code availability(config, languages)} answers within {@link #PROMPTLY} with a reason
 *       and does not throw; the sandbox reports a version.
 *   <li><b>Output</b>: stdout and stderr arrive separately; UTF-8 arrives byte-exact, also a character
 *       split between two writes; every byte value 0..255 arrives unchanged; 1 MiB arrives complete and in
 *       order; output arrives while the program still runs.
 *   <li><b>Ordering</b>: {@code exit()} completes only after the last write, even to a slow sink, and no
 *       write follows it; what a program writes just before it exits is there when exit completes.
 *   <li><b>Exit status</b>: exit codes 0 and 3; a program killed by SIGTERM or SIGKILL reports the signal's
 *       name (see {@link #reportsSignalNames()}); {@code elapsed} is the program's own wall time.
 *   <li><b>Kill</b>: {@code kill()} ends a program within {@link #PROMPTLY} by {@code SIGKILL}, together
 *       with the processes it started; kill twice, kill after exit and kill before any output are harmless.
 *   <li><b>Timeout</b>: through a real engine on the sandbox (the engine times runs, the sandbox does not):
 *       a program running past its timeout, and what it started, are stopped promptly, and the run is
 *       reported as timed out (ERROR 408, STOP {@code timedout}).
 *   <li><b>Output pressure</b>: {@code kill()} called from inside the sink stops a flood ({@code yes}) with
 *       less than 8 MiB more; a sink that blocks holds the run back without losing a byte, and exit waits.
 *   <li><b>What the program sees</b>: arguments verbatim (spaces, quotes, {@code $HOME}, {@code *},
 *       newlines, empty, unicode); the request's environment, empty values included; none of the server's
 *       own variables ({@link #SERVER_VARIABLES}, when set: a missing one is missing infrastructure); the code verbatim in the spec's file
 *       in the working directory; a writable working directory; stdin at end-of-file.
 *   <li><b>Isolation</b>: a run cannot read a concurrent run's files, {@code /tmp}, arguments or
 *       environment, nor files an earlier run wrote (these two only if {@link #isolatesRuns()}); 8 runs
 *       started at once from 8 threads each get exactly their own output.
 *   <li><b>Standard input</b> (only if the sandbox declares {@link Capability#STDIN}; runs fed with
 *       {@link StdinFeed}): the initial bytes arrive exactly (UTF-8, every byte value, 1 MiB + 1 by {@code
 *       md5sum}); input fed piece by piece reaches the program before the input ends; the program reads EOF
 *       exactly when the source ends, and again when it reads after it; {@link StdinSource#EMPTY}, or a source
 *       that ends at once, is EOF at once; child processes read the same input; a program that never reads,
 *       with 4 MiB pending, is killed promptly; a program that exits with input pending, or with the input
 *       still open, ends the run.
 *   <li><b>Signals</b> (only with {@link Capability#SIGNALS}, which requires signal names whatever {@link
 *       #reportsSignalNames()} says): a {@code trap} on SIGINT runs and the program goes on to its own exit
 *       code; SIGTERM ends a sleeping program and is reported as {@code "SIGTERM"} with no exit code; {@code
 *       exit 143} is exit code 143; SIGSTOP pauses output and SIGCONT resumes it; a stopped program is killed
 *       promptly; a signal reaches the program's child processes; a signal after exit is harmless.
 *   <li><b>Terminal</b> (only with {@link Capability#TTY}, on requests with {@code tty(true)}): standard
 *       input, output and error are a terminal; its size is 80x24 from the first action; {@link
 *       Execution#resize} changes the size the program sees next (it has taken effect when resize returns);
 *       stderr arrives on stdout in order; input is echoed and a newline arrives as {@code \r\n}; escape
 *       sequences arrive unchanged; the end of input (Ctrl-D) ends {@code cat}, and only then.
 *   <li><b>Files</b> (only with {@link Capability#FILES}; {@link SandboxRequest#files()}): files in a
 *       subdirectory arrive byte-exact (every byte value, NUL and 0xFF, an empty file, 1 MiB by {@code
 *       md5sum}); they and their directories belong to the program's user (same owner as {@code id -u};
 *       it can overwrite, {@code chmod} and delete them); names with spaces, quotes, {@code -rf}, {@code
 *       $(...)}, newlines and the like are written literally and run nothing, and UTF-8 names as their
 *       bytes (this one needs a JVM whose file names are UTF-8); deep directories are made;
 *       a run finds exactly its own files, and symbolic links an earlier run planted in its directory
 *       neither show up nor make the next run's files land outside its working directory (checked on the
 *       host too).
 *   <li><b>Compile stage</b> (only with {@link Capability#COMPILE}; runs of {@link #compileSpec()}):
 *       {@link dev.ranna.engine.spi.OutputSink#compiled} is called once, with exit code 0, after all the
 *       compiler's output (256 KiB to a slow sink) and before any of the program's; the compile's and the
 *       program's elapsed times are their own; a compile that fails never runs the program, calls no
 *       {@code compiled()}, and its exit code and output are the run's; {@code kill()} during the compile
 *       ends it and the program never runs; the compile stage reads end-of-file, the request's input is the
 *       program's (with {@link Capability#STDIN}); it sees the request's files (with {@link
 *       Capability#FILES}); it has its own memory limit ({@code sandbox.compile.memory}), not the run's.
 *       Through a real engine: a compile past its own timeout is stopped with what it started, reported
 *       as {@code ERROR 408 "compilation timed out"} and a STOP {@code timedout} in stage {@code compile};
 *       the run's timeout starts when the compile ended, and LOGs carry their stage.
 *       After every test of the kit: no {@code compiled()} for a spec without a compile stage.
 *   <li><b>Limits</b> (only with {@link Capability#LIMITS}; {@link SandboxRequest#memoryLimit()}): an
 *       allocation past a run's own 32 MiB limit does not complete (and is reported {@code oomKilled} by
 *       a sandbox with {@link Capability#USAGE}), one below it does; a later request without a limit gets
 *       the server's {@code sandbox.memory} again, neither the earlier run's nor none; the compile stage is
 *       not held to the run's own limit (with {@link Capability#COMPILE}).
 *   <li><b>Cleanup</b>: background processes are gone when {@code exit()} completes, also ones holding
 *       the output open; exited, killed and timed-out runs leave nothing behind.
 *   <li><b>Closing</b> (runs last): {@code close()} ends running programs, leaves nothing behind, can be
 *       called again, and {@code start()} afterwards throws {@link SandboxException} or {@link
 *       IllegalStateException}.
 * </ul>
 *
 * <p>Do not run this class with JUnit's parallel execution: the tests share one sandbox and check
 * {@link #leftovers()} between them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
public abstract class SandboxProviderTck {

    /**
     * The system property that turns "provider unavailable" from a skip into a failure; the same as
     * {@link Infrastructure#REQUIRE_PROPERTY}, whose rule the kit follows.
     */
    public static final String REQUIRE_AVAILABLE_PROPERTY = Infrastructure.REQUIRE_PROPERTY;

    /**
     * An environment variable a build sets in the test JVM (ranna's parent pom does, through Surefire) so
     * that the check "the server's own environment does not leak into the program" always has a variable
     * to look for; the check also looks for {@link #SERVER_VARIABLES}.
     */
    public static final String SERVER_CANARY_VARIABLE = "RANNA_TCK_SERVER_CANARY";

    /** The server variables whose values must not reach a program, when set in the test JVM. */
    public static final List<String> SERVER_VARIABLES = List.of(
            SERVER_CANARY_VARIABLE,
            "JAVA_HOME",
            "JDK_JAVA_OPTIONS",
            "CLASSPATH",
            "MAVEN_HOME",
            "M2_HOME",
            "MAVEN_PROJECTBASEDIR",
            "MAVEN_CMD_LINE_ARGS");

    /** The timeout of every request unless a test says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** How long a run may take to end after it was killed, timed out, or its program exited. */
    public static final Duration PROMPTLY = Duration.ofSeconds(10);

    /** How long a program may take to start and print its first line (containers are slow to start). */
    public static final Duration STARTUP = Duration.ofSeconds(30);

    /** How long {@link #leftovers()} may take to become empty after runs ended or the sandbox closed. */
    public static final Duration CLEANUP_GRACE = Duration.ofSeconds(5);

    /**
     * The prefix of the files the isolation tests write to {@code /tmp} (with a random suffix); a sandbox
     * that isolates runs keeps them inside the run.
     */
    public static final String TMP_FILE_PREFIX = "/tmp/ranna-tck-";

    private static final int MIB = 1024 * 1024;

    private @Nullable SandboxProvider provider;
    private @Nullable SandboxConfig sandboxConfig;
    private @Nullable Sandbox sandbox;
    private final List<Run> runs = Collections.synchronizedList(new ArrayList<>());

    /**
     * The provider under test: a new instance, as {@link ServiceLoader} would make it. Called once, before
     * anything else.
     */
    protected abstract SandboxProvider provider();

    /**
     * The configuration the sandbox is created with; called once. Defaults to {@link
     * SandboxConfig#defaults()}. The value used is available as {@link #sandboxConfig()}.
     */
    protected SandboxConfig config() {
        return SandboxConfig.defaults();
    }

    /**
     * A language spec whose program runs the code file with a POSIX {@code sh}, e.g. entrypoint {@code
     * sh} and filename {@code main.sh} (with an image that has {@code sh}, such as busybox, for container
     * sandboxes). The program's arguments follow the file name, so they arrive in the script as {@code
     * "$@"}.
     */
    protected abstract LanguageSpec shellSpec();

    /**
     * What the sandbox has left on the host right now: processes, containers, volumes, networks, work
     * directories, each described in a line an operator would understand. Called between tests, when no
     * run is going, and after {@link Sandbox#close()}; the kit asserts it is (or soon becomes) empty.
     *
     * <p>Look only for what this sandbox made, e.g. by the label or name prefix carrying {@code
     * sandboxConfig().instanceId()}, so that other sandboxes on the same host do not count. Leave out what
     * an open sandbox keeps on purpose (a cached image, its own root directory); list those too once the
     * sandbox is closed.
     */
    protected abstract List<String> leftovers();

    /**
     * Whether {@link ExitStatus#signal()} names the signal that ended a program. Defaults to true, and
     * that is what the engine's STOP event wants.
     *
     * <p>Return false only if the sandbox cannot tell a signal from an exit code: the JVM's {@link
     * Process#exitValue()} and Docker's container exit code both report a program killed by signal
     * {@code n} as exit code {@code 128 + n}, exactly like a program that called {@code exit(128 + n)}.
     * The kit then accepts {@code exitCode == 128 + n} with a null signal as well, and the provider must
     * document that its STOP events carry {@code exitcode 128+n} instead of {@code signal}.
     */
    protected boolean reportsSignalNames() {
        return true;
    }

    /**
     * Whether a program that exits with a code above 128 by itself is reported with that exit code, and
     * only a program a signal ended is reported by the signal's name. Defaults to true.
     *
     * <p>Return false for a sandbox that learns the end of a program only as an exit code, where a death
     * by signal {@code n} and {@code exit(128 + n)} are the same number (Docker's init reports both as
     * {@code 128 + n}), and that names codes 129..159 as signals because crashes ({@code SIGSEGV}, {@code
     * SIGABRT}) are far more common than programs choosing such codes. The kit then checks that
     * documented behaviour ({@code exit 143} is reported as {@code "SIGTERM"}) instead, and the provider
     * must document it.
     */
    protected boolean reportsHighExitCodesExactly() {
        return true;
    }

    /**
     * Whether concurrent runs are isolated from each other (files, {@code /tmp}, processes). Defaults to
     * true. Return false only for a sandbox that explicitly runs code without isolation, as a local
     * development mode; the isolation test is then skipped with a message saying so.
     */
    protected boolean isolatesRuns() {
        return true;
    }

    /** The code file of {@link #compileSpec()}: the build script its compile stage runs. */
    public static final String BUILD_FILE = "build.sh";

    /** The file the build script of {@link #compileSpec()} writes, and its run stage runs. */
    public static final String PROGRAM_FILE = "program.sh";

    /**
     * A spec with a compile stage that every sandbox able to run {@link #shellSpec()} can run: the code is
     * a build script in {@value #BUILD_FILE}, the compile stage runs it with the shell ({@code sh
     * build.sh}), and the run stage runs the {@value #PROGRAM_FILE} it wrote with the shell ({@code sh
     * program.sh ARGS...}).
     *
     * <p>The default derives it from {@link #shellSpec()}, whose command (entrypoint, then cmd) must end
     * with its file name after the shell's words, as {@code /bin/sh main.sh} does; override it otherwise.
     */
    protected LanguageSpec compileSpec() {
        LanguageSpec shell = shellSpec();
        var command = new ArrayList<>(shell.entrypoint());
        command.addAll(shell.cmd());
        if (command.size() < 2 || !command.get(command.size() - 1).equals(shell.filename())) {
            throw new IllegalStateException("cannot derive compileSpec() from shellSpec() " + shell
                    + ": its command does not end with its file name; override compileSpec()");
        }
        List<String> shellWords = command.subList(0, command.size() - 1);
        var compile = new ArrayList<>(shellWords);
        compile.add(BUILD_FILE);
        return LanguageSpec.builder(shell.key() + "-compiled", BUILD_FILE)
                .image(shell.image())
                .entrypoint(shellWords)
                .cmd(List.of(PROGRAM_FILE))
                .language(shell.language())
                .compile(compile)
                .build();
    }

    /**
     * An sh script that holds {@code bytes} of touched memory at once and then prints {@code allocated}
     * (and nothing else) on standard output; the usage and limit checks run it. The default is one {@code
     * dd} buffer of that size filled from {@code /dev/zero}.
     */
    protected String allocationProgram(long bytes) {
        return allocate(bytes);
    }

    /** The provider under test, as returned by {@link #provider()} at the start. */
    protected final SandboxProvider providerUnderTest() {
        SandboxProvider current = provider;
        if (current == null) {
            throw new IllegalStateException("the kit has not started: createSandbox() did not run");
        }
        return current;
    }

    /**
     * The configuration the sandbox was created with ({@link #config()} called once), for {@link
     * #leftovers()} to find what this sandbox made by {@link SandboxConfig#instanceId()}.
     */
    protected final SandboxConfig sandboxConfig() {
        SandboxConfig current = sandboxConfig;
        if (current == null) {
            throw new IllegalStateException("the kit has not started: createSandbox() did not run");
        }
        return current;
    }

    /** The one sandbox of this class, for a provider's own extra tests. */
    protected final Sandbox sandbox() {
        Sandbox current = sandbox;
        if (current == null) {
            throw new IllegalStateException("the kit has not started: createSandbox() did not run");
        }
        return current;
    }

    /**
     * Checks availability and creates the sandbox; runs once before all tests. Skips the class when the
     * provider is unavailable, or fails it when availability is required (see the class description).
     */
    @BeforeAll
    protected final void createSandbox() throws SandboxException {
        SandboxProvider created = provider();
        assertThat(created).as("provider()").isNotNull();
        provider = created;
        SandboxConfig config = config();
        assertThat(config).as("config()").isNotNull();
        Availability availability = created.availability(config, List.of(shellSpec()));
        assertThat(availability)
                .as("%s.availability(config, languages)", created.name())
                .isNotNull();
        Infrastructure.require(
                availability.available(),
                "sandbox provider '" + created.name() + "' is not available here: " + availability.reason());
        sandboxConfig = config;
        sandbox = created.create(config);
        assertThat(sandbox).as("%s.create(config)", created.name()).isNotNull();
    }

    /** Kills the runs a test left going, waits for them to end, and checks nothing is left behind. */
    @AfterEach
    protected final void endRunsAndCheckLeftovers() throws InterruptedException {
        List<Run> started;
        synchronized (runs) {
            started = new ArrayList<>(runs);
            runs.clear();
        }
        List<String> problems = new ArrayList<>();
        for (Run run : started) {
            if (!run.exitFuture().isDone()) {
                run.execution().kill();
            }
        }
        for (Run run : started) {
            try {
                run.exitFuture().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                problems.add("run " + run.request().runId() + " did not end within " + PROMPTLY + " of kill()");
            } catch (ExecutionException e) {
                // The test that started it judges exceptional exits; here only ending matters.
            }
            run.sink()
                    .violations()
                    .forEach(v -> problems.add("run " + run.request().runId() + ": " + v));
            if (!run.request().spec().hasCompileStage()
                    && !run.sink().compiledCalls().isEmpty()) {
                problems.add("run " + run.request().runId() + ": compiled("
                        + run.sink().compiledCalls() + ") for a spec without a compile stage");
            }
        }
        if (sandbox != null) {
            List<String> left = awaitNoLeftovers();
            left.forEach(l -> problems.add("left behind after the test's runs ended: " + l));
        }
        assertThat(problems).as("after this test").isEmpty();
    }

    /** Closes the sandbox (again, if the closing test did) and checks nothing is left behind. */
    @AfterAll
    protected final void closeSandbox() throws InterruptedException {
        Sandbox current = sandbox;
        if (current == null) {
            return;
        }
        current.close();
        assertThat(awaitNoLeftovers()).as("left behind after close()").isEmpty();
    }

    /**
     * A request to run {@code script} with the {@linkplain #shellSpec() shell spec} and a fresh run id.
     *
     * @param script the sh script, written to the spec's file
     * @param arguments passed to the script as {@code "$@"}
     * @param environment added to the program's environment
     * @param timeout the request's timeout
     */
    protected final SandboxRequest request(
            String script, List<String> arguments, Map<String, String> environment, Duration timeout) {
        return new SandboxRequest(RunId.random(), shellSpec(), script, arguments, environment, timeout);
    }

    /**
     * Starts {@code script} with {@code arguments}, no extra environment and {@link #DEFAULT_TIMEOUT},
     * recording its output. The run is killed after the test if it is still going.
     */
    protected final Run run(String script, String... arguments) throws SandboxException {
        return run(request(script, List.of(arguments), Map.of(), DEFAULT_TIMEOUT), RecordingOutputSink.create());
    }

    /**
     * A builder of a request to run {@code script} with the {@linkplain #shellSpec() shell spec}, a fresh run
     * id, {@code arguments} as {@code "$@"} and {@link #DEFAULT_TIMEOUT}; add standard input, a terminal and
     * the like before passing it to {@link #run(SandboxRequest.Builder)}.
     */
    protected final SandboxRequest.Builder requestBuilder(String script, String... arguments) {
        return SandboxRequest.builder(RunId.random(), shellSpec(), script)
                .arguments(List.of(arguments))
                .timeout(DEFAULT_TIMEOUT);
    }

    /**
     * Starts the request {@code builder} builds, recording its output. The run is killed after the test if
     * it is still going.
     */
    protected final Run run(SandboxRequest.Builder builder) throws SandboxException {
        return run(builder.build(), RecordingOutputSink.create());
    }

    /**
     * Starts {@code request} writing to {@code sink}, and {@linkplain RecordingOutputSink#attach attaches}
     * the sink. The run is killed after the test if it is still going.
     */
    protected final Run run(SandboxRequest request, RecordingOutputSink sink) throws SandboxException {
        long before = System.nanoTime();
        Execution execution = sandbox().start(request, sink);
        assertThat(execution).as("start() returned null").isNotNull();
        assertThat(execution.exit()).as("execution.exit() returned null").isNotNull();
        Run run = new Run(request, sink, execution, before);
        runs.add(run);
        sink.attach(execution);
        return run;
    }

    /**
     * One started run of the kit: its request, its recording sink and its execution.
     *
     * <p>Thread-safe.
     */
    protected static final class Run {
        private final SandboxRequest request;
        private final RecordingOutputSink sink;
        private final Execution execution;
        private final long startNanos;

        Run(SandboxRequest request, RecordingOutputSink sink, Execution execution, long startNanos) {
            this.request = request;
            this.sink = sink;
            this.execution = execution;
            this.startNanos = startNanos;
        }

        /** The request the run was started with. */
        public SandboxRequest request() {
            return request;
        }

        /** The sink recording the run's output. */
        public RecordingOutputSink sink() {
            return sink;
        }

        /** The execution {@code start} returned. */
        public Execution execution() {
            return execution;
        }

        /** {@code execution().exit()} as a future. */
        public CompletableFuture<ExitStatus> exitFuture() {
            return execution.exit().toCompletableFuture();
        }

        /** The time since just before {@code start} was called. */
        public Duration sinceStart() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }

        /**
         * Waits up to {@code timeout} for the exit status. Fails, with the output so far, if exit does not
         * complete in time or completes exceptionally.
         */
        public ExitStatus awaitExit(Duration timeout) throws InterruptedException {
            try {
                ExitStatus status = exitFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                // The sink's snapshot of the output at exit is taken by another dependent of the same
                // future, which may not have run yet: wait for it, so stdoutAtExit() is what it says.
                sink.exitRecorded().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                return status;
            } catch (TimeoutException e) {
                return fail("exit() did not complete within " + timeout + "; " + describeOutput());
            } catch (ExecutionException e) {
                return fail("exit() completed exceptionally: " + e.getCause() + "; " + describeOutput(), e);
            }
        }

        /** Waits up to {@link SandboxProviderTck#DEFAULT_TIMEOUT} plus {@link SandboxProviderTck#PROMPTLY} for the exit status. */
        public ExitStatus awaitExit() throws InterruptedException {
            return awaitExit(DEFAULT_TIMEOUT.plus(PROMPTLY));
        }

        /** Waits up to {@link SandboxProviderTck#STARTUP} until the standard output contains {@code text}; fails otherwise. */
        public void awaitStdoutContaining(String text) throws InterruptedException {
            if (!sink.awaitStdout(s -> s.contains(text), STARTUP)) {
                fail("the program did not print '" + text + "' within " + STARTUP + "; " + describeOutput());
            }
        }

        /** Waits up to {@code timeout} until the standard output contains {@code text}; fails otherwise. */
        public void awaitStdoutContaining(String text, Duration timeout) throws InterruptedException {
            if (!sink.awaitStdout(s -> s.contains(text), timeout)) {
                fail("the program did not print '" + text + "' within " + timeout + "; " + describeOutput());
            }
        }

        /** The output so far, shortened, for failure messages. */
        public String describeOutput() {
            return "stdout so far: '" + shorten(sink.stdout()) + "', stderr so far: '" + shorten(sink.stderr()) + "'";
        }

        private static String shorten(String text) {
            return text.length() <= 300 ? text : text.substring(0, 300) + "... (" + text.length() + " chars)";
        }
    }

    private List<String> awaitNoLeftovers() throws InterruptedException {
        long deadline = System.nanoTime() + CLEANUP_GRACE.toNanos();
        while (true) {
            List<String> left = leftovers();
            if (left.isEmpty() || System.nanoTime() - deadline >= 0) {
                return left;
            }
            // Polling an external state (processes, containers) that has no notification: bounded retries.
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    /** The LOG events among {@code events}, in order. */
    private static List<Event.Log> logsOf(List<Event> events) {
        return events.stream()
                .filter(Event.Log.class::isInstance)
                .map(Event.Log.class::cast)
                .collect(Collectors.toList());
    }

    /** {@code text} as one sh word, single-quoted. */
    static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertExitedNormally(ExitStatus status, int exitCode) {
        assertThat(status.exitCode()).as("exitCode of %s", status).isEqualTo(exitCode);
        assertThat(status.signal()).as("signal of %s", status).isNull();
        assertThat(status.oomKilled()).as("oomKilled of %s", status).isFalse();
    }

    /** Ended by {@code kill()}: SIGKILL, no exit code (or exit code 137 where signals are not named). */
    private void assertKilled(ExitStatus status) {
        boolean named = "SIGKILL".equals(status.signal()) && status.exitCode() == null;
        boolean conventional = !reportsSignalNames()
                && status.signal() == null
                && Integer.valueOf(128 + 9).equals(status.exitCode());
        assertThat(named || conventional)
                .as("killed of %s: SIGKILL with a null exit code", status)
                .isTrue();
    }

    /**
     * A script printing {@code lines} numbered 64-byte lines to stdout and every 16th number to stderr, and
     * the bytes it prints.
     */
    private static final class NumberedOutput {
        private static final String PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012"; // 55 chars
        final String script;
        final byte[] stdout;
        final byte[] stderr;

        NumberedOutput(int lines) {
            this.script = "pad=" + PAD + "\n"
                    + "i=0\n"
                    + "while [ \"$i\" -lt " + lines + " ]; do\n"
                    + "  printf '%07d %s\\n' \"$i\" \"$pad\"\n"
                    + "  if [ $((i % 16)) -eq 0 ]; then printf 'e%07d\\n' \"$i\" >&2; fi\n"
                    + "  i=$((i + 1))\n"
                    + "done\n";
            var out = new StringBuilder(lines * 64);
            var err = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                out.append(String.format(Locale.ROOT, "%07d %s\n", i, PAD));
                if (i % 16 == 0) {
                    err.append(String.format(Locale.ROOT, "e%07d\n", i));
                }
            }
            this.stdout = utf8(out.toString());
            this.stderr = utf8(err.toString());
        }
    }

    @Nested
    @DisplayName("Discovery")
    class Discovery {

        @Test
        @DisplayName("ServiceLoader finds the provider, under the same name")
        void serviceLoaderFindsTheProvider() {
            SandboxProvider expected = providerUnderTest();
            List<SandboxProvider> found = ServiceLoader.load(SandboxProvider.class).stream()
                    .filter(p -> p.type() == expected.getClass())
                    .map(ServiceLoader.Provider::get)
                    .collect(Collectors.toList());
            assertThat(found)
                    .as(
                            "providers of type %s listed in META-INF/services/%s",
                            expected.getClass().getName(), SandboxProvider.class.getName())
                    .hasSize(1);
            assertThat(found.get(0).name()).isEqualTo(expected.name());
        }

        @Test
        @DisplayName("the name is non-blank, lower-case and has no spaces")
        void nameIsLowerCase() {
            String name = providerUnderTest().name();
            assertThat(name).isNotBlank().doesNotContainAnyWhitespaces().isEqualTo(name.toLowerCase(Locale.ROOT));
        }

        @Test
        @DisplayName("availability() answers within a few seconds, with a reason, and does not throw")
        void availabilityAnswersQuickly() {
            long before = System.nanoTime();
            Availability availability = providerUnderTest().availability(config(), List.of(shellSpec()));
            Duration took = Duration.ofNanos(System.nanoTime() - before);
            assertThat(availability).isNotNull();
            assertThat(availability.reason()).as("reason").isNotBlank();
            assertThat(availability.details()).as("details").isNotNull();
            assertThat(took).as("time availability() took").isLessThan(PROMPTLY);
        }

        @Test
        @DisplayName("the sandbox reports its version and info; the provider its isolation, keys and default specs")
        void sandboxDescribesItself() {
            assertThat(sandbox().version()).as("version()").isNotBlank();
            assertThat(sandbox().info()).as("info()").isNotNull();
            SandboxProvider described = providerUnderTest();
            assertThat(described.defaultSpecs(config()))
                    .as("defaultSpecs(config)")
                    .isNotNull();
            assertThat(described.isolation(config())).as("isolation(config)").isNotNull();
            assertThat(described.configKeys())
                    .as("configKeys()")
                    .isNotNull()
                    .doesNotContainNull()
                    .extracting(key -> key.name())
                    .doesNotHaveDuplicates();
        }
    }

    @Nested
    @DisplayName("Output")
    class Output {

        @Test
        @DisplayName("stdout and stderr arrive separately")
        void stdoutAndStderrAreSeparate() throws Exception {
            Run run = run("printf 'out 1\\n'\nprintf 'err 1\\n' >&2\nprintf 'out 2\\n'\nprintf 'err 2\\n' >&2\n");
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout()).isEqualTo("out 1\nout 2\n");
            assertThat(run.sink().stderr()).isEqualTo("err 1\nerr 2\n");
        }

        @Test
        @DisplayName("UTF-8 arrives byte-exact, also a character split between two writes")
        void utf8SurvivesByteExact() throws Exception {
            Run run = run("printf 'héllo 👋\\n'\nprintf 'ünï ✓\\n' >&2\nprintf '\\360\\237'\nprintf '\\221\\213\\n'\n");
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdoutBytes()).isEqualTo(utf8("héllo 👋\n👋\n"));
            assertThat(run.sink().stderrBytes()).isEqualTo(utf8("ünï ✓\n"));
        }

        @Test
        @DisplayName("every byte value 0 to 255 arrives unchanged, on both streams")
        void binaryBytesArriveUnchanged() throws Exception {
            var format = new StringBuilder();
            byte[] expected = new byte[256];
            for (int b = 0; b < 256; b++) {
                format.append(String.format(Locale.ROOT, "\\%03o", b));
                expected[b] = (byte) b;
            }
            Run run = run("printf '" + format + "'\nprintf '" + format + "' >&2\n");
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdoutBytes()).isEqualTo(expected);
            assertThat(run.sink().stderrBytes()).isEqualTo(expected);
        }

        @Test
        @DisplayName("1 MiB of stdout arrives complete and in order, with stderr alongside")
        void largeOutputArrivesInOrder() throws Exception {
            var output = new NumberedOutput(MIB / 64);
            Run run = run(output.script);
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdoutBytes()).isEqualTo(output.stdout);
            assertThat(run.sink().stderrBytes()).isEqualTo(output.stderr);
        }

        @Test
        @DisplayName("output arrives while the program is still running")
        void outputIsStreamed() throws Exception {
            Run run = run("printf 'first\\n'\nprintf 'first err\\n' >&2\nsleep 30\n");
            run.awaitStdoutContaining("first\n");
            assertThat(run.sink().awaitOutput(StdStream.STDERR, "first err\n"::equals, STARTUP))
                    .as("stderr arrived while the program runs; %s", run.describeOutput())
                    .isTrue();
            assertThat(run.exitFuture()).as("exit() while the program sleeps").isNotDone();
            run.execution().kill();
            run.awaitExit(PROMPTLY);
        }
    }

    @Nested
    @DisplayName("Ordering")
    class Ordering {

        @Test
        @DisplayName("exit() completes only after the last write, even to a slow sink, and no write comes after it")
        void exitCompletesAfterTheLastWrite() throws Exception {
            // Four 64 KiB bursts on stdout and two on stderr, then an immediate exit: the last burst is still in
            // transit to the slow sink when the program is gone.
            String block = "0123456789abcdef".repeat(4096);
            String script = "s=0123456789abcdef\n"
                    + "for n in 1 2 3 4 5 6 7 8 9 10 11 12; do s=$s$s; done\n"
                    + "printf 'a:%s\\n' \"$s\"\n"
                    + "printf 'A:%s\\n' \"$s\" >&2\n"
                    + "printf 'b:%s\\n' \"$s\"\n"
                    + "printf 'c:%s\\n' \"$s\"\n"
                    + "printf 'B:%s\\n' \"$s\" >&2\n"
                    + "printf 'd:%s\\n' \"$s\"\n"
                    + "exit 0\n";
            var sink = RecordingOutputSink.slowedBy(Duration.ofMillis(5));
            Run run = run(request(script, List.of(), Map.of(), DEFAULT_TIMEOUT), sink);
            assertExitedNormally(run.awaitExit(), 0);
            String stdout = "a:" + block + "\nb:" + block + "\nc:" + block + "\nd:" + block + "\n";
            String stderr = "A:" + block + "\nB:" + block + "\n";
            assertThat(sink.stdoutAtExit()).as("stdout when exit() completed").isEqualTo(utf8(stdout));
            assertThat(sink.stderrAtExit()).as("stderr when exit() completed").isEqualTo(utf8(stderr));
            assertThat(sink.awaitWriteAfterExit(Duration.ofMillis(500)))
                    .as("a write came after exit() completed: %s", sink.violations())
                    .isFalse();
            assertThat(sink.violations()).isEmpty();
        }

        @Test
        @DisplayName("what a program writes just before it exits is all there when exit() completes")
        void lastWordsArePresentAtExit() throws Exception {
            for (int i = 0; i < 3; i++) {
                var sink = RecordingOutputSink.slowedBy(Duration.ofMillis(20));
                String script = "printf 'last words %s' \"$1\"\nprintf 'last error' >&2\nexit 7\n";
                Run run = run(request(script, List.of(String.valueOf(i)), Map.of(), DEFAULT_TIMEOUT), sink);
                assertExitedNormally(run.awaitExit(), 7);
                assertThat(sink.stdoutAtExit())
                        .as("stdout when exit() completed")
                        .isEqualTo(utf8("last words " + i));
                assertThat(sink.stderrAtExit())
                        .as("stderr when exit() completed")
                        .isEqualTo(utf8("last error"));
            }
        }
    }

    @Nested
    @DisplayName("Exit status")
    class ExitStatusReporting {

        @Test
        @DisplayName("exit 0 reports exit code 0")
        void exitZero() throws Exception {
            assertExitedNormally(run("exit 0\n").awaitExit(), 0);
        }

        @Test
        @DisplayName("exit 3 reports exit code 3 and no signal")
        void exitThree() throws Exception {
            assertExitedNormally(run("exit 3\n").awaitExit(), 3);
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"TERM", "KILL"})
        @DisplayName("a program that kills itself reports the signal")
        void signalIsReported(String signal) throws Exception {
            Run run = run("kill -s " + signal + " $$\nprintf 'survived\\n'\nexit 0\n");
            ExitStatus status = run.awaitExit();
            assertThat(run.sink().stdout())
                    .as("the program survived kill -s %s $$ (is sh running as PID 1 without an init?)", signal)
                    .doesNotContain("survived");
            String name = "SIG" + signal;
            int number = "TERM".equals(signal) ? 15 : 9;
            boolean named = name.equals(status.signal()) && status.exitCode() == null;
            boolean conventional = !reportsSignalNames()
                    && status.signal() == null
                    && Integer.valueOf(128 + number).equals(status.exitCode());
            assertThat(named || conventional)
                    .as(
                            "expected signal %s with a null exit code%s, got %s",
                            name, reportsSignalNames() ? "" : " (or exit code " + (128 + number) + ")", status)
                    .isTrue();
        }

        @Test
        @DisplayName("elapsed is the program's own wall time")
        void elapsedIsPlausible() throws Exception {
            Run run = run("sleep 1\n");
            ExitStatus status = run.awaitExit();
            Duration wall = run.sinceStart();
            assertExitedNormally(status, 0);
            assertThat(status.elapsed()).as("elapsed of sleep 1").isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(status.elapsed())
                    .as("elapsed, against the wall time of start() to exit (%s)", wall)
                    .isLessThanOrEqualTo(wall.plusMillis(100));
            assertThat(status.elapsed()).as("elapsed, against the timeout").isLessThan(DEFAULT_TIMEOUT);
        }
    }

    @Nested
    @DisplayName("Kill")
    class Kill {

        @Test
        @DisplayName("kill() ends a running program promptly and marks it killed")
        void killEndsTheProgram() throws Exception {
            Run run = run("printf 'started\\n'\nsleep 30\nprintf 'not killed\\n'\n");
            run.awaitStdoutContaining("started");
            long before = System.nanoTime();
            run.execution().kill();
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertThat(Duration.ofNanos(System.nanoTime() - before))
                    .as("kill() to exit")
                    .isLessThan(PROMPTLY);
            assertKilled(status);
            assertThat(Integer.valueOf(0).equals(status.exitCode()))
                    .as("exit code 0 after kill(): %s", status)
                    .isFalse();
            assertThat(run.sink().stdout()).doesNotContain("not killed");
        }

        @Test
        @DisplayName("kill() also ends the processes the program started")
        void killEndsChildren() throws Exception {
            Run run = run("sleep 30 &\nsleep 30 &\nprintf 'started\\n'\nwait\n");
            run.awaitStdoutContaining("started");
            run.execution().kill();
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertKilled(status);
            assertThat(awaitNoLeftovers()).as("left behind after kill()").isEmpty();
        }

        @Test
        @DisplayName("kill() twice is harmless, and so is kill() after exit")
        void killIsIdempotent() throws Exception {
            Run running = run("printf 'started\\n'\nsleep 30\n");
            running.awaitStdoutContaining("started");
            running.execution().kill();
            running.execution().kill();
            ExitStatus killed = running.awaitExit(PROMPTLY);
            assertKilled(killed);
            running.execution().kill();
            assertThat(running.awaitExit(PROMPTLY)).isEqualTo(killed);

            Run exited = run("printf 'done\\n'\nexit 0\n");
            ExitStatus status = exited.awaitExit();
            exited.execution().kill();
            exited.execution().kill();
            assertThat(exited.awaitExit(PROMPTLY))
                    .as("exit status after a late kill()")
                    .isEqualTo(status);
            assertExitedNormally(status, 0);
            assertThat(exited.sink().stdout()).isEqualTo("done\n");
        }

        @Test
        @DisplayName("kill() right after start, before any output, is fine")
        void killBeforeOutput() throws Exception {
            Run run = run("sleep 30\nprintf 'not killed\\n'\n");
            run.execution().kill();
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertKilled(status);
            assertThat(run.sink().stdout()).isEmpty();
        }
    }

    @Nested
    @DisplayName("Timeout")
    class TimeoutEnforcement {

        @Test
        @DisplayName("through the engine, a program past its timeout is stopped with what it started and reported")
        void timeoutKills() throws Exception {
            Duration timeout = Duration.ofSeconds(1);
            List<Event> events;
            long before = System.nanoTime();
            try (var engine = new EngineHarness(sandbox(), shellSpec(), timeout)) {
                events = engine.exec(
                        "sleep 30 &\nprintf 'started\\n'\nsleep 30\nprintf 'not killed\\n'\n",
                        STARTUP.plus(timeout).plus(PROMPTLY));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - before))
                    .as("EXEC to STOP with a %s timeout", timeout)
                    .isLessThan(STARTUP.plus(timeout).plus(PROMPTLY));
            assertThat(events).as("events").hasSizeGreaterThanOrEqualTo(3);
            assertThat(events.get(0)).as("first event of %s", events).isInstanceOf(Event.Spawn.class);
            var errors = events.stream()
                    .filter(Event.Error.class::isInstance)
                    .map(Event.Error.class::cast)
                    .toList();
            assertThat(errors)
                    .as("the ERROR of a run past its timeout, in %s", events)
                    .extracting(Event.Error::code)
                    .containsExactly(408);
            assertThat(events.get(events.size() - 2))
                    .as("ERROR right before the STOP")
                    .isEqualTo(errors.get(0));
            RunResult result = ((Event.Stop) events.get(events.size() - 1)).result();
            assertThat(result.timedOut()).as("timedout of %s", result).isTrue();
            assertThat(result.killed()).as("killed of %s", result).isFalse();
            assertThat(result.execTimeMs()).as("exectime of %s", result).isGreaterThanOrEqualTo(900);
            String stdout = events.stream()
                    .filter(Event.Log.class::isInstance)
                    .map(e -> ((Event.Log) e).text())
                    .collect(Collectors.joining());
            assertThat(stdout).isEqualTo("started\n");
            assertThat(awaitNoLeftovers()).as("left behind after the timeout").isEmpty();
        }
    }

    @Nested
    @DisplayName("Output pressure")
    class OutputPressure {

        @Test
        @DisplayName("a flood of output is stopped by kill() from inside the sink")
        void floodStopsAtKillFromTheSink() throws Exception {
            var sink = RecordingOutputSink.killingAfter(MIB);
            Run run = run(request("yes\n", List.of(), Map.of(), DEFAULT_TIMEOUT), sink);
            ExitStatus status = run.awaitExit(STARTUP.plus(PROMPTLY));
            assertThat(sink.killRequested()).as("the sink saw 1 MiB").isTrue();
            assertKilled(status);
            long afterKill = sink.total() - sink.bytesWhenKilled();
            assertThat(afterKill).as("bytes that arrived after kill()").isLessThan(8L * MIB);
            byte[] out = sink.stdoutBytes();
            for (int i = 0; i < out.length; i++) {
                if (out[i] != (i % 2 == 0 ? 'y' : '\n')) {
                    fail("the output of yes is corrupt at byte " + i + " of " + out.length);
                }
            }
        }

        @Test
        @DisplayName("a blocking sink holds the run back without losing output")
        void blockingSinkLosesNothing() throws Exception {
            var release = new CountDownLatch(1);
            var sink = RecordingOutputSink.blockingUntil(release);
            var output = new NumberedOutput(256 * 1024 / 64);
            try {
                Run run = run(request(output.script, List.of(), Map.of(), DEFAULT_TIMEOUT), sink);
                assertThat(sink.awaitFirstWrite(STARTUP))
                        .as("the first write came")
                        .isTrue();
                try {
                    ExitStatus early = run.exitFuture().get(1, TimeUnit.SECONDS);
                    fail("exit() completed while a write call was still blocked: " + early);
                } catch (TimeoutException expected) {
                    // exit() must wait for the blocked write.
                }
                release.countDown();
                assertExitedNormally(run.awaitExit(), 0);
                assertThat(sink.stdoutBytes()).isEqualTo(output.stdout);
                assertThat(sink.stderrBytes()).isEqualTo(output.stderr);
            } finally {
                release.countDown();
            }
        }
    }

    @Nested
    @DisplayName("What the program sees")
    class ProgramEnvironment {

        @Test
        @DisplayName("arguments arrive verbatim, one each, never split or expanded")
        void argumentsArriveVerbatim() throws Exception {
            List<String> arguments = List.of(
                    "two words",
                    "it's \"quoted\"",
                    "$HOME",
                    "*",
                    "line 1\nline 2",
                    "",
                    "ünïcødé 👋",
                    "-n",
                    "back\\slash",
                    "tab\there",
                    "a;b|c&&d",
                    "$(id) `id`",
                    "--");
            Run run = run(
                    "printf '%d\\n' \"$#\"\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n",
                    arguments.toArray(new String[0]));
            assertExitedNormally(run.awaitExit(), 0);
            var expected = new StringBuilder().append(arguments.size()).append('\n');
            arguments.forEach(a -> expected.append('[').append(a).append("]\n"));
            assertThat(run.sink().stdout()).isEqualTo(expected.toString());
        }

        @Test
        @DisplayName("the request's environment is visible to the program, empty values included")
        void environmentIsPassed() throws Exception {
            Map<String, String> environment = new LinkedHashMap<>();
            environment.put("GREETING", "hello world");
            environment.put("EMPTY", "");
            environment.put("UNICODE_VALUE", "ünï 👋");
            environment.put("WITH_EQUALS", "a=b");
            String script = "printf '[%s]\\n' \"$GREETING\" \"${EMPTY-unset}\" \"${EMPTY+set}\" \"$UNICODE_VALUE\""
                    + " \"$WITH_EQUALS\"\n";
            Run run = run(request(script, List.of(), environment, DEFAULT_TIMEOUT), RecordingOutputSink.create());
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout()).isEqualTo("[hello world]\n[]\n[set]\n[ünï 👋]\n[a=b]\n");
        }

        @Test
        @DisplayName("the server's own environment does not leak into the program")
        void serverEnvironmentDoesNotLeak() throws Exception {
            List<String> arguments = new ArrayList<>();
            for (String name : SERVER_VARIABLES) {
                String value = System.getenv(name);
                if (value != null && !value.isEmpty()) {
                    arguments.add(name);
                    arguments.add(value);
                }
            }
            Infrastructure.require(
                    !arguments.isEmpty(),
                    "none of the server variables this test looks for is set in this JVM " + SERVER_VARIABLES + "; set "
                            + SERVER_CANARY_VARIABLE + " in the test JVM's environment");
            // Prints the names of the variables the program sees with the server's value; never the values.
            String script = "while [ \"$#\" -gt 1 ]; do\n"
                    + "  eval \"v=\\${$1-}\"\n"
                    + "  if [ \"$v\" = \"$2\" ]; then printf '%s\\n' \"$1\"; fi\n"
                    + "  shift 2\n"
                    + "done\n"
                    + "printf 'checked\\n'\n";
            Run run = run(script, arguments.toArray(new String[0]));
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout())
                    .as("variables of the server's environment the program can see")
                    .isEqualTo("checked\n");
        }

        @Test
        @DisplayName("the code is written verbatim to the spec's file name in the working directory")
        void codeFileIsInTheWorkingDirectory() throws Exception {
            String file = "./" + quote(shellSpec().filename());
            String code = "# the code file, verbatim: héllo ✓\n"
                    + "test -f " + file + " && printf 'present\\n' >&2\n"
                    + "pwd >&2\n"
                    + "cat " + file; // no newline at the end: it must not gain one
            Run run = run(code);
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout()).as("the code file's content").isEqualTo(code);
            assertThat(run.sink().stderr()).as("test -f, then pwd").startsWith("present\n/");
        }

        @Test
        @DisplayName("the working directory is writable (compilers write their output there)")
        void workingDirectoryIsWritable() throws Exception {
            Run run = run("printf 'scratch' > ./scratch.txt && cat ./scratch.txt\n");
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout()).isEqualTo("scratch");
        }

        @Test
        @DisplayName("stdin is closed: a program reading it gets end-of-file at once")
        void stdinIsClosed() throws Exception {
            Run run = run("cat\nprintf 'done\\n'\n");
            ExitStatus status = run.awaitExit(STARTUP);
            assertExitedNormally(status, 0);
            assertThat(run.sink().stdout()).isEqualTo("done\n");
        }
    }

    @Nested
    @DisplayName("Isolation")
    class Isolation {

        @Test
        @DisplayName("a run cannot read another run's files, /tmp, arguments or environment")
        void runsCannotSeeEachOther() throws Exception {
            Assumptions.assumeTrue(
                    isolatesRuns(), "the provider declares that it does not isolate runs (isolatesRuns() = false)");
            String secret = "secret-" + RunId.random().value();
            String tmpFile = TMP_FILE_PREFIX + RunId.random().value().substring(0, 16);
            String writer = "printf '%s' \"$1\" > ./secret\n"
                    + "{ printf '%s' \"$1\" > \"$2\"; } 2>/dev/null\n"
                    + "pwd\n"
                    + "printf 'ready\\n'\n"
                    + "sleep 30\n";
            Run a = run(
                    request(writer, List.of(secret, tmpFile), Map.of("RUN_A_SECRET", secret), DEFAULT_TIMEOUT),
                    RecordingOutputSink.create());
            a.awaitStdoutContaining("ready\n");
            String aDirectory = a.sink().stdout().split("\n", -1)[0];

            String reader = "for f in \"$1/secret\" \"$2\" ./secret; do cat \"$f\" 2>/dev/null; done\n"
                    + "for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do cat \"$f\" 2>/dev/null; done\n"
                    + "printf '\\nend\\n'\n";
            Run b = run(reader, aDirectory, tmpFile);
            ExitStatus bStatus = b.awaitExit();
            assertThat(b.sink().stdout()).as("run B's output").endsWith("end\n").doesNotContain(secret);
            assertThat(bStatus.exitCode()).isEqualTo(0);
            assertThat(a.exitFuture()).as("run A still sleeping").isNotDone();
            a.execution().kill();
            assertKilled(a.awaitExit(PROMPTLY));
        }

        @Test
        @DisplayName("a run does not find the files an earlier run wrote")
        void laterRunsStartClean() throws Exception {
            Assumptions.assumeTrue(
                    isolatesRuns(), "the provider declares that it does not isolate runs (isolatesRuns() = false)");
            String secret = "secret-" + RunId.random().value();
            String tmpFile = TMP_FILE_PREFIX + RunId.random().value().substring(0, 16);
            Run a = run(
                    "printf '%s' \"$1\" > ./secret\n{ printf '%s' \"$1\" > \"$2\"; } 2>/dev/null\nprintf 'wrote\\n'\n",
                    secret, tmpFile);
            assertExitedNormally(a.awaitExit(), 0);
            assertThat(a.sink().stdout()).isEqualTo("wrote\n");
            Run b = run("cat ./secret \"$1\" 2>/dev/null\nprintf 'end\\n'\n", tmpFile);
            b.awaitExit();
            assertThat(b.sink().stdout()).as("run B's output").isEqualTo("end\n");
        }

        @Test
        @DisplayName("8 runs started at once each get exactly their own output")
        void concurrentRunsKeepTheirOutput() throws Exception {
            int count = 8;
            String script = "sleep 1\n"
                    + "i=0\n"
                    + "while [ \"$i\" -lt 200 ]; do printf '%s %d\\n' \"$1\" \"$i\"; i=$((i + 1)); done\n"
                    + "printf '%s\\n' \"$RUN_NAME\" >&2\n";
            ExecutorService starter = Executors.newFixedThreadPool(count);
            try {
                List<Future<Run>> futures = new ArrayList<>();
                for (int k = 0; k < count; k++) {
                    String name = "run-" + k;
                    SandboxRequest request = request(script, List.of(name), Map.of("RUN_NAME", name), DEFAULT_TIMEOUT);
                    futures.add(starter.submit(() -> run(request, RecordingOutputSink.create())));
                }
                for (int k = 0; k < count; k++) {
                    Run run = futures.get(k).get(STARTUP.toMillis(), TimeUnit.MILLISECONDS);
                    String name = "run-" + k;
                    assertExitedNormally(run.awaitExit(), 0);
                    var expected = new ByteArrayOutputStream();
                    for (int i = 0; i < 200; i++) {
                        expected.writeBytes(utf8(name + " " + i + "\n"));
                    }
                    assertThat(run.sink().stdout())
                            .as("stdout of %s", name)
                            .isEqualTo(expected.toString(StandardCharsets.UTF_8));
                    assertThat(run.sink().stderr()).as("stderr of %s", name).isEqualTo(name + "\n");
                }
            } finally {
                starter.shutdownNow();
            }
        }
    }

    /**
     * The busy loop of the usage group: sh spins until its own CPU time (utime + stime of {@code
     * /proc/self/stat}, in clock ticks of 1/100 s) reaches 1 s, so it is a 1 s loop of CPU whatever else
     * the host runs. Only builtins run in the loop.
     */
    static final String CPU_SECOND_LOOP = "while :; do\n"
            + "  read -r stat < /proc/self/stat\n"
            + "  set -- ${stat#*) }\n"
            + "  [ $(( ${12} + ${13} )) -ge 100 ] && break\n"
            + "done\n"
            + "echo spun\n";

    /** A program that holds {@code bytes} of touched memory at once: dd's one buffer, filled from /dev/zero. */
    static String allocate(long bytes) {
        return "dd if=/dev/zero of=/dev/null bs=" + bytes + " count=1 2>/dev/null && echo allocated\n";
    }

    @Nested
    @DisplayName("Usage (sandboxes that declare Capability.USAGE)")
    class UsageReporting {

        @BeforeEach
        void onlyWhenDeclared() {
            Assumptions.assumeTrue(
                    sandbox().capabilities().contains(Capability.USAGE),
                    "sandbox '" + providerUnderTest().name()
                            + "' declares no usage capability (Sandbox.capabilities()); its STOPs carry no usage");
        }

        private ResourceUsage usageOf(ExitStatus status, Run run) {
            ResourceUsage usage = status.usage();
            if (usage == null) {
                return fail("usage of " + status + " is absent (declared Capability.USAGE); " + run.describeOutput());
            }
            return usage;
        }

        @Test
        @DisplayName("a 1 s busy loop reports at least 0.7 s of CPU; a 1 s sleep reports far less")
        void cpuTimeIsMeasured() throws Exception {
            Run busy = run(CPU_SECOND_LOOP);
            ExitStatus busyStatus = busy.awaitExit();
            assertExitedNormally(busyStatus, 0);
            assertThat(busy.sink().stdout()).isEqualTo("spun\n");
            Duration cpu = usageOf(busyStatus, busy).cpuTime();
            assertThat(cpu).as("CPU time of a 1 s busy loop").isGreaterThanOrEqualTo(Duration.ofMillis(700));
            assertThat(cpu)
                    .as("CPU time of a 1 s busy loop, single-threaded, against its wall time %s", busyStatus.elapsed())
                    .isLessThanOrEqualTo(busyStatus.elapsed().plusMillis(500));

            Run idle = run("sleep 1\n");
            ExitStatus idleStatus = idle.awaitExit();
            assertExitedNormally(idleStatus, 0);
            assertThat(usageOf(idleStatus, idle).cpuTime())
                    .as("CPU time of 'sleep 1' (CPU time is not wall time)")
                    .isLessThan(Duration.ofMillis(500));
        }

        @Test
        @DisplayName(
                "a 50 MiB allocation (half the limit if that is less) reports a peak of at least that, below the limit")
        void peakMemoryIsMeasured() throws Exception {
            long limit = sandboxConfig().memoryBytes();
            long bytes = Math.min(50L * MIB, limit / 2);
            Run run = run(allocationProgram(bytes));
            ExitStatus status = run.awaitExit();
            assertExitedNormally(status, 0);
            assertThat(run.sink().stdout()).isEqualTo("allocated\n");
            long peak = usageOf(status, run).peakMemoryBytes();
            assertThat(peak).as("peak memory of a %s-byte allocation", bytes).isGreaterThanOrEqualTo(bytes);
            assertThat(peak).as("peak memory against the limit %s", limit).isLessThan(limit);
        }

        @Test
        @DisplayName("a program ended by the memory limit is reported as OOM-killed")
        void oomIsReported() throws Exception {
            long limit = sandboxConfig().memoryBytes();
            Run run = run(allocationProgram(limit + 64L * MIB));
            ExitStatus status = run.awaitExit();
            assertThat(status.oomKilled()).as("oomKilled of %s", status).isTrue();
            assertThat(run.sink().stdout())
                    .as("the allocation past the limit completed")
                    .isEmpty();
        }
    }

    /** Skips the calling group unless the sandbox declares {@code capability}, saying so. */
    private void onlyWhenDeclared(Capability capability, String what) {
        Assumptions.assumeTrue(
                sandbox().capabilities().contains(capability),
                "sandbox '" + providerUnderTest().name() + "' declares no " + capability.feature()
                        + " capability (Sandbox.capabilities()); " + what);
    }

    /** Ended by {@code signal}, reported by name with no exit code (required of a sandbox with SIGNALS). */
    private static void assertSignalled(ExitStatus status, String signal) {
        assertThat(status.signal()).as("signal of %s", status).isEqualTo(signal);
        assertThat(status.exitCode())
                .as("exitCode of %s (a program a signal ended has none)", status)
                .isNull();
    }

    /**
     * Waits until the program's standard output has not grown for {@code window}, at most {@code
     * timeout}; returns whether it went quiet. A program printing a line every 0.1 s never does.
     */
    private static boolean awaitQuiet(Run run, Duration window, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            long before = run.sink().total(StdStream.STDOUT);
            if (!run.sink().awaitOutput(StdStream.STDOUT, s -> run.sink().total(StdStream.STDOUT) > before, window)) {
                return true;
            }
        }
        return false;
    }

    /** A complete answer of the resize check's program: {@code size ROWS COLUMNS} on a terminal line. */
    private static final java.util.regex.Pattern SIZE_ANSWER = java.util.regex.Pattern.compile("size \\d+ \\d+\r\n");

    /** Lowercase hex of {@code bytes}, as {@code od -An -v -tx1 | tr -d ' \n'} prints them. */
    private static String hex(byte[] bytes) {
        var text = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            text.append(String.format(Locale.ROOT, "%02x", b & 0xff));
        }
        return text.toString();
    }

    /** {@code length} bytes of a fixed pseudo-random sequence, every byte value among them. */
    private static byte[] noise(int length) {
        byte[] bytes = new byte[length];
        new java.util.Random(13).nextBytes(bytes);
        return bytes;
    }

    private static final String COUNTING_PROGRAM =
            "i=0\nwhile :; do i=$((i + 1)); printf '%d\\n' \"$i\"; sleep 0.1; done\n";

    @Nested
    @DisplayName("Standard input (sandboxes that declare Capability.STDIN)")
    class StandardInput {

        @BeforeEach
        void onlyWhenDeclared() {
            SandboxProviderTck.this.onlyWhenDeclared(
                    Capability.STDIN, "the engine refuses runs with stdin (ERROR 400) on it");
        }

        @Test
        @DisplayName("the initial bytes arrive exactly: UTF-8, every byte value 0..255, and 1 MiB")
        void initialBytesArriveExactly() throws Exception {
            var small = new ByteArrayOutputStream();
            small.writeBytes(utf8("héllo 👋 ✓\n"));
            for (int b = 0; b < 256; b++) {
                small.write(b);
            }
            small.writeBytes(utf8("\r\n\u0004end"));
            byte[] input = small.toByteArray();
            Run run = run(requestBuilder("od -An -v -tx1 | tr -d ' \\n'\nprintf '\\n'\n")
                    .stdin(StdinSource.of(input)));
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout())
                    .as("od of the input as the program read it")
                    .isEqualTo(hex(input) + "\n");

            byte[] large = noise(MIB + 1);
            Run big = run(requestBuilder("wc -c | tr -d ' '\n").stdin(StdinSource.of(large)));
            assertExitedNormally(big.awaitExit(), 0);
            assertThat(big.sink().stdout())
                    .as("bytes the program read of 1 MiB + 1")
                    .isEqualTo((MIB + 1) + "\n");
            Run summed = run(requestBuilder("md5sum\n").stdin(StdinSource.of(large)));
            assertExitedNormally(summed.awaitExit(), 0);
            String md5 = hex(java.security.MessageDigest.getInstance("MD5").digest(large));
            assertThat(summed.sink().stdout())
                    .as("md5sum of 1 MiB + 1 of noise")
                    .startsWith(md5 + " ");
        }

        @Test
        @DisplayName("input fed piece by piece reaches the program before the input ends")
        void inputIsStreamed() throws Exception {
            var stdin = new StdinFeed();
            Run run = run(requestBuilder("printf 'started\\n'\n"
                            + "while read -r line; do printf 'got %s\\n' \"$line\"; done\nprintf 'eof\\n'\n")
                    .stdin(stdin));
            run.awaitStdoutContaining("started\n");
            stdin.feed("one\n");
            run.awaitStdoutContaining("got one\n", PROMPTLY);
            assertThat(run.exitFuture()).as("exit() while the input is open").isNotDone();
            stdin.feed("twö\n");
            run.awaitStdoutContaining("got twö\n", PROMPTLY);
            assertThat(run.sink().stdout()).as("before the end of input").isEqualTo("started\ngot one\ngot twö\n");
            stdin.end();
            assertExitedNormally(run.awaitExit(PROMPTLY), 0);
            assertThat(run.sink().stdout()).isEqualTo("started\ngot one\ngot twö\neof\n");
        }

        @Test
        @DisplayName("the program reads EOF exactly when the input ends, and again when it reads after it")
        void endOfInputIsExact() throws Exception {
            var stdin = new StdinFeed();
            String script = "cat\n"
                    + "printf '[cat ended]\\n'\n"
                    + "if read -r line; then printf 'read after EOF: %s\\n' \"$line\"; else printf 'EOF again\\n'; fi\n"
                    + "cat\n"
                    + "printf 'done\\n'\n";
            Run run = run(requestBuilder(script).stdin(stdin));
            stdin.feed("abc");
            run.awaitStdoutContaining("abc");
            stdin.feed("def\n");
            run.awaitStdoutContaining("abcdef\n", PROMPTLY);
            assertThat(run.sink().stdout())
                    .as("cat still reading the open input")
                    .doesNotContain("[cat ended]");
            assertThat(run.exitFuture()).as("exit() while the input is open").isNotDone();
            stdin.end();
            assertExitedNormally(run.awaitExit(PROMPTLY), 0);
            assertThat(run.sink().stdout()).isEqualTo("abcdef\n[cat ended]\nEOF again\ndone\n");
        }

        @Test
        @DisplayName("StdinSource.EMPTY, or a source that ends before it gives anything, is EOF at once")
        void emptyInputIsEndOfFileAtOnce() throws Exception {
            var ended = new StdinFeed();
            ended.end();
            for (StdinSource source : List.of(StdinSource.EMPTY, ended)) {
                Run run = run(requestBuilder("printf 'started\\n'\ncat\nprintf 'done\\n'\n")
                        .stdin(source));
                run.awaitStdoutContaining("started\n");
                assertExitedNormally(run.awaitExit(PROMPTLY), 0);
                assertThat(run.sink().stdout()).as("output with %s", source).isEqualTo("started\ndone\n");
            }
        }

        @Test
        @DisplayName("child processes of the program read the same input")
        void childProcessesReadStdin() throws Exception {
            var stdin = new StdinFeed();
            String script = "sh -c 'read -r line; printf \"child read %s\\n\" \"$line\"'\n"
                    + "( read -r line; printf 'subshell read %s\\n' \"$line\" )\n"
                    + "cat\n";
            Run run = run(requestBuilder(script).stdin(stdin));
            stdin.feed("first\n");
            run.awaitStdoutContaining("child read first\n");
            stdin.feed("second\n");
            run.awaitStdoutContaining("subshell read second\n", PROMPTLY);
            stdin.feed("third\n");
            stdin.end();
            assertExitedNormally(run.awaitExit(PROMPTLY), 0);
            assertThat(run.sink().stdout()).isEqualTo("child read first\nsubshell read second\nthird\n");
        }

        @Test
        @DisplayName("a program that never reads, with 4 MiB of input pending, is killed promptly")
        void pendingInputDoesNotHoldKill() throws Exception {
            var stdin = new StdinFeed();
            stdin.feed(noise(4 * MIB));
            Run run = run(requestBuilder("printf 'started\\n'\nsleep 30\n").stdin(stdin));
            run.awaitStdoutContaining("started\n");
            long before = System.nanoTime();
            run.execution().kill();
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertThat(Duration.ofNanos(System.nanoTime() - before))
                    .as("kill() to exit")
                    .isLessThan(PROMPTLY);
            assertKilled(status);
        }

        @Test
        @DisplayName("a program that exits with input pending, or with the input still open, ends the run")
        void exitDoesNotWaitForInput() throws Exception {
            var pending = new StdinFeed();
            pending.feed(noise(4 * MIB));
            Run full = run(requestBuilder("printf 'bye\\n'\nexit 4\n").stdin(pending));
            full.awaitStdoutContaining("bye\n");
            assertExitedNormally(full.awaitExit(PROMPTLY), 4);
            assertThat(full.sink().stdout()).isEqualTo("bye\n");

            var open = new StdinFeed();
            Run idle = run(requestBuilder("printf 'bye\\n'\nexit 5\n").stdin(open));
            idle.awaitStdoutContaining("bye\n");
            assertExitedNormally(idle.awaitExit(PROMPTLY), 5);
            assertThat(idle.sink().stdout()).isEqualTo("bye\n");
        }
    }

    @Nested
    @DisplayName("Signals (sandboxes that declare Capability.SIGNALS)")
    class Signals {

        @BeforeEach
        void onlyWhenDeclared() {
            SandboxProviderTck.this.onlyWhenDeclared(
                    Capability.SIGNALS, "the engine does not advertise the SIGNAL operation on it");
        }

        @Test
        @DisplayName("a trap on SIGINT runs, and the program goes on and exits with its own code")
        void trapRunsAndProgramGoesOn() throws Exception {
            String script = "caught=\n"
                    + "trap 'caught=yes; printf \"caught INT\\n\"' INT\n"
                    + "printf 'ready\\n'\n"
                    + "while [ -z \"$caught\" ]; do sleep 0.1; done\n"
                    + "printf 'went on\\n'\n"
                    + "exit 7\n";
            Run run = run(script);
            run.awaitStdoutContaining("ready\n");
            run.execution().signal(ProgramSignal.SIGINT);
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertThat(run.sink().stdout()).as("output around SIGINT").isEqualTo("ready\ncaught INT\nwent on\n");
            assertExitedNormally(status, 7);
        }

        @Test
        @DisplayName("SIGTERM ends a sleeping program, reported as signal SIGTERM with no exit code")
        void sigtermIsReportedAsSignal() throws Exception {
            Run run = run("printf 'ready\\n'\nsleep 30\nprintf 'not ended\\n'\n");
            run.awaitStdoutContaining("ready\n");
            run.execution().signal(ProgramSignal.SIGTERM);
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertThat(run.sink().stdout())
                    .as("output (did SIGTERM reach the program? sh as PID 1 ignores it)")
                    .isEqualTo("ready\n");
            assertSignalled(status, "SIGTERM");
        }

        @Test
        @DisplayName(
                "a signal sent at once after start() is not lost while the sandbox still sets up (also on a terminal)")
        void signalRightAfterStartIsDelivered() throws Exception {
            boolean terminal = sandbox().capabilities().contains(Capability.TTY);
            for (boolean tty : terminal ? new boolean[] {false, true} : new boolean[] {false}) {
                Run run =
                        run(requestBuilder("sleep 30\nprintf 'not ended\\n'\n").tty(tty));
                run.execution().signal(ProgramSignal.SIGTERM);
                ExitStatus status = run.awaitExit(STARTUP.plus(PROMPTLY));
                assertThat(run.sink().stdout())
                        .as("output of the run with tty=%s", tty)
                        .doesNotContain("not ended");
                assertSignalled(status, "SIGTERM");
            }
        }

        @Test
        @DisplayName("a program that exits 143 by itself, or whose child died by SIGTERM, reports exit code 143")
        void exitCode143IsNotASignal() throws Exception {
            if (!reportsHighExitCodesExactly()) {
                // The documented weakening: the code is read as the signal it conventionally stands for.
                assertSignalled(run("exit 143\n").awaitExit(), "SIGTERM");
                assertExitedNormally(run("exit 128\n").awaitExit(), 128);
                return;
            }
            assertExitedNormally(run("exit 143\n").awaitExit(), 143);
            Run child = run("sh -c 'kill -s TERM $$'\nexit $?\n");
            assertExitedNormally(child.awaitExit(), 143);
        }

        @Test
        @DisplayName("SIGSTOP pauses the program (its output stops), SIGCONT resumes it")
        void stopAndContinue() throws Exception {
            Run run = run(COUNTING_PROGRAM);
            run.awaitStdoutContaining("3\n");
            run.execution().signal(ProgramSignal.SIGSTOP);
            assertThat(awaitQuiet(run, Duration.ofSeconds(1), PROMPTLY))
                    .as("output stopped for 1 s after SIGSTOP; %s", run.describeOutput())
                    .isTrue();
            assertThat(run.exitFuture()).as("exit() of a stopped program").isNotDone();
            long stopped = run.sink().total(StdStream.STDOUT);
            run.execution().signal(ProgramSignal.SIGCONT);
            assertThat(run.sink()
                            .awaitOutput(
                                    StdStream.STDOUT, s -> run.sink().total(StdStream.STDOUT) > stopped + 4, PROMPTLY))
                    .as("output resumed after SIGCONT; %s", run.describeOutput())
                    .isTrue();
            run.execution().kill();
            assertSignalled(run.awaitExit(PROMPTLY), "SIGKILL");
        }

        @Test
        @DisplayName("a stopped program is killed promptly by kill()")
        void stoppedProgramIsKillable() throws Exception {
            Run run = run(COUNTING_PROGRAM);
            run.awaitStdoutContaining("3\n");
            run.execution().signal(ProgramSignal.SIGSTOP);
            assertThat(awaitQuiet(run, Duration.ofSeconds(1), PROMPTLY))
                    .as("output stopped for 1 s after SIGSTOP; %s", run.describeOutput())
                    .isTrue();
            long before = System.nanoTime();
            run.execution().kill();
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertThat(Duration.ofNanos(System.nanoTime() - before))
                    .as("kill() to exit")
                    .isLessThan(PROMPTLY);
            assertSignalled(status, "SIGKILL");
        }

        @Test
        @DisplayName("a signal reaches the program's child processes too")
        void signalReachesChildren() throws Exception {
            // $0 names the child: one runs in the background, one in the foreground.
            String child = "caught=\n"
                    + "trap 'caught=yes; printf \"%s caught USR1\\n\" \"$0\"' USR1\n"
                    + "printf '%s ready\\n' \"$0\"\n"
                    + "while [ -z \"$caught\" ]; do sleep 0.1; done\n"
                    + "exit 5\n";
            String parent = "trap 'printf \"parent caught USR1\\n\"' USR1\n"
                    + "sh -c \"$1\" background &\n"
                    + "background=$!\n"
                    + "sh -c \"$1\" foreground\n"
                    + "printf 'foreground exited %s\\n' \"$?\"\n"
                    + "wait \"$background\"\n"
                    + "printf 'background exited %s\\n' \"$?\"\n";
            Run run = run(parent, child);
            run.awaitStdoutContaining("foreground ready\n");
            run.awaitStdoutContaining("background ready\n");
            run.execution().signal(ProgramSignal.SIGUSR1);
            run.awaitStdoutContaining("foreground caught USR1\n", PROMPTLY);
            run.awaitStdoutContaining("background caught USR1\n", PROMPTLY);
            assertExitedNormally(run.awaitExit(PROMPTLY), 0);
            assertThat(run.sink().stdout())
                    .as("output of the parent and its two children")
                    .contains("parent caught USR1\n")
                    .contains("foreground exited 5\n")
                    .endsWith("background exited 5\n");
        }

        @Test
        @DisplayName("a signal after the program exited does nothing and does not throw")
        void signalAfterExitIsHarmless() throws Exception {
            Run run = run("printf 'done\\n'\nexit 0\n");
            ExitStatus status = run.awaitExit();
            for (ProgramSignal signal : List.of(ProgramSignal.SIGTERM, ProgramSignal.SIGSTOP, ProgramSignal.SIGKILL)) {
                run.execution().signal(signal);
            }
            assertThat(run.awaitExit(PROMPTLY))
                    .as("exit status after late signals")
                    .isEqualTo(status);
            assertExitedNormally(status, 0);
        }
    }

    @Nested
    @DisplayName("Terminal (sandboxes that declare Capability.TTY)")
    class Terminal {

        @BeforeEach
        void onlyWhenDeclared() {
            SandboxProviderTck.this.onlyWhenDeclared(Capability.TTY, "the engine refuses runs with tty on it");
        }

        private Run runOnTerminal(String script, StdinSource stdin) throws SandboxException {
            return run(requestBuilder(script).tty(true).stdin(stdin));
        }

        @Test
        @DisplayName("standard input, output and error are a terminal")
        void standardStreamsAreATerminal() throws Exception {
            Run run = runOnTerminal(
                    "if [ -t 0 ] && [ -t 1 ] && [ -t 2 ]; then printf 'all terminal\\n'; else printf 'not all\\n'; fi\n",
                    StdinSource.EMPTY);
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout()).isEqualTo("all terminal\r\n");
        }

        @Test
        @DisplayName("the terminal is 80 columns by 24 rows from the program's first action")
        void initialSizeIs80By24() throws Exception {
            Run run = runOnTerminal("stty size\n", StdinSource.EMPTY);
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout())
                    .as("stty size")
                    .isEqualTo(SandboxRequest.TERMINAL_ROWS + " " + SandboxRequest.TERMINAL_COLUMNS + "\r\n");
        }

        @Test
        @DisplayName("resize(100, 30) sets the size the program sees (promptly; it is not ordered with input)")
        void resizeChangesTheSize() throws Exception {
            var stdin = new StdinFeed();
            String script =
                    "stty size\n" + "while read -r line; do printf 'size '; stty size; done\n" + "printf 'end\\n'\n";
            Run run = runOnTerminal(script, stdin);
            run.awaitStdoutContaining("24 80\r\n");
            run.execution().resize(100, 30);
            // A sandbox may apply the size a little after resize() returned (e.g. through Docker's API), so
            // the program is asked again, line by line, until it sees the new size.
            long deadline = System.nanoTime() + PROMPTLY.toNanos();
            int asked = 0;
            while (!run.sink().stdout().endsWith("size 30 100\r\n")) {
                if (asked == 200 || System.nanoTime() - deadline >= 0) {
                    fail("the program did not see 100x30 after resize(100, 30), asked " + asked + " times; "
                            + run.describeOutput());
                }
                stdin.feed("x\n");
                asked++;
                int answers = asked;
                if (!run.sink()
                        .awaitStdout(s -> SIZE_ANSWER.matcher(s).results().count() == answers, PROMPTLY)) {
                    fail("the program did not answer line " + asked + " with its size; " + run.describeOutput());
                }
            }
            stdin.end();
            assertExitedNormally(run.awaitExit(PROMPTLY), 0);
            String stdout = run.sink().stdout();
            assertThat(stdout.replace("x\r\nsize 24 80\r\n", "").replace("x\r\nsize 30 100\r\n", ""))
                    .as("stty size, then every answer (the input's echo and a size of 80x24 or 100x30)")
                    .isEqualTo("24 80\r\nend\r\n");
        }

        @Test
        @DisplayName("what the program writes to stderr arrives on stdout, in order")
        void stderrArrivesOnStdout() throws Exception {
            Run run = runOnTerminal("printf 'out\\n'\nprintf 'err\\n' >&2\nprintf 'out again\\n'\n", StdinSource.EMPTY);
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout())
                    .as("output of a terminal run, stderr included")
                    .isEqualTo("out\r\nerr\r\nout again\r\n");
            assertThat(run.sink().stderr()).as("stderr of a terminal run").isEmpty();
        }

        @Test
        @DisplayName("input is echoed, and 'a\\n' arrives as 'a\\r\\n' while the program reads 'a'")
        void inputIsEchoedWithTerminalNewlines() throws Exception {
            var stdin = new StdinFeed();
            Run run = runOnTerminal("read -r line\nprintf 'read [%s]\\n' \"$line\"\n", stdin);
            stdin.feed("a\n");
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout())
                    .as("terminal output of a read of 'a\\n': the echo, then what the program read")
                    .isEqualTo("a\r\nread [a]\r\n");
        }

        @Test
        @DisplayName("colour escape sequences and UTF-8 arrive unchanged")
        void escapeSequencesArriveUnchanged() throws Exception {
            Run run = runOnTerminal("printf '\\033[1;31mred\\033[0m \\342\\234\\223\\n'\n", StdinSource.EMPTY);
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdoutBytes())
                    .as("escape sequences on the terminal: %s", run.describeOutput())
                    .isEqualTo(utf8("\u001b[1;31mred\u001b[0m ✓\r\n"));
        }

        @Test
        @DisplayName("the end of input (the terminal's Ctrl-D) ends cat, and only then")
        void endOfInputEndsCat() throws Exception {
            var stdin = new StdinFeed();
            Run run = runOnTerminal("cat\nprintf 'cat ended\\n'\n", stdin);
            stdin.feed("line one\n");
            run.awaitStdoutContaining("line one\r\nline one\r\n");
            assertThat(run.sink().stdout())
                    .as("cat still reading the open input")
                    .doesNotContain("cat ended");
            assertThat(run.exitFuture()).as("exit() while the input is open").isNotDone();
            stdin.end();
            assertExitedNormally(run.awaitExit(PROMPTLY), 0);
            assertThat(run.sink().stdout()).isEqualTo("line one\r\nline one\r\ncat ended\r\n");
        }
    }

    /** {@code bytes} as a file of the request, at {@code name}. */
    private static SourceFile file(String name, byte[] bytes) {
        return new SourceFile(name, bytes);
    }

    /** Every byte value 0..255, then NUL, 0xFF, CR and LF runs, as a file's content. */
    private static byte[] everyByte() {
        var bytes = new ByteArrayOutputStream();
        for (int b = 0; b < 256; b++) {
            bytes.write(b);
        }
        bytes.writeBytes(new byte[] {0, 0, (byte) 0xff, (byte) 0xff, 0, '\r', '\n', (byte) 0xff, 0});
        return bytes.toByteArray();
    }

    @Nested
    @DisplayName("Files (sandboxes that declare Capability.FILES)")
    class ExtraFiles {

        @BeforeEach
        void onlyWhenDeclared() {
            SandboxProviderTck.this.onlyWhenDeclared(
                    Capability.FILES, "the engine refuses runs with files (ERROR 400) on it");
        }

        private Run runWithFiles(String script, List<SourceFile> files, String... arguments) throws SandboxException {
            return run(requestBuilder(script, arguments).files(files));
        }

        @Test
        @DisplayName("files in a subdirectory arrive byte-exact: every byte value, NUL and 0xFF, empty, 1 MiB")
        void filesArriveByteExact() throws Exception {
            byte[] binary = everyByte();
            byte[] large = noise(MIB);
            Run run = runWithFiles(
                    "od -An -v -tx1 data/binary.bin | tr -d ' \\n'\nprintf '\\n'\n"
                            + "test -f data/empty.txt && wc -c < data/empty.txt | tr -d ' '\n"
                            + "wc -c < data/large.bin | tr -d ' '\n"
                            + "md5sum < data/large.bin\n",
                    List.of(
                            file("data/binary.bin", binary),
                            file("data/empty.txt", new byte[0]),
                            file("data/large.bin", large)));
            assertExitedNormally(run.awaitExit(), 0);
            String md5 = hex(java.security.MessageDigest.getInstance("MD5").digest(large));
            assertThat(run.sink().stdout())
                    .as("od of data/binary.bin, the size of data/empty.txt, the size and md5sum of data/large.bin")
                    .startsWith(hex(binary) + "\n0\n" + MIB + "\n" + md5 + " ");
        }

        @Test
        @DisplayName("the files and their directories belong to the program's user: it can overwrite, chmod, delete")
        void filesBelongToTheProgram() throws Exception {
            String script = "uid=$(id -u)\n"
                    + "for f in data data/a.txt data/sub data/sub/b.txt; do\n"
                    + "  set -- $(ls -lnd \"$f\")\n"
                    + "  [ \"$3\" = \"$uid\" ] || printf 'owner of %s is %s, the program is %s\\n' \"$f\" \"$3\" \"$uid\"\n"
                    + "done\n"
                    + "printf 'new' > data/a.txt && cat data/a.txt && printf '\\n'\n"
                    + "printf ' more' >> data/sub/b.txt && cat data/sub/b.txt && printf '\\n'\n"
                    + "chmod 600 data/a.txt || printf 'chmod failed\\n'\n"
                    + "printf 'x' > data/sub/created.txt || printf 'cannot create a file beside them\\n'\n"
                    + "rm -f data/a.txt && rm -rf data/sub && rmdir data && printf 'removed\\n'\n"
                    + "test -e data || printf 'gone\\n'\n";
            Run run = runWithFiles(
                    script, List.of(SourceFile.of("data/a.txt", "old"), SourceFile.of("data/sub/b.txt", "b")));
            run.awaitExit();
            assertThat(run.sink().stdout())
                    .as(
                            "the program's own files: owner, overwrite, append, chmod, create beside, delete; stderr: '%s'",
                            run.sink().stderr())
                    .isEqualTo("new\nb more\nremoved\ngone\n");
        }

        @Test
        @DisplayName(
                "names with spaces, quotes, -rf, $(...), newlines and globs are written literally, running nothing")
        void namesAreWrittenLiterally() throws Exception {
            List<String> names = List.of(
                    "it's a \"quoted\" name.txt",
                    "-rf",
                    "-",
                    "$(touch pwned)",
                    "`touch pwned`",
                    "a;b|c&d>e",
                    "*",
                    "~",
                    "sub dir/--help",
                    "sub dir/ leading and trailing ",
                    "line\nbreak",
                    "tab\there",
                    "$HOME");
            var files = new ArrayList<SourceFile>();
            var expected = new StringBuilder();
            for (int i = 0; i < names.size(); i++) {
                files.add(SourceFile.of(names.get(i), "file " + i + "\n"));
                expected.append("file ").append(i).append('\n');
            }
            String script = "for f in \"$@\"; do\n"
                    + "  if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then cat < \"$f\"; else printf 'missing [%s]\\n' \"$f\"; fi\n"
                    + "done\n"
                    + "n=0\n"
                    + "for e in * .[!.]* ..?*; do if [ -e \"$e\" ] || [ -L \"$e\" ]; then n=$((n + 1)); fi; done\n"
                    + "m=0\n"
                    + "for e in 'sub dir'/* 'sub dir'/.[!.]* 'sub dir'/..?*; do"
                    + " if [ -e \"$e\" ] || [ -L \"$e\" ]; then m=$((m + 1)); fi; done\n"
                    + "printf '%d entries, %d in sub dir\\n' \"$n\" \"$m\"\n"
                    + "if [ -e pwned ]; then printf 'a name ran a command\\n'; fi\n";
            Run run = runWithFiles(script, files, names.toArray(new String[0]));
            assertExitedNormally(run.awaitExit(), 0);
            // main.sh, "sub dir" and the eleven names at the top level.
            assertThat(run.sink().stdout())
                    .as(
                            "each file's content by its literal name, then the entries; stderr: '%s'",
                            run.sink().stderr())
                    .isEqualTo(expected + "13 entries, 2 in sub dir\n");
        }

        @Test
        @DisplayName("names in UTF-8 beyond ASCII are written as those bytes (needs a JVM whose file names are UTF-8)")
        void unicodeNamesAreWritten() throws Exception {
            // A JVM started with LANG=C cannot name such a file at all (sun.jnu.encoding), whatever the sandbox.
            String names = System.getProperty("sun.jnu.encoding", "");
            Infrastructure.require(
                    names.equalsIgnoreCase("UTF-8") || names.equalsIgnoreCase("UTF8"),
                    "this JVM's file names are " + names + ", not UTF-8: start the tests with LANG=C.UTF-8");
            List<String> unicode = List.of("ünïcødé ✓.txt", "目录/文件 👋.txt");
            Run run = runWithFiles(
                    "for f in \"$@\"; do if [ -f \"$f\" ]; then cat < \"$f\"; else printf 'missing [%s]\\n' \"$f\"; fi; done\n",
                    List.of(SourceFile.of(unicode.get(0), "one\n"), SourceFile.of(unicode.get(1), "two\n")),
                    unicode.toArray(new String[0]));
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout())
                    .as(
                            "the files by their UTF-8 names; stderr: '%s'",
                            run.sink().stderr())
                    .isEqualTo("one\ntwo\n");
        }

        @Test
        @DisplayName("deep directories are made, shared parents once")
        void deepDirectoriesAreMade() throws Exception {
            List<String> names = List.of("a/b/c/d/e/f/g/h/i/j/k/l/deep.txt", "a/b/near.txt", "a/other/x.txt", "z.txt");
            var files = new ArrayList<SourceFile>();
            var expected = new StringBuilder();
            for (String name : names) {
                files.add(SourceFile.of(name, name + "\n"));
                expected.append(name).append('\n');
            }
            Run run = runWithFiles("for f in \"$@\"; do cat < \"$f\"; done\n", files, names.toArray(new String[0]));
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(run.sink().stdout())
                    .as("the files; stderr: '%s'", run.sink().stderr())
                    .isEqualTo(expected.toString());
        }

        @Test
        @DisplayName("a run finds exactly its own files; an earlier run's files and symlinks neither show nor redirect")
        void earlierRunsPlantNothing() throws Exception {
            Path target = java.nio.file.Files.createTempDirectory(Path.of("/tmp"), "ranna-tck-target-");
            try {
                java.nio.file.Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxrwxrwx"));
                String planter = "t=$1\n"
                        + "printf 'planted' > shared/planted.txt\n"
                        + "ln -s \"$t/b.txt\" shared/b.txt\n"
                        + "ln -s \"$t\" link\n"
                        + "ln -s \"$t/top.txt\" top.txt\n"
                        + "printf 'planted\\n'\n";
                Run a = runWithFiles(planter, List.of(SourceFile.of("shared/a.txt", "a's a")), target.toString());
                assertExitedNormally(a.awaitExit(), 0);
                assertThat(a.sink().stdout())
                        .as("run A, planting; stderr: '%s'", a.sink().stderr())
                        .isEqualTo("planted\n");
                String checker = "for f in shared link shared/a.txt shared/b.txt link/c.txt top.txt; do\n"
                        + "  if [ -L \"$f\" ]; then printf 'symlink %s\\n' \"$f\"; fi\n"
                        + "done\n"
                        + "for f in shared/a.txt shared/b.txt link/c.txt top.txt; do cat < \"$f\"; printf '\\n'; done\n"
                        + "for e in * shared/* link/*; do printf '[%s]' \"$e\"; done\n"
                        + "printf '\\n'\n"
                        + "for e in \"$1/b.txt\" \"$1/c.txt\" \"$1/top.txt\"; do\n"
                        + "  if [ -e \"$e\" ]; then printf 'outside: %s\\n' \"$e\"; fi\n"
                        + "done\n"
                        + "printf 'end\\n'\n";
                Run b = runWithFiles(
                        checker,
                        List.of(
                                SourceFile.of("shared/a.txt", "b's a"),
                                SourceFile.of("shared/b.txt", "b's b"),
                                SourceFile.of("link/c.txt", "b's c"),
                                SourceFile.of("top.txt", "b's top")),
                        target.toString());
                assertExitedNormally(b.awaitExit(), 0);
                assertThat(b.sink().stdout())
                        .as(
                                "run B's view of its files after run A planted links; stderr: '%s'",
                                b.sink().stderr())
                        .isEqualTo("b's a\nb's b\nb's c\nb's top\n"
                                + "[link][main.sh][shared][top.txt][shared/a.txt][shared/b.txt][link/c.txt]\nend\n");
                try (var landed = java.nio.file.Files.list(target)) {
                    assertThat(landed.map(Path::toString).collect(Collectors.toList()))
                            .as("files that landed on the host, outside any run, in the directory run A linked to")
                            .isEmpty();
                }
            } finally {
                deleteTree(target);
            }
        }
    }

    /** Deletes {@code directory} and what is in it, never following a link. */
    private static void deleteTree(Path directory) throws IOException {
        if (!java.nio.file.Files.exists(directory, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
                java.nio.file.Files.deleteIfExists(path);
            }
        }
    }

    /** A request of {@link #compileSpec()} running the build script {@code build}. */
    protected final SandboxRequest.Builder compileRequestBuilder(String build) {
        return SandboxRequest.builder(RunId.random(), compileSpec(), build).timeout(DEFAULT_TIMEOUT);
    }

    /** A part of a build script that writes {@code program} to {@value #PROGRAM_FILE}. */
    static String writesProgram(String program) {
        return "cat > " + PROGRAM_FILE + " <<'RANNA_TCK_PROGRAM'\n" + program + "RANNA_TCK_PROGRAM\n";
    }

    /** A program that says it ran: what a run stage that must never start would print. */
    private static final String PROGRAM_THAT_RAN = "printf 'the program ran\\n'\nexit 0\n";

    @Nested
    @DisplayName("Compile stage (sandboxes that declare Capability.COMPILE)")
    class CompileStage {

        @BeforeEach
        void onlyWhenDeclared() {
            SandboxProviderTck.this.onlyWhenDeclared(
                    Capability.COMPILE, "the engine refuses a spec map with a compile stage on it");
        }

        @Test
        @DisplayName("compiled() comes once, exit code 0, after all the compiler's output and before the program's")
        void compiledSeparatesTheStages() throws Exception {
            var compilerOutput = new NumberedOutput(256 * 1024 / 64);
            // The compiler exits right after its last output, so a slow sink still has some on its way.
            String build = writesProgram("printf 'running\\n'\nprintf 'run err\\n' >&2\nexit 3\n")
                    + "sleep 1\n"
                    + compilerOutput.script;
            var sink = RecordingOutputSink.slowedBy(Duration.ofMillis(1));
            Run run = run(compileRequestBuilder(build).build(), sink);
            ExitStatus status = run.awaitExit(STARTUP.plus(DEFAULT_TIMEOUT));
            Duration wall = run.sinceStart();
            assertExitedNormally(status, 3);
            List<ExitStatus> compiled = sink.compiledCalls();
            assertThat(compiled).as("compiled() calls").hasSize(1);
            assertExitedNormally(compiled.get(0), 0);
            assertThat(sink.stdoutAtCompiled())
                    .as("stdout when compiled() came: all the compiler's, none of the program's")
                    .isEqualTo(compilerOutput.stdout);
            assertThat(sink.stderrAtCompiled())
                    .as("stderr when compiled() came: all the compiler's, none of the program's")
                    .isEqualTo(compilerOutput.stderr);
            var stdout = new ByteArrayOutputStream();
            stdout.writeBytes(compilerOutput.stdout);
            stdout.writeBytes(utf8("running\n"));
            var stderr = new ByteArrayOutputStream();
            stderr.writeBytes(compilerOutput.stderr);
            stderr.writeBytes(utf8("run err\n"));
            assertThat(sink.stdoutBytes())
                    .as("stdout: the compiler's, then the program's")
                    .isEqualTo(stdout.toByteArray());
            assertThat(sink.stderrBytes())
                    .as("stderr: the compiler's, then the program's")
                    .isEqualTo(stderr.toByteArray());
            assertThat(compiled.get(0).elapsed())
                    .as("the compile stage's elapsed (it slept 1 s)")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(status.elapsed().plus(compiled.get(0).elapsed()))
                    .as(
                            "the program's elapsed %s plus the compile's %s: each stage's own, within the wall time %s",
                            status.elapsed(), compiled.get(0).elapsed(), wall)
                    .isLessThanOrEqualTo(wall.plusMillis(200));
        }

        @Test
        @DisplayName("a compile that fails never runs the program; its exit code and output are the run's")
        void failedCompileNeverRunsTheProgram() throws Exception {
            String build =
                    writesProgram(PROGRAM_THAT_RAN) + "printf 'compiling\\n'\nprintf 'error: broken\\n' >&2\nexit 4\n";
            Run run = run(compileRequestBuilder(build));
            ExitStatus status = run.awaitExit(STARTUP.plus(DEFAULT_TIMEOUT));
            assertThat(run.sink().compiledCalls())
                    .as("compiled() calls after a failed compile")
                    .isEmpty();
            assertThat(run.sink().stdout()).as("stdout of a failed compile").isEqualTo("compiling\n");
            assertThat(run.sink().stderr()).as("stderr of a failed compile").isEqualTo("error: broken\n");
            assertExitedNormally(status, 4);
        }

        @Test
        @DisplayName("kill() during the compile ends it promptly, and the program never runs")
        void killDuringCompileNeverRunsTheProgram() throws Exception {
            String build = writesProgram(PROGRAM_THAT_RAN) + "printf 'compiling\\n'\nsleep 30\n";
            Run run = run(compileRequestBuilder(build));
            run.awaitStdoutContaining("compiling\n");
            long before = System.nanoTime();
            run.execution().kill();
            ExitStatus status = run.awaitExit(PROMPTLY);
            assertThat(Duration.ofNanos(System.nanoTime() - before))
                    .as("kill() to exit")
                    .isLessThan(PROMPTLY);
            assertThat(run.sink().compiledCalls())
                    .as("compiled() calls after a killed compile")
                    .isEmpty();
            assertThat(run.sink().stdout()).as("stdout of a killed compile").isEqualTo("compiling\n");
            assertKilled(status);
        }

        @Test
        @DisplayName("the compile stage reads end-of-file; the request's input is the program's")
        void compileStageReadsNoInput() throws Exception {
            SandboxProviderTck.this.onlyWhenDeclared(Capability.STDIN, "runs with stdin are refused on it");
            String build = writesProgram("read -r line\nprintf 'program read [%s]\\n' \"$line\"\n")
                    + "cat\nprintf 'the compile read to its end\\n'\n";
            Run run = run(compileRequestBuilder(build).stdin(StdinSource.of(utf8("for the program\n"))));
            assertExitedNormally(run.awaitExit(STARTUP.plus(DEFAULT_TIMEOUT)), 0);
            assertThat(run.sink().stdout())
                    .as("what the compile and the program read")
                    .isEqualTo("the compile read to its end\nprogram read [for the program]\n");
        }

        @Test
        @DisplayName("the compile stage sees the request's files")
        void compileStageSeesTheFiles() throws Exception {
            SandboxProviderTck.this.onlyWhenDeclared(Capability.FILES, "runs with files are refused on it");
            String build = "cat < 'src/part one.sh' > " + PROGRAM_FILE + "\nprintf 'built\\n'\n";
            Run run = run(compileRequestBuilder(build)
                    .files(List.of(SourceFile.of("src/part one.sh", "printf 'from the file\\n'\n"))));
            ExitStatus status = run.awaitExit(STARTUP.plus(DEFAULT_TIMEOUT));
            assertThat(run.sink().stdout())
                    .as(
                            "the compile's output, then the program built from the file; stderr: '%s'",
                            run.sink().stderr())
                    .isEqualTo("built\nfrom the file\n");
            assertExitedNormally(status, 0);
        }

        @Test
        @DisplayName(
                "through the engine, a compile past its own timeout is stopped and reported; the program never runs")
        void compileTimeoutStopsTheCompile() throws Exception {
            Duration compileTimeout = Duration.ofSeconds(1);
            String build = writesProgram(PROGRAM_THAT_RAN) + "printf 'compiling\\n'\nsleep 30 &\nsleep 30\n";
            List<Event> events;
            long before = System.nanoTime();
            RunLimits limits = RunLimits.builder()
                    .timeout(DEFAULT_TIMEOUT)
                    .compileTimeout(compileTimeout)
                    .build();
            try (var engine = new EngineHarness(sandbox(), shellSpec(), compileSpec(), limits)) {
                events = engine.exec(
                        EngineHarness.COMPILED,
                        build,
                        STARTUP.plus(compileTimeout).plus(PROMPTLY));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - before))
                    .as("EXEC to STOP with a %s compile timeout", compileTimeout)
                    .isLessThan(STARTUP.plus(compileTimeout).plus(PROMPTLY));
            assertThat(events.stream().filter(Event.Error.class::isInstance).map(Event.Error.class::cast))
                    .as("the ERROR of a compile past its timeout, in %s", events)
                    .extracting(Event.Error::code, Event.Error::message)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(408, "compilation timed out"));
            List<Event.Log> logs = logsOf(events);
            assertThat(logs.stream().map(Event.Log::text).collect(Collectors.joining()))
                    .as("output of a compile past its timeout")
                    .isEqualTo("compiling\n");
            assertThat(logs)
                    .as("stages of the LOGs")
                    .allSatisfy(log -> assertThat(log.stage()).isEqualTo(Stage.COMPILE));
            RunResult result = ((Event.Stop) events.get(events.size() - 1)).result();
            assertThat(result.timedOut()).as("timedout of %s", result).isTrue();
            assertThat(result.stage()).as("stage of %s", result).isEqualTo(Stage.COMPILE);
            assertThat(result.execTimeMs())
                    .as("exectime of %s (the program never ran)", result)
                    .isZero();
            assertThat(awaitNoLeftovers())
                    .as("left behind after the compile timed out")
                    .isEmpty();
        }

        @Test
        @DisplayName("through the engine, the run's timeout starts when the compile ended")
        void runTimeoutStartsAfterTheCompile() throws Exception {
            Duration timeout = Duration.ofSeconds(3);
            String build = writesProgram("sleep 1\nprintf 'ran\\n'\n") + "sleep 2.5\nprintf 'compiled\\n'\n";
            List<Event> events;
            RunLimits limits = RunLimits.builder()
                    .timeout(timeout)
                    .compileTimeout(DEFAULT_TIMEOUT)
                    .build();
            try (var engine = new EngineHarness(sandbox(), shellSpec(), compileSpec(), limits)) {
                events = engine.exec(
                        EngineHarness.COMPILED,
                        build,
                        STARTUP.plus(DEFAULT_TIMEOUT).plus(PROMPTLY));
            }
            RunResult result = ((Event.Stop) events.get(events.size() - 1)).result();
            assertThat(result.timedOut())
                    .as("timedout of a 2.5 s compile and a 1 s program under a 3 s run timeout: %s", events)
                    .isFalse();
            assertThat(result.exitCode()).as("exit code of %s", result).isEqualTo(0);
            assertThat(result.stage()).as("stage of %s", result).isEqualTo(Stage.RUN);
            assertThat(result.compileTimeMs())
                    .as("compiletime of %s", result)
                    .isNotNull()
                    .isGreaterThanOrEqualTo(2400L);
            assertThat(logsOf(events))
                    .as("LOGs with their stages")
                    .extracting(Event.Log::text, Event.Log::stage)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("compiled\n", Stage.COMPILE),
                            org.assertj.core.groups.Tuple.tuple("ran\n", Stage.RUN));
        }

        @Test
        @DisplayName("the compile stage has its own memory limit: it may use more than the program's")
        void compileStageHasItsOwnMemoryLimit() throws Exception {
            long runLimit = sandboxConfig().memoryBytes();
            long compileLimit = sandboxConfig().get(SandboxConfig.Keys.COMPILE_MEMORY);
            long bytes = runLimit + 32L * MIB;
            Assumptions.assumeTrue(
                    compileLimit >= bytes + 64L * MIB,
                    "sandbox.compile.memory (" + compileLimit + ") is not at least sandbox.memory + 96 MiB");
            String build = writesProgram(allocationProgram(bytes)) + allocationProgram(bytes);
            Run run = run(compileRequestBuilder(build));
            run.awaitExit(STARTUP.plus(DEFAULT_TIMEOUT));
            assertThat(run.sink().compiledCalls())
                    .as(
                            "compiled() after the compile allocated %s bytes under sandbox.compile.memory %s; %s",
                            bytes, compileLimit, run.describeOutput())
                    .hasSize(1);
            assertThat(run.sink().stdout())
                    .as("the compile allocated, the program (sandbox.memory %s) did not", runLimit)
                    .isEqualTo("allocated\n");
        }
    }

    @Nested
    @DisplayName("Limits (sandboxes that declare Capability.LIMITS)")
    class Limits {

        @BeforeEach
        void onlyWhenDeclared() {
            SandboxProviderTck.this.onlyWhenDeclared(
                    Capability.LIMITS, "the engine refuses runs with limits.memorybytes (ERROR 400) on it");
        }

        /** Checks a run's allocation was stopped by its memory limit: no output, OOM with USAGE. */
        private void assertStoppedByTheLimit(Run run, ExitStatus status, String what) {
            assertThat(run.sink().stdout())
                    .as("stdout of %s (the allocation completed)", what)
                    .isEmpty();
            assertThat(Integer.valueOf(0).equals(status.exitCode()))
                    .as("exit code 0 of %s: %s", what, status)
                    .isFalse();
            if (sandbox().capabilities().contains(Capability.USAGE)) {
                assertThat(status.oomKilled())
                        .as("oomKilled of %s: %s", what, status)
                        .isTrue();
            }
        }

        @Test
        @DisplayName("an allocation of 64 MiB under a run's own 32 MiB limit does not complete; 8 MiB does")
        void memoryLimitHoldsTheRun() throws Exception {
            Run over = run(requestBuilder(allocationProgram(64L * MIB)).memoryLimit(32L * MIB));
            assertStoppedByTheLimit(over, over.awaitExit(), "64 MiB under a 32 MiB memoryLimit");
            Run under = run(requestBuilder(allocationProgram(8L * MIB)).memoryLimit(32L * MIB));
            ExitStatus status = under.awaitExit();
            assertThat(under.sink().stdout())
                    .as("8 MiB under a 32 MiB memoryLimit; %s", status)
                    .isEqualTo("allocated\n");
            assertExitedNormally(status, 0);
        }

        @Test
        @DisplayName("a request without a limit gets the server's again: not the last run's, and not none")
        void requestWithoutLimitGetsTheServers() throws Exception {
            long server = sandboxConfig().memoryBytes();
            // Above the earlier run's 32 MiB, and well below the server's (40 MiB of 64, 49 MiB of 100).
            long between = 32L * MIB + (server - 32L * MIB) / 4;
            Assumptions.assumeTrue(
                    server >= 64L * MIB, "sandbox.memory (" + server + ") is below 64 MiB: no room between limits");
            Run limited = run(requestBuilder(allocationProgram(64L * MIB)).memoryLimit(32L * MIB));
            assertStoppedByTheLimit(limited, limited.awaitExit(), "64 MiB under a 32 MiB memoryLimit");
            for (int i = 0; i < 2; i++) { // a pooled sandbox may hand out more than one prepared slot
                Run unlimited = run(requestBuilder(allocationProgram(between)));
                ExitStatus status = unlimited.awaitExit();
                assertThat(unlimited.sink().stdout())
                        .as(
                                "%s MiB without memoryLimit after a run limited to 32 MiB (sandbox.memory %s); %s",
                                between / MIB, server, status)
                        .isEqualTo("allocated\n");
            }
            Run past = run(allocationProgram(server + 64L * MIB));
            assertStoppedByTheLimit(past, past.awaitExit(), "sandbox.memory + 64 MiB without memoryLimit");
        }

        @Test
        @DisplayName("the compile stage is not held to the run's own limit")
        void compileStageIsNotHeldToTheRunsLimit() throws Exception {
            SandboxProviderTck.this.onlyWhenDeclared(
                    Capability.COMPILE, "the engine refuses a spec map with a compile stage on it");
            String build = writesProgram(allocationProgram(64L * MIB)) + allocationProgram(64L * MIB);
            Run run = run(compileRequestBuilder(build).memoryLimit(32L * MIB));
            ExitStatus status = run.awaitExit(STARTUP.plus(DEFAULT_TIMEOUT));
            assertThat(run.sink().compiledCalls())
                    .as(
                            "compiled() after the compile allocated 64 MiB with a run's memoryLimit of 32 MiB; %s",
                            run.describeOutput())
                    .hasSize(1);
            assertThat(run.sink().stdout())
                    .as("the compile allocated 64 MiB, the program (memoryLimit 32 MiB) did not; %s", status)
                    .isEqualTo("allocated\n");
        }
    }

    @Nested
    @DisplayName("Cleanup")
    class Cleanup {

        @Test
        @DisplayName("a background process is gone when exit() completes, even one holding the output open")
        void backgroundProcessHoldingOutputIsEnded() throws Exception {
            Run run = run("sleep 30 &\nprintf 'started\\n'\nexit 0\n");
            ExitStatus status = run.awaitExit(STARTUP.plus(PROMPTLY));
            assertThat(run.sinceStart()).as("time until exit() completed").isLessThan(Duration.ofSeconds(25));
            assertExitedNormally(status, 0);
            assertThat(run.sink().stdout()).isEqualTo("started\n");
            assertThat(awaitNoLeftovers())
                    .as("left behind after the program exited")
                    .isEmpty();
        }

        @Test
        @DisplayName("a detached background process is gone when exit() completes")
        void detachedBackgroundProcessIsEnded() throws Exception {
            Run run = run("sleep 30 </dev/null >/dev/null 2>&1 &\nprintf 'started\\n'\nexit 0\n");
            assertExitedNormally(run.awaitExit(), 0);
            assertThat(awaitNoLeftovers())
                    .as("left behind after the program exited")
                    .isEmpty();
        }

        @Test
        @DisplayName("runs that exited, were killed or timed out leave nothing behind")
        void endedRunsLeaveNothing() throws Exception {
            Run exited = run("printf 'x' > ./file\nexit 0\n");
            Run killed = run("printf 'x' > ./file\nsleep 30\n");
            killed.execution().kill();
            exited.awaitExit();
            assertKilled(killed.awaitExit(PROMPTLY));
            Duration timeout = Duration.ofSeconds(1);
            try (var engine = new EngineHarness(sandbox(), shellSpec(), timeout)) {
                List<Event> events = engine.exec(
                        "printf 'x' > ./file\nsleep 30\n", STARTUP.plus(timeout).plus(PROMPTLY));
                assertThat(((Event.Stop) events.get(events.size() - 1)).result().timedOut())
                        .as("timed out: %s", events)
                        .isTrue();
            }
            assertThat(awaitNoLeftovers())
                    .as("left behind after the runs ended")
                    .isEmpty();
        }
    }

    @Nested
    @Order(Integer.MAX_VALUE)
    @DisplayName("Closing (runs last)")
    class Closing {

        @Test
        @DisplayName("close() ends running programs, leaves nothing behind, is idempotent and refuses new runs")
        void closeEndsEverything() throws Exception {
            Run run = run("printf 'started\\n'\nsleep 30\n");
            run.awaitStdoutContaining("started");
            sandbox().close();
            try {
                run.exitFuture().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                // Completing exceptionally is allowed for a run ended by close(); ending is what counts.
            } catch (TimeoutException e) {
                fail("exit() of a run did not complete within " + PROMPTLY + " of close()");
            }
            assertThat(awaitNoLeftovers()).as("left behind after close()").isEmpty();
            sandbox().close();
            Execution late = null;
            try {
                late = sandbox()
                        .start(request("exit 0\n", List.of(), Map.of(), DEFAULT_TIMEOUT), RecordingOutputSink.create());
            } catch (SandboxException | IllegalStateException expected) {
                // start() after close() must refuse.
            } finally {
                if (late != null) {
                    late.kill();
                }
            }
            assertThat(late)
                    .as("start() after close() returned an execution instead of throwing")
                    .isNull();
        }
    }
}
