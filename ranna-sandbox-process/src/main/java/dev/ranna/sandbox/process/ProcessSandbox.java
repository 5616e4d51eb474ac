package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.protocol.ErrorCode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each request as a local process tree: bubblewrap for isolation (unless configured off), cgroups
 * for memory and pids where the host allows, rlimits for CPU time, files and core dumps.
 *
 * <p>Thread-safe. Owns a thread pool (three run threads per running run, idle ones end after a few
 * seconds) and the spawner thread, this instance's work directory and cgroups; {@link #close()} removes
 * them. It does not count runs to refuse one (the engine owns capacity) and does not time them (the
 * engine kills a run at its deadline); it refuses a start only when no run uid is free.
 *
 * <p>A project run (extra files, or a spec with a compile stage) gets a {@code /work} of its own that
 * both stages share: a tmpfs the server mounts ({@link WorkDirs#newWorkDir}), written before any process
 * of the run exists. The compile stage is a launcher of its own in a cgroup with the compile memory
 * limit; the program's launcher (the prestarted one when there is one) starts only after a clean
 * compile ({@link ProcessExecution}).
 */
final class ProcessSandbox implements Sandbox {
    private static final Logger log = LoggerFactory.getLogger(ProcessSandbox.class);

    /**
     * Claims run uids host-wide (null when runs keep the server's uid): two sandboxes, in this JVM or in
     * another server on this host, never run two programs as one uid.
     */
    private final @Nullable UidLeases leases;
    /** The leases of the uids this sandbox holds now, by uid. */
    private final Map<Integer, UidLeases.Lease> leased = new ConcurrentHashMap<>();

    private final ProcessSandboxConfig config;
    private final HostTools tools;
    private final Cgroups cgroups;
    private final WorkDirs workDirs;
    private final Launcher launcher;
    private final String version;
    private final Map<String, String> info;
    private final boolean isolated;
    private final boolean dropUid;
    /** Whether terminal runs work here (util-linux script, stty, setsid). */
    private final boolean terminal = HostTools.terminalTools();
    /** Terminal runs' own bounded devpts instances, where the server can mount them. */
    private final Ptys ptys;
    /**
     * Whether a project run (files or a compile stage) gets a tmpfs of its own as {@code /work}, mounted by
     * the server (root); else a host directory bound there (no size cap but RLIMIT_FSIZE per file).
     */
    private final boolean workMounts;

    private final ThreadPoolExecutor threads;
    /** The one thread that forks launchers; see {@link #spawn}. */
    private final ExecutorService spawner;

    private final Set<ProcessExecution> running = ConcurrentHashMap.newKeySet();
    private final AtomicLong runCounter = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * One launcher started ahead of the next run (bubblewrap as root only): spawned, holding a run uid,
     * already inside a fresh run cgroup, blocked on stdin. The next run hands it its command line instead
     * of spawning and joining on its own path. The join is the slow part: on cgroup v1 the first migration
     * after an idle spell waits for an RCU grace period (measured about 12 ms on a 2-core VM).
     */
    record Prestarted(Process process, int uid, Cgroups.RunGroup group) {}

    private final boolean prestart;
    private final AtomicReference<@Nullable Prestarted> prestarted = new AtomicReference<>();
    private final AtomicBoolean prestarting = new AtomicBoolean();

    /**
     * A sandbox set up ahead of its run ({@value ProcessSandboxConfig#POOL}): bubblewrap already running
     * as {@code uid} inside {@code group}, with its namespaces, mounts, rlimits ({@code cpuSeconds} of CPU)
     * and syscall filter in place, its program {@link Launcher#STUB} blocked on stdin for a run's {@link
     * Launcher#warmHandOff}. {@code runDir} holds its options and {@code statusFile}. Used by one run only.
     */
    record Warm(Process process, int uid, Cgroups.RunGroup group, Path runDir, Path statusFile, int cpuSeconds) {}

    private final int poolSize;
    private final ConcurrentLinkedDeque<Warm> pool = new ConcurrentLinkedDeque<>();
    private final AtomicBoolean filling = new AtomicBoolean();
    /**
     * The CPU limit pooled sandboxes are made with: the highest a plain run asked for so far (the server's
     * timeout; a run's own {@code limits.timeoutms} only lowers it), -1 before the first. A run asking for
     * less starts a launcher of its own, so it gets exactly its limit.
     */
    private volatile int poolCpuSeconds = -1;

    ProcessSandbox(
            ProcessSandboxConfig config,
            HostTools tools,
            Cgroups cgroups,
            WorkDirs workDirs,
            @Nullable Path seccompFilter,
            @Nullable UidLeases leases,
            Ptys ptys,
            boolean workMounts) {
        this.config = config;
        this.tools = tools;
        this.cgroups = cgroups;
        this.workDirs = workDirs;
        this.isolated = config.isolation() == ProcessSandboxConfig.Isolation.BUBBLEWRAP;
        this.ptys = ptys;
        this.launcher = new Launcher(tools, config, seccompFilter, isolated && ptys.bounded());
        this.dropUid = tools.root && tools.setpriv != null;
        if (dropUid && leases == null) {
            throw new IllegalArgumentException("runs drop to their own uid, so uid leases are required");
        }
        this.leases = leases;
        this.prestart = isolated && dropUid && config.prestart();
        this.poolSize = isolated && dropUid && tools.perl() != null ? config.pool() : 0;
        this.version = isolated ? tools.bwrapVersion() : "none (no isolation)";
        this.workMounts = isolated && workMounts;
        var facts = describe(config, tools, cgroups, isolated, dropUid, ptys);
        facts.put(
                "projects",
                !isolated
                        ? "host directory (no isolation)"
                        : workMounts
                                ? "tmpfs /work " + (config.workSizeBytes() >> 20) + "M shared by compile and run"
                                : "host directory as /work (no size cap)");
        this.info = Collections.unmodifiableMap(facts);
        String names = System.getProperty("sun.jnu.encoding", "UTF-8");
        if (!java.nio.charset.Charset.isSupported(names)
                || !java.nio.charset.Charset.forName(names).equals(java.nio.charset.StandardCharsets.UTF_8)) {
            log.warn(
                    "this JVM's file names are {}, not UTF-8: a run's files with non-ASCII names are refused;"
                            + " start the server with LANG=C.UTF-8",
                    names);
        }
        if (isolated && !workMounts) {
            log.warn("project runs (files, compile stages) get a host directory as /work, capped only per file"
                    + " (RLIMIT_FSIZE): the server cannot mount a tmpfs for them (not root, or the parents of "
                    + ProcessSandboxConfig.WORK_ROOT + " are not searchable by other users)");
        }
        String prefix = "ranna-process-" + Integer.toHexString(System.identityHashCode(this)) + "-";
        this.threads = new ThreadPoolExecutor(
                0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS, new SynchronousQueue<>(), daemon(prefix + "run-"));
        this.spawner = Executors.newSingleThreadExecutor(daemon(prefix + "spawn-"));
    }

    /** What this sandbox enforces, for {@link #info()} and the provider's availability details. */
    static LinkedHashMap<String, String> describe(
            ProcessSandboxConfig config,
            HostTools tools,
            Cgroups cgroups,
            boolean isolated,
            boolean dropUid,
            Ptys ptys) {
        var facts = new LinkedHashMap<String, String>();
        facts.put("isolation", isolated ? "bubblewrap" : "none");
        facts.put("memory", cgroups.memory() ? cgroups.kind() : "none");
        if (cgroups.pids()) {
            facts.put("pids", cgroups.kind());
        } else if (dropUid && tools.prlimit != null) {
            facts.put("pids", "rlimit-nproc");
        } else {
            facts.put("pids", "none");
        }
        facts.put("cpu", tools.prlimit != null ? "rlimit" : "none");
        facts.put("usage", cgroups.usage() ? cgroups.kind() : "none");
        facts.put("timeout", "sigkill-tree");
        facts.put("network", !isolated ? "host" : config.networking() ? "host" : "none");
        if (dropUid) {
            facts.put("user", "per-run uid, leased host-wide");
        } else {
            facts.put("user", tools.root ? "root (setpriv missing)" : "server uid");
        }
        facts.put(
                "filesystem",
                isolated
                        ? "read-only /usr, private /tmp " + (config.tmpSizeBytes() >> 20) + "M and /work "
                                + (config.workSizeBytes() >> 20) + "M"
                        : "host (no isolation)");
        facts.put("rlimits", tools.prlimit == null ? "none" : "cpu, nofile, fsize, core=0");
        facts.put("syscalls", SeccompBpf.describe(isolated, config));
        if (HostTools.terminalTools()) {
            facts.put("tty", ptys.describe());
        }
        // No host paths here: this map is served in /v1/info. The full reason is logged at create().
        return facts;
    }

    private static ThreadFactory daemon(String prefix) {
        var count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public Execution start(SandboxRequest request, OutputSink sink) throws SandboxException {
        if (closed.get()) {
            throw new SandboxException(ErrorCode.UNAVAILABLE, "the sandbox is shutting down", null);
        }
        if (request.tty() && !terminal) {
            throw new SandboxException(ErrorCode.BAD_REQUEST, "terminals need util-linux script here", null);
        }
        LanguageSpec spec = request.spec();
        boolean compiles = spec.hasCompileStage();
        boolean project = compiles || !request.files().isEmpty();
        if (isolated) {
            // Checked before anything is allocated: bubblewrap itself would refuse the run with an error
            // of its own ("Exceeded maximum number of arguments") as if it were the program's output.
            var environment = environment("/work", request);
            int words = launcher.bubblewrapWords(request.command().size(), environment.size(), request.tty());
            if (compiles) {
                words = Math.max(words, launcher.bubblewrapWords(spec.compile().size(), environment.size(), false));
            }
            if (words > Launcher.BWRAP_MAX_ARGS) {
                throw new SandboxException(
                        ErrorCode.TOO_LARGE,
                        "too many arguments and environment variables for the process sandbox: they need "
                                + words + " bubblewrap arguments, the limit is " + Launcher.BWRAP_MAX_ARGS
                                + " (each variable takes 3)",
                        null);
            }
        }
        if (project) {
            long bytes = request.code().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            for (var file : request.files()) {
                bytes += file.size();
            }
            if (isolated && bytes > config.workSizeBytes()) {
                throw new SandboxException(
                        ErrorCode.TOO_LARGE,
                        "files: the code and files (" + bytes + " bytes) do not fit the work directory ("
                                + config.workSizeBytes() + " bytes)",
                        null);
            }
        }
        Long asked = request.memoryLimit();
        long runMemory = asked != null ? Math.min(asked, config.memoryBytes()) : config.memoryBytes();
        if (poolSize > 0 && !project && !request.tty()) {
            ProcessExecution warmRun = startWarm(request, sink, runMemory);
            if (warmRun != null) {
                return warmRun;
            }
        }
        int uid = -1;
        Path runDir = null;
        Path controlDir = null;
        Path ptyDir = null;
        Path workDir = null;
        java.io.RandomAccessFile control = null;
        Cgroups.RunGroup group = null;
        Cgroups.RunGroup compileGroup = null;
        Process process = null;
        Process compiler = null;
        Prestarted ready = prestart ? takePrestarted() : null;
        try {
            if (ready != null) {
                uid = ready.uid();
                group = ready.group();
                process = ready.process();
            } else if (dropUid) {
                uid = acquireUid();
                if (uid < 0) {
                    throw new SandboxException(
                            ErrorCode.UNAVAILABLE, "too many programs running at once; try again shortly", null);
                }
            }
            String name = "run-" + runCounter.incrementAndGet();
            runDir = workDirs.newRunDir(name, isolated ? -1 : uid);
            Path codeFile;
            if (project && isolated) {
                // The compile and the run stage share one /work: a tmpfs of its own, mounted here (or a host
                // directory where the server cannot mount), with the code and files written before any
                // process of the run exists.
                workDir = workDirs.newWorkDir(name, uid, config.workSizeBytes(), workMounts);
                Path code = WorkDirs.writeCode(workDir, spec.filename(), request.code(), uid);
                Files.setPosixFilePermissions(code, PosixFilePermissions.fromString("rw-r--r--"));
                WorkDirs.writeFiles(workDir, request.files(), uid);
                codeFile = Path.of("/dev/null");
            } else {
                // Under bubblewrap the code file stays root's (0600): bwrap reads it through fd 4 opened
                // before root is dropped, and the program never sees this directory at all.
                codeFile = WorkDirs.writeCode(runDir, spec.filename(), request.code(), isolated ? -1 : uid);
                WorkDirs.writeFiles(runDir, request.files(), isolated ? -1 : uid);
            }
            if (group == null) {
                group = cgroups.newRun(name, runMemory, config.pids());
            } else if (runMemory < config.memoryBytes()) {
                group.limitMemory(runMemory);
            }
            var environment = environment(isolated ? "/work" : runDir.toString(), request);
            Path controlFifo = null;
            Path statusFile = null;
            if (!isolated && (request.tty() || launcher.perl != null)) {
                // Root-only: the run's directory under bubblewrap, a directory of its own otherwise (the
                // run's directory is the program's there).
                controlDir = workDirs.newRunDir(name + "-control", -1);
            }
            Path rootOnly = isolated ? runDir : controlDir;
            if (launcher.perl != null) {
                statusFile = Objects.requireNonNull(rootOnly).resolve("exit-status");
            }
            if (request.tty()) {
                controlFifo = Objects.requireNonNull(rootOnly).resolve("tty-control");
                makeFifo(controlFifo);
                // Read-write: opening never blocks, and writes never block on a resize loop that is gone.
                control = new java.io.RandomAccessFile(controlFifo.toFile(), "rw");
            }
            Path ptsDir = null;
            if (request.tty() && isolated && ptys.bounded()) {
                ptyDir = workDirs.base().resolve(name + Ptys.SUFFIX);
                ptsDir = ptys.mount(ptyDir, uid);
            }
            var run = new Launcher.Run(
                    request.command(),
                    environment,
                    codeFile,
                    spec.filename(),
                    group.procsFiles(),
                    uid,
                    config.cpuSecondsFor(request.timeout()),
                    dropUid && !cgroups.pids(),
                    runDir.resolve(OPTIONS_FILE),
                    controlFifo,
                    statusFile,
                    ptsDir,
                    workDir);
            if (isolated) {
                writeRootOnly(run.optionsFile(), launcher.bubblewrapOptions(run));
            }
            byte[] handOff = ready != null ? launcher.handOff(run) : null;
            if (ready != null && handOff == null) {
                // A word the prestarted launcher cannot read back: start one of our own in its place (same
                // uid and cgroup), after the idle one is gone.
                discardProcess(ready.process());
                process = null;
            }
            // bubblewrap's monitor, its pid 1, (on a terminal) script, the waiter: the program is below them.
            int depth = (isolated ? 2 : 0) + (request.tty() ? 1 : 0) + (statusFile != null ? 1 : 0);
            ProcessExecution.Stage first;
            ProcessExecution.RunStage next = null;
            if (compiles) {
                compileGroup = cgroups.newRun(name + "-compile", config.compileMemoryBytes(), config.pids());
                Path compileStatus =
                        launcher.perl != null ? Objects.requireNonNull(rootOnly).resolve("compile-status") : null;
                var compile = new Launcher.Run(
                        spec.compile(),
                        environment,
                        codeFile,
                        spec.filename(),
                        compileGroup.procsFiles(),
                        uid,
                        config.cpuSecondsFor(request.compileTimeout()),
                        dropUid && !cgroups.pids(),
                        runDir.resolve(COMPILE_OPTIONS_FILE),
                        null,
                        compileStatus,
                        null,
                        workDir);
                if (isolated) {
                    writeRootOnly(compile.optionsFile(), launcher.bubblewrapOptions(compile));
                }
                compiler = spawn(isolated ? launcher.bubblewrap(compile) : launcher.plain(compile), runDir);
                first = new ProcessExecution.Stage(
                        compiler,
                        System.nanoTime(),
                        compileResources(compiler, compileGroup, uid),
                        (isolated ? 2 : 0) + (compileStatus != null ? 1 : 0),
                        compileStatus);
                compiler = null;
                compileGroup = null;
                next = runStage(
                        new RunParts(run, process, handOff, group, runDir, controlDir, ptyDir, workDir, uid, depth));
            } else {
                long startNanos;
                byte[] stdinPayload;
                if (process != null && handOff != null) {
                    startNanos = System.nanoTime();
                    stdinPayload = handOff;
                } else {
                    Launcher.Command command = isolated ? launcher.bubblewrap(run) : launcher.plain(run);
                    process = spawn(command, runDir);
                    startNanos = System.nanoTime();
                    stdinPayload = new byte[0];
                }
                writeHandOff(process, stdinPayload);
                first = new ProcessExecution.Stage(
                        process,
                        startNanos,
                        resources(process, group, runDir, controlDir, ptyDir, workDir, uid),
                        depth,
                        statusFile);
            }
            var execution = new ProcessExecution(request.runId(), first, next, sink, request.stdin(), control);
            control = null;
            begin(request, execution, first, next, uid);
            prestartNext();
            fillPool();
            return execution;
        } catch (WorkDirs.FileProblem e) {
            cleanUpFailedStart(
                    process, compiler, group, compileGroup, control, ptyDir, runDir, controlDir, workDir, uid);
            throw new SandboxException(ErrorCode.BAD_REQUEST, String.valueOf(e.getMessage()), null);
        } catch (IOException | RuntimeException e) {
            cleanUpFailedStart(
                    process, compiler, group, compileGroup, control, ptyDir, runDir, controlDir, workDir, uid);
            if (workDir != null && isNoSpace(e)) {
                throw new SandboxException(
                        ErrorCode.TOO_LARGE, "files: the code and files do not fit the work directory", e);
            }
            throw new SandboxException("could not start the program", e);
        }
    }

    /** Tracks and starts a run's execution; when the sandbox is closing, ends and releases it instead. */
    private void begin(
            SandboxRequest request,
            ProcessExecution execution,
            ProcessExecution.Stage first,
            ProcessExecution.@Nullable RunStage next,
            int uid)
            throws SandboxException {
        try {
            running.add(execution);
            execution.releasedFuture().whenComplete((done, error) -> {
                running.remove(execution);
                fillPool();
            });
            execution.begin(threads);
        } catch (RejectedExecutionException e) {
            // Closing: nothing will wait for this run, so end and release it here.
            running.remove(execution);
            first.resources().killLeftovers();
            first.resources().release();
            if (next != null) {
                next.abandon();
            }
            throw new SandboxException(ErrorCode.UNAVAILABLE, "the sandbox is shutting down", e);
        }
        log.debug(
                "run {} started as pid {} (uid {})",
                request.runId(),
                first.process().pid(),
                uid);
    }

    /**
     * A plain run (no terminal, files or compile stage) in a pooled sandbox: the run pays only for its
     * hand-off (code, command, environment over the pipe) and the program's exec. Null when none can take
     * it (pool empty, a different CPU limit, words the stub cannot read): the caller starts it cold.
     */
    private @Nullable ProcessExecution startWarm(SandboxRequest request, OutputSink sink, long runMemory)
            throws SandboxException {
        int cpuSeconds = config.cpuSecondsFor(request.timeout());
        if (cpuSeconds > poolCpuSeconds) {
            // The first plain run, or a higher limit than the pool's: the pool is made for it from now on.
            poolCpuSeconds = cpuSeconds;
        }
        byte[] handOff = Launcher.warmHandOff(
                request.spec().filename(),
                request.code().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                environment("/work", request),
                request.command());
        Warm ready = handOff == null ? null : takeWarm(cpuSeconds);
        if (ready == null) {
            fillPool();
            return null;
        }
        // From now on a run's directory, named like a cold run's: a waiting sandbox's is "warm-N" (the
        // files in it are open in the launcher already, so the rename changes nothing for it).
        Path runDir = ready.runDir().resolveSibling("run-" + runCounter.incrementAndGet());
        try {
            Files.move(ready.runDir(), runDir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.debug("could not take a pooled sandbox: {}", e.toString());
            discardWarm(ready);
            fillPool();
            return null;
        }
        Path statusFile = runDir.resolve(ready.statusFile().getFileName());
        ProcessExecution execution;
        ProcessExecution.Stage first;
        try {
            if (runMemory < config.memoryBytes()) {
                ready.group().limitMemory(runMemory);
            }
            long startNanos = System.nanoTime();
            writeHandOff(ready.process(), Objects.requireNonNull(handOff));
            first = new ProcessExecution.Stage(
                    ready.process(),
                    startNanos,
                    resources(ready.process(), ready.group(), runDir, null, null, null, ready.uid()),
                    WARM_DEPTH,
                    statusFile);
            execution = new ProcessExecution(request.runId(), first, null, sink, request.stdin(), null);
        } catch (IOException | RuntimeException e) {
            discardWarm(new Warm(ready.process(), ready.uid(), ready.group(), runDir, statusFile, ready.cpuSeconds()));
            throw new SandboxException("could not start the program", e);
        }
        begin(request, execution, first, null, ready.uid());
        if (pool.isEmpty()) {
            // A burst: refill now. Otherwise the pool refills when this run has ended, so that setting up
            // the next sandbox never competes with this run for the CPU.
            fillPool();
        }
        return execution;
    }

    /** bubblewrap's monitor, its pid 1 and the stub (the waiter): the program is below them. */
    private static final int WARM_DEPTH = 3;

    /** A live pooled sandbox made for {@code cpuSeconds}, or null; dead or outdated ones are discarded. */
    private @Nullable Warm takeWarm(int cpuSeconds) {
        for (Warm ready; (ready = pool.pollFirst()) != null; ) {
            if (ready.process().isAlive() && ready.cpuSeconds() == cpuSeconds) {
                return ready;
            }
            if (ready.process().isAlive() && ready.cpuSeconds() == poolCpuSeconds) {
                // Made for the pool's limit, which this run's own lower timeout is not: keep it.
                pool.offerFirst(ready);
                return null;
            }
            discardWarm(ready);
        }
        return null;
    }

    /** Tops the pool up in the background, off every run's path; one filler at a time. */
    private void fillPool() {
        if (poolSize == 0 || closed.get() || poolCpuSeconds < 0 || pool.size() >= poolSize) {
            return;
        }
        inBackground(this::fillNow);
    }

    /** Runs {@code task} on the sandbox's threads, unless they are shutting down (closing). */
    private void inBackground(Runnable task) {
        try {
            threads.execute(task);
        } catch (RejectedExecutionException e) {
            // Closing.
        }
    }

    private void fillNow() {
        if (!filling.compareAndSet(false, true)) {
            return;
        }
        try {
            // Leave the last slot to a run: each pooled sandbox holds a uid while it waits.
            while (!closed.get() && pool.size() < poolSize && running.size() + pool.size() + 2 <= config.slots()) {
                Warm ready = makeWarm(poolCpuSeconds);
                if (ready == null) {
                    return;
                }
                pool.offerLast(ready);
                if (closed.get()) {
                    // close() may have drained before the offer: whoever sees it now discards it.
                    drainPool();
                }
            }
        } finally {
            filling.set(false);
        }
    }

    /** Sets up one pooled sandbox, or null (no uid free, the host refused): logged, never thrown. */
    private @Nullable Warm makeWarm(int cpuSeconds) {
        int uid = -1;
        Cgroups.RunGroup group = null;
        Path runDir = null;
        Process process = null;
        try {
            uid = acquireUid();
            if (uid < 0) {
                return null;
            }
            String name = "warm-" + runCounter.incrementAndGet();
            group = cgroups.newRun(name, config.memoryBytes(), config.pids());
            runDir = workDirs.newRunDir(name, -1);
            Path statusFile = runDir.resolve("exit-status");
            var run = new Launcher.Run(
                    List.of(),
                    Map.of(),
                    Path.of("/dev/null"),
                    "",
                    group.procsFiles(),
                    uid,
                    cpuSeconds,
                    dropUid && !cgroups.pids(),
                    runDir.resolve(OPTIONS_FILE),
                    null,
                    statusFile,
                    null,
                    null);
            Launcher.Command command = launcher.warm(run);
            writeRootOnly(run.optionsFile(), command.bwrapOptions());
            process = spawn(command, runDir);
            // Offered only once its stub runs: the chain has opened its files (the run's directory may be
            // renamed then) and the run waits for nothing of the setup. EOF: the chain failed.
            int first = process.getInputStream().read();
            if (first != Launcher.READY) {
                log.debug("a pooled sandbox did not start (read {})", first);
                return null;
            }
            var ready = new Warm(process, uid, group, runDir, statusFile, cpuSeconds);
            process = null;
            group = null;
            runDir = null;
            uid = -1;
            return ready;
        } catch (IOException | RuntimeException e) {
            log.debug("could not set up a pooled sandbox: {}", e.toString());
            return null;
        } finally {
            if (process != null) {
                discardProcess(process);
            }
            if (group != null) {
                group.killAll();
            }
            releaseQuietly(group, runDir, uid);
        }
    }

    /** Ends an unused pooled sandbox and frees its cgroup, directory and uid. Never throws. */
    private void discardWarm(Warm ready) {
        try {
            discardProcess(ready.process());
            ready.group().killAll();
        } catch (RuntimeException e) {
            log.warn("could not discard a pooled sandbox: {}", e.toString());
        } finally {
            releaseQuietly(ready.group(), ready.runDir(), ready.uid());
        }
    }

    private void drainPool() {
        for (Warm ready; (ready = pool.pollFirst()) != null; ) {
            discardWarm(ready);
        }
    }

    /** The pooled sandboxes waiting for a run (tests: they are not leftovers while the sandbox is open). */
    List<Warm> pooled() {
        return List.copyOf(pool);
    }

    /** Whether runs get the waiter, and so a pool (tests). */
    boolean launcherHasPerl() {
        return launcher.perl != null;
    }

    /** Whether the pool is being topped up right now (tests). */
    boolean filling() {
        return filling.get();
    }

    private static boolean isNoSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    private void cleanUpFailedStart(
            @Nullable Process process,
            @Nullable Process compiler,
            Cgroups.@Nullable RunGroup group,
            Cgroups.@Nullable RunGroup compileGroup,
            java.io.@Nullable RandomAccessFile control,
            @Nullable Path ptyDir,
            @Nullable Path runDir,
            @Nullable Path controlDir,
            @Nullable Path workDir,
            int uid) {
        if (compiler != null) {
            compiler.toHandle().destroyForcibly();
        }
        if (compileGroup != null) {
            compileGroup.killAll();
            compileGroup.remove();
        }
        if (process != null) {
            discardProcess(process);
        }
        if (group != null) {
            group.killAll();
        }
        ProcessExecution.closeQuietly(control);
        Ptys.unmount(ptyDir);
        WorkDirs.removeWorkDir(workDir);
        releaseQuietly(group, runDir, uid);
        deleteQuietly(controlDir);
    }

    /** What the run stage of a run with a compile stage needs to start, or to be released unstarted. */
    private record RunParts(
            Launcher.Run run,
            @Nullable Process prestarted,
            byte @Nullable [] handOff,
            Cgroups.RunGroup group,
            Path runDir,
            @Nullable Path controlDir,
            @Nullable Path ptyDir,
            @Nullable Path workDir,
            int uid,
            int depth) {}

    /**
     * The program of a run with a compile stage, started after a clean compile: through the prestarted
     * launcher (same uid, already in the run's cgroup) when there is one, else a launcher of its own.
     */
    private ProcessExecution.RunStage runStage(RunParts parts) {
        return new ProcessExecution.RunStage() {
            @Override
            public ProcessExecution.Stage start() throws IOException {
                Process process = parts.prestarted();
                byte[] handOff = parts.handOff();
                if (process != null && handOff != null) {
                    long startNanos = System.nanoTime();
                    writeHandOff(process, handOff);
                    return stage(process, startNanos);
                }
                Launcher.Run run = parts.run();
                process = spawn(isolated ? launcher.bubblewrap(run) : launcher.plain(run), parts.runDir());
                return stage(process, System.nanoTime());
            }

            private ProcessExecution.Stage stage(Process process, long startNanos) {
                return new ProcessExecution.Stage(
                        process,
                        startNanos,
                        resources(
                                process,
                                parts.group(),
                                parts.runDir(),
                                parts.controlDir(),
                                parts.ptyDir(),
                                parts.workDir(),
                                parts.uid()),
                        parts.depth(),
                        parts.run().statusFile());
            }

            @Override
            public void abandon() {
                Process process = parts.prestarted();
                if (process != null) {
                    discardProcess(process);
                }
                var resources = resources(
                        null,
                        parts.group(),
                        parts.runDir(),
                        parts.controlDir(),
                        parts.ptyDir(),
                        parts.workDir(),
                        parts.uid());
                try {
                    resources.killLeftovers();
                } finally {
                    resources.release();
                }
            }
        };
    }

    /**
     * Kills what is left of one stage: its launcher, its cgroup and, without isolation (no pid namespace,
     * so a child may outlive the program), the tree still visible and every process of the run's own uid
     * (which no other run shares). {@code process} is null for a stage released without starting.
     */
    private void killStage(@Nullable Process process, Cgroups.RunGroup group, int uid) {
        if (process != null) {
            process.toHandle().destroyForcibly();
        }
        group.killAll();
        if (!isolated) {
            if (process != null) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
            }
            if (uid >= 0) {
                killUid(uid);
            }
        }
    }

    /** The compile stage's own: its launcher and cgroup (the run's directories and uid are the run stage's). */
    private ProcessExecution.Resources compileResources(Process process, Cgroups.RunGroup group, int uid) {
        return stageResources(process, group, uid, group::remove);
    }

    /**
     * One stage's resources: its leftovers die with {@link #killStage}, its cgroup reports OOM and usage,
     * and {@code release} frees what the stage owns.
     */
    private ProcessExecution.Resources stageResources(
            @Nullable Process process, Cgroups.RunGroup group, int uid, Runnable release) {
        return new ProcessExecution.Resources() {
            @Override
            public void killLeftovers() {
                killStage(process, group, uid);
            }

            @Override
            public boolean oomKilled() {
                return group.oomKilled();
            }

            @Override
            public @Nullable ResourceUsage usage() {
                return group.usage();
            }

            @Override
            public void release() {
                release.run();
            }
        };
    }

    /** The compile stage's bubblewrap options file, in the run's root-only directory. */
    static final String COMPILE_OPTIONS_FILE = ".ranna-bwrap-compile-options";

    /** The run's bubblewrap options file, in its root-only directory. */
    static final String OPTIONS_FILE = ".ranna-bwrap-options";

    /** The base environment, the request's, and TERM for a terminal run that does not set it. */
    private static Map<String, String> environment(String home, SandboxRequest request) {
        var environment = Launcher.baseEnvironment(home);
        if (request.tty()) {
            environment.put("TERM", "xterm");
        }
        environment.putAll(request.environment());
        return environment;
    }

    /** Writes a new file only root (the server) can read: it never follows a link or reuses a file. */
    private static void writeRootOnly(Path file, byte[] bytes) throws IOException {
        try (var channel = Files.newByteChannel(
                file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            var buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    private static void makeFifo(Path fifo) throws IOException {
        HostTools.Result made = HostTools.run(
                List.of(
                        HostTools.which("mkfifo") == null
                                ? "/usr/bin/mkfifo"
                                : String.valueOf(HostTools.which("mkfifo")),
                        "-m",
                        "600",
                        fifo.toString()),
                null,
                Duration.ofSeconds(5));
        if (made.exitCode() != 0) {
            throw new IOException("mkfifo failed: " + made.output().trim());
        }
    }

    private static void deleteQuietly(@Nullable Path dir) {
        if (dir == null) {
            return;
        }
        try {
            WorkDirs.deleteTree(dir);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dir, e.toString());
        }
    }

    /**
     * Starts the launcher on the sandbox's one spawner thread. bubblewrap's {@code --die-with-parent} is
     * {@code PR_SET_PDEATHSIG}, which Linux ties to the <em>thread</em> that forked the child: a child
     * started from a pooled thread was SIGKILLed as soon as that thread ended idle (5 s for the sandbox's
     * pool, 30 s for the engine's), ending long runs and prestarted launchers mid-program. The spawner
     * thread lives as long as the sandbox, which kills every run before it ends.
     */
    private Process spawn(Launcher.Command command, Path directory) throws IOException {
        Future<Process> started = spawner.submit(() -> startProcess(command, directory));
        try {
            return started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            started.cancel(false);
            throw new IOException("interrupted while starting the program", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IOException("could not start the program", cause);
        }
    }

    private static Process startProcess(Launcher.Command command, Path directory) throws IOException {
        // ProcessBuilder, not commons-exec: commons-exec's CommandLine trims every argument (so a
        // program argument " x " would arrive as "x"), its executor closes the process streams right
        // after the stream handler's stop() and hides the Process (pid, destroyForcibly) behind the
        // watchdog. Here the readers must own the streams until end of stream, and kill must act on
        // the process directly.
        var builder = new ProcessBuilder(command.argv()).directory(directory.toFile());
        builder.environment().clear();
        return builder.start();
    }

    /** The prestarted launcher if there is a live one; a dead one (killed from outside) is cleaned up. */
    private @Nullable Prestarted takePrestarted() {
        Prestarted ready = prestarted.getAndSet(null);
        if (ready != null && !ready.process().isAlive()) {
            discard(ready);
            return null;
        }
        return ready;
    }

    /** Prepares the launcher for the next run in the background, unless one is ready or being made. */
    private void prestartNext() {
        if (!prestart || closed.get() || prestarted.get() != null) {
            return;
        }
        inBackground(this::prestartNow);
    }

    private void prestartNow() {
        if (!prestarting.compareAndSet(false, true)) {
            return;
        }
        int uid = -1;
        Cgroups.RunGroup group = null;
        Process process = null;
        try {
            // Leave the last slot to a run: the prestarted launcher holds a uid while it waits.
            if (closed.get() || prestarted.get() != null || running.size() + 2 > config.slots()) {
                return;
            }
            uid = acquireUid();
            if (uid < 0) {
                return;
            }
            group = cgroups.newRun("next-" + runCounter.incrementAndGet(), config.memoryBytes(), config.pids());
            process = spawn(launcher.prestarted(group.procsFiles()), workDirs.base());
            var ready = new Prestarted(process, uid, group);
            uid = -1;
            group = null;
            process = null;
            prestarted.set(ready);
            if (closed.get()) {
                // close() may have looked before the set: whoever takes it now discards it.
                Prestarted left = prestarted.getAndSet(null);
                if (left != null) {
                    discard(left);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("could not prestart a launcher: {}", e.toString());
        } finally {
            if (process != null) {
                discardProcess(process);
            }
            if (group != null) {
                group.killAll();
                group.remove();
            }
            if (uid >= 0) {
                releaseUid(uid);
            }
            prestarting.set(false);
        }
    }

    /** Ends an unused prestarted launcher and frees its cgroup and uid. Never throws. */
    private void discard(Prestarted ready) {
        try {
            discardProcess(ready.process());
            ready.group().killAll();
            ready.group().remove();
        } catch (RuntimeException e) {
            log.warn("could not discard a prestarted launcher: {}", e.toString());
        } finally {
            releaseUid(ready.uid());
        }
    }

    /** Kills a launcher that never got its run (it is blocked reading stdin) and closes its pipes. */
    private static void discardProcess(Process process) {
        process.toHandle().destroyForcibly();
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already gone.
        }
        boolean interrupted = false;
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        try {
            process.getInputStream().close();
            process.getErrorStream().close();
        } catch (IOException e) {
            // Already closed.
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a launcher for the next run is being started right now (tests). */
    boolean prestarting() {
        return prestarting.get();
    }

    /** The idle prestarted launcher, if any (tests: it is not a leftover while the sandbox is open). */
    @Nullable
    Prestarted prestarted() {
        return prestarted.get();
    }

    /**
     * Hands a prestarted launcher its command line, without closing its stdin: what follows there is the
     * program's input, which the execution pumps.
     */
    private static void writeHandOff(Process process, byte[] payload) {
        if (payload.length == 0) {
            return;
        }
        try {
            OutputStream stdin = process.getOutputStream();
            stdin.write(payload);
            stdin.flush();
        } catch (IOException e) {
            // The launcher ended before reading (it reports why on stderr and in its exit code).
            log.debug("could not hand the launcher its command: {}", e.toString());
        }
    }

    /** The run stage's resources; {@code process} is null for a run stage released without starting. */
    private ProcessExecution.Resources resources(
            @Nullable Process process,
            Cgroups.RunGroup group,
            Path runDir,
            @Nullable Path controlDir,
            @Nullable Path ptyDir,
            @Nullable Path workDir,
            int uid) {
        return stageResources(process, group, uid, () -> {
            try {
                // After killLeftovers(): nothing of the run holds a terminal of it any more.
                Ptys.unmount(ptyDir);
                WorkDirs.removeWorkDir(workDir);
                deleteQuietly(controlDir);
            } finally {
                releaseQuietly(group, runDir, uid);
            }
        });
    }

    private void releaseQuietly(Cgroups.@Nullable RunGroup group, @Nullable Path runDir, int uid) {
        try {
            if (group != null) {
                group.remove();
            }
            if (runDir != null) {
                try {
                    WorkDirs.deleteTree(runDir);
                } catch (IOException e) {
                    log.warn("cannot remove run directory {}: {}", runDir, e.toString());
                }
            }
        } finally {
            if (uid >= 0) {
                releaseUid(uid);
            }
        }
    }

    /**
     * A run uid no other run on this host holds (leased until {@link #releaseUid}), or -1 when all are
     * taken: by this sandbox, another one in this JVM, or another server on this host.
     */
    private int acquireUid() throws IOException {
        UidLeases.Lease lease = Objects.requireNonNull(leases, "leases").acquire();
        if (lease == null) {
            return -1;
        }
        leased.put(lease.uid(), lease);
        return lease.uid();
    }

    /** Gives a uid back, once nothing of its run is left. */
    private void releaseUid(int uid) {
        UidLeases.Lease lease = leased.remove(uid);
        if (lease != null) {
            lease.close();
        }
    }

    /** Uids this sandbox holds leases on now (tests). */
    Set<Integer> leasedUids() {
        return Set.copyOf(leased.keySet());
    }

    /**
     * SIGKILLs every process whose real uid is {@code uid}, until none is left (bounded by 5 s). Between
     * scans it parks, 1 ms doubling to 50 ms: a scan reads every /proc/PID/status, and a spinning loop took
     * a whole core while a killed tree took its time to exit.
     *
     * @return whether none is left
     */
    static boolean killUid(int uid) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long pause = TimeUnit.MILLISECONDS.toNanos(1);
        while (true) {
            List<ProcessHandle> found = ProcessHandle.allProcesses()
                    .filter(handle -> realUid(handle.pid()) == uid)
                    .toList();
            if (found.isEmpty()) {
                return true;
            }
            found.forEach(ProcessHandle::destroyForcibly);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            LockSupport.parkNanos(Math.min(pause, left));
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static long realUid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                }
                if (line.startsWith("State:") && line.contains("zombie")) {
                    return -1;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Gone already.
        }
        return -1;
    }

    /**
     * Checks that every offered language's program can be found inside the sandbox, and logs a warning
     * for each that cannot (a runtime outside {@code /usr}, such as a pyenv shim or a rustup proxy under
     * {@code /root}, exists on the host but not in the sandbox). Quick: file checks only.
     */
    @Override
    public void prepare(Collection<LanguageSpec> specs) {
        for (LanguageSpec spec : specs) {
            List<String> command = spec.entrypoint().isEmpty() ? spec.cmd() : spec.entrypoint();
            String problem = findProblem(command.get(0));
            if (problem != null) {
                log.warn("language '{}' will not run in the process sandbox: {}", spec.key(), problem);
            }
        }
    }

    private @Nullable String findProblem(String program) {
        if (program.startsWith("/")) {
            Path path = Path.of(program).normalize();
            if (!Files.isExecutable(path)) {
                return program + " is not installed on this host";
            }
            if (isolated && !visibleInside(path)) {
                return program + " is outside the directories the sandbox shows (/usr and "
                        + ProcessSandboxConfig.BIND + "); use a runtime under /usr or add its directory to "
                        + ProcessSandboxConfig.BIND;
            }
            return null;
        }
        if (program.contains("/")) {
            return null; // relative to the work directory: the program's own file
        }
        for (String dir : Launcher.PATH.split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return null;
            }
        }
        return program + " is not found on the sandbox's PATH (" + Launcher.PATH + ")";
    }

    private boolean visibleInside(Path path) {
        for (String top : List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")) {
            if (path.startsWith(top)) {
                return true;
            }
        }
        return config.binds().stream().anyMatch(path::startsWith);
    }

    /**
     * {@link Capability#STDIN}, {@link Capability#SIGNALS}, {@link Capability#FILES} and {@link
     * Capability#COMPILE} always, {@link Capability#TTY} when util-linux {@code script}, {@code stty} and
     * {@code setsid} are installed, {@link Capability#USAGE} when the cgroups in use measure CPU time and
     * peak memory of each run, {@link Capability#LIMITS} when a memory cgroup enforces a run's own memory
     * limit (without one nothing here bounds a run's memory).
     */
    @Override
    public Set<Capability> capabilities() {
        var capabilities = EnumSet.of(Capability.STDIN, Capability.SIGNALS, Capability.FILES, Capability.COMPILE);
        if (cgroups.memory()) {
            capabilities.add(Capability.LIMITS);
        }
        if (terminal) {
            capabilities.add(Capability.TTY);
        }
        if (cgroups.usage()) {
            capabilities.add(Capability.USAGE);
        }
        return capabilities;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Map<String, String> info() {
        return info;
    }

    /** Runs still going, for tests. */
    int running() {
        return running.size();
    }

    boolean isClosed() {
        return closed.get();
    }

    String instanceId() {
        return config.instanceId();
    }

    Cgroups cgroups() {
        return cgroups;
    }

    ProcessSandboxConfig config() {
        return config;
    }

    WorkDirs workDirs() {
        return workDirs;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Prestarted idle = prestarted.getAndSet(null);
        if (idle != null) {
            discard(idle);
        }
        drainPool();
        List<ProcessExecution> left = List.copyOf(running);
        left.forEach(ProcessExecution::kill);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ProcessExecution execution : left) {
            CompletableFuture<?> exit = execution.releasedFuture();
            try {
                exit.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                log.warn("a run did not end cleanly while closing: {}", e.toString());
            }
        }
        threads.shutdown();
        spawner.shutdown();
        try {
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("sandbox threads still busy after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A prestart that ran during the shutdown set its launcher after the first look.
        idle = prestarted.getAndSet(null);
        if (idle != null) {
            discard(idle);
        }
        drainPool();
        cgroups.close();
        workDirs.close();
        log.debug("process sandbox {} closed", config.instanceId());
    }
}
