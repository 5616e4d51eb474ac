package dev.ranna.sandbox.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.ranna.engine.CronSchedule;
import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.engine.spi.seccomp.SyscallPolicy;
import dev.ranna.engine.spi.seccomp.SyscallTable;
import dev.ranna.protocol.ErrorCode;
import java.io.IOException;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Docker sandbox; see the package docs and the module README. Thread-safe. */
final class DockerSandbox implements Sandbox {

    private static final Logger log = LoggerFactory.getLogger(DockerSandbox.class);
    private static final int MAX_POOLED_ATTEMPTS = 3;

    private final DockerClient client;
    private final DockerSandboxConfig config;
    private final String instanceId;
    private final String version;
    private final String dockerHost;
    private final OciRuntime runtime;
    private final @Nullable CgroupUsage usage;
    private final @Nullable PtyMounts ptys;
    private final MemoryLimits memoryLimits;
    /** What bounds a tty run's terminals, for {@link #info()}. */
    private final String ttyBound;

    private final ExecutorService io;
    private final ExecutorService preparer;
    private final ScheduledExecutorService scheduler;
    private final Images images;
    private final Containers containers;
    private final WarmPool pool;
    private final Set<DockerExecution> runs = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile @Nullable ScheduledFuture<?> updateTask;
    private volatile List<String> imagesToKeepFresh = List.of();

    DockerSandbox(
            DockerClient client,
            DockerSandboxConfig config,
            String version,
            String dockerHost,
            UidLeases leases,
            OciRuntime runtime) {
        this.client = client;
        this.runtime = runtime;
        this.config = config;
        this.instanceId = config.source().instanceId();
        this.version = version;
        this.dockerHost = dockerHost;
        String tag = instanceId.substring(0, Math.min(8, instanceId.length()));
        this.io = Executors.newCachedThreadPool(threads("ranna-docker-" + tag + "-io"));
        this.preparer = Executors.newFixedThreadPool(2, threads("ranna-docker-" + tag + "-pool"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(threads("ranna-docker-" + tag + "-timer"));
        this.images = new Images(client, io, image -> this.pool().drainImage(image));
        this.usage = CgroupUsage.detect(cgroupDriver(client), dockerHost.startsWith("unix://"), runtime, instanceId);
        var why = new String[1];
        this.ptys = PtyMounts.detect(config.ptys(), dockerHost.startsWith("unix://"), runtime, instanceId, why);
        if (ptys != null) {
            this.ttyBound = "pty-bounded " + ptys.max();
        } else if (runtime.gvisor()) {
            this.ttyBound = "pty-bounded by gVisor (" + why[0] + ")";
        } else {
            this.ttyBound = "pty-unbounded (" + why[0] + ")";
            log.warn(
                    "docker sandbox: tty runs are not pty-bounded: {}; one tty run can open terminals up to the host's"
                            + " kernel.pty.max and starve the others until its timeout",
                    why[0]);
        }
        this.memoryLimits = MemoryLimits.detect(
                client, dockerHost.startsWith("unix://"), runtime, MemoryLimits.forceDockerUpdateForTests);
        this.containers =
                new Containers(client, config, instanceId, images, leases, runtime, usage, ptys, memoryLimits);
        this.pool = new WarmPool(containers, preparer, config::poolSize);
    }

    private static @Nullable String cgroupDriver(DockerClient client) {
        try {
            return client.infoCmd().exec().getCGroupDriver();
        } catch (RuntimeException e) {
            log.debug("docker info failed: {}", Images.rootMessage(e));
            return null;
        }
    }

    /**
     * {@link Capability#STDIN}, {@link Capability#SIGNALS}, {@link Capability#TTY}, {@link Capability#FILES}
     * and {@link Capability#COMPILE} on every runtime; {@link Capability#LIMITS} when a running container's
     * memory limit can be changed ({@link MemoryLimits}: always on runc, on gVisor with a local daemon and a
     * server that may write cgroups); {@link Capability#USAGE} with runc on a local cgroupfs daemon, not
     * under gVisor (see {@link CgroupUsage}).
     */
    @Override
    public Set<Capability> capabilities() {
        var capabilities =
                EnumSet.of(Capability.STDIN, Capability.SIGNALS, Capability.TTY, Capability.FILES, Capability.COMPILE);
        if (usage != null) {
            capabilities.add(Capability.USAGE);
        }
        if (memoryLimits.available()) {
            capabilities.add(Capability.LIMITS);
        }
        return capabilities;
    }

    /** This sandbox's usage cgroups still present (tests). */
    List<java.nio.file.Path> usageLeftovers() {
        return usage != null ? usage.leftovers() : List.of();
    }

    /** This sandbox's devpts mounts still present (tests). */
    List<String> ptyLeftovers() {
        return ptys != null ? ptys.leftovers() : List.of();
    }

    private WarmPool pool() {
        return pool;
    }

    /**
     * Start-up work: reap orphans, pull the images named in {@link DockerSandboxConfig#images()} if set,
     * and schedule re-pulls. The images of the engine's spec map arrive through {@link #prepare}.
     */
    void startUp() {
        reapOrphans();
        config.images().ifPresent(explicit -> keepFresh(explicit, "start-up"));
        config.updateImages().ifPresent(this::scheduleUpdate);
    }

    /**
     * The engine's languages: unless {@link DockerSandboxConfig#images()} names the images explicitly,
     * their images are pulled in the background and kept fresh on the update schedule; specs named in
     * {@value DockerSandboxConfig#POOL_WARM} get their warm pool filled now rather than on first use.
     * Both are skipped with {@code skipstartupprep}.
     */
    @Override
    public void prepare(Collection<LanguageSpec> specs) {
        if (closed) {
            return;
        }
        if (config.images().isEmpty()) {
            keepFresh(
                    specs.stream()
                            .map(LanguageSpec::image)
                            .filter(Objects::nonNull)
                            .distinct()
                            .toList(),
                    "spec map");
        }
        if (!config.skipStartupPrep()) {
            for (LanguageSpec spec : specs) {
                if (config.poolWarm().contains(spec.key()) && spec.image() != null) {
                    pool.warm(spec);
                }
            }
        }
    }

    private void keepFresh(List<String> toPull, String why) {
        imagesToKeepFresh = List.copyOf(toPull);
        if (!config.skipStartupPrep()) {
            images.pullAllInBackground(imagesToKeepFresh, why);
        }
    }

    private void scheduleUpdate(CronSchedule schedule) {
        if (closed) {
            return;
        }
        ZonedDateTime now = ZonedDateTime.now();
        long delayMillis =
                Math.max(1, java.time.Duration.between(now, schedule.next(now)).toMillis());
        try {
            updateTask = scheduler.schedule(
                    () -> {
                        images.pullAllInBackground(imagesToKeepFresh, "scheduled update (" + schedule + ")");
                        scheduleUpdate(schedule);
                    },
                    delayMillis,
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** Removes containers that crashed earlier instances on this host left behind. */
    private void reapOrphans() {
        try {
            int reaped = 0;
            for (Container c : containers.listLabelled(Labels.SANDBOX, Labels.SANDBOX_VALUE)) {
                Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
                String owner = labels.getOrDefault(Labels.OWNER, "");
                if (!instanceId.equals(labels.get(Labels.INSTANCE)) && Labels.isOrphan(owner)) {
                    if (containers.remove(c.getId())) {
                        reaped++;
                    }
                }
            }
            if (reaped > 0) {
                log.info("removed {} container(s) left by crashed earlier instances", reaped);
            }
        } catch (RuntimeException e) {
            log.warn("could not look for containers left by earlier instances: {}", Images.rootMessage(e));
        }
    }

    @Override
    public Execution start(SandboxRequest request, OutputSink sink) throws SandboxException {
        if (closed) {
            throw new SandboxException(ErrorCode.UNAVAILABLE, "the docker sandbox is closed", null);
        }
        LanguageSpec spec = request.spec();
        String fileProblem = fileProblem(request);
        if (fileProblem != null) {
            throw new SandboxException(ErrorCode.BAD_REQUEST, fileProblem, null);
        }
        Long memoryLimit = request.memoryLimit();
        if (memoryLimit != null && !memoryLimits.available()) {
            throw new SandboxException(
                    ErrorCode.BAD_REQUEST, "this sandbox cannot give a run a memory limit of its own", null);
        }
        Boot.Project project =
                new Boot.Project(request.files(), spec.compile(), spec.hasCompileStage() ? StageMarker.random() : "");
        Boot.Input input = request.tty()
                ? Boot.Input.TERMINAL
                : request.stdin() == dev.ranna.engine.spi.StdinSource.EMPTY ? Boot.Input.NONE : Boot.Input.PIPE;
        for (int attempt = 1; ; attempt++) {
            // the pool keeps containers without a terminal: a terminal run creates its own (README: tty)
            Containers.Prepared prepared = attempt <= MAX_POOLED_ATTEMPTS && !request.tty() ? pool.take(spec) : null;
            boolean pooled = prepared != null;
            if (prepared != null && !containers.isRunning(prepared.id())) {
                // Stopped while it waited: an attach would be accepted and then never stream.
                log.debug("pooled container {} is no longer running; removing it", prepared.id());
                release(prepared);
                continue;
            }
            if (prepared == null) {
                prepared = containers.prepare(spec, Optional.of(request.runId().value()), request.tty());
            }
            byte[] payload;
            try {
                payload = Boot.payload(
                        config.workdir(),
                        spec.filename(),
                        request.code(),
                        command(request, prepared),
                        request.environment(),
                        input,
                        project);
            } catch (IllegalArgumentException e) {
                release(prepared);
                throw new SandboxException(
                        ErrorCode.BAD_REQUEST, "arguments and environment must not contain NUL characters", e);
            }
            var holder = new DockerExecution[1];
            DockerExecution run = new DockerExecution(
                    client,
                    containers,
                    prepared,
                    request,
                    sink,
                    io,
                    () -> runs.remove(holder[0]),
                    project,
                    runMemory(request));
            holder[0] = run;
            runs.add(run);
            if (closed) {
                runs.remove(run);
                release(prepared);
                throw new SandboxException(ErrorCode.UNAVAILABLE, "the docker sandbox is closed", null);
            }
            String id = prepared.id();
            Runnable meanwhile =
                    pooled ? () -> containers.nameForRun(id, request.runId().value()) : () -> {};
            try {
                run.begin(payload, meanwhile);
            } catch (DockerExecution.AttachFailed e) {
                runs.remove(run);
                release(prepared);
                if (pooled && !closed) {
                    log.debug(
                            "pooled container {} did not accept its run, trying another: {}",
                            prepared.id(),
                            Images.rootMessage(e.getCause()));
                    continue;
                }
                throw new SandboxException(
                        "could not attach to the run's container: " + Images.rootMessage(e.getCause()), e);
            } catch (SandboxException e) {
                runs.remove(run);
                release(prepared); // Containers.start removed it already; removing twice is harmless
                throw e;
            }
            return run;
        }
    }

    /** The run stage's memory limit: the request's own, else {@code sandbox.memory}. */
    private long runMemory(SandboxRequest request) {
        Long own = request.memoryLimit();
        return own != null ? Math.min(own, config.memoryBytes()) : config.memoryBytes();
    }

    /**
     * What is wrong with the request's files beyond their names (which {@link
     * dev.ranna.engine.spi.SourceFile} checked): the engine checks these too; a file written over another,
     * or over the code, would only make the boot fail with status 125.
     */
    private static @Nullable String fileProblem(SandboxRequest request) {
        var names = new java.util.HashSet<String>();
        var directories = new java.util.HashSet<String>();
        int i = 0;
        for (dev.ranna.engine.spi.SourceFile file : request.files()) {
            String name = file.name();
            String[] segments = file.segments();
            if (name.equals(request.spec().filename())
                    || segments[0].equals(request.spec().filename())) {
                return "files[" + i + "].name: must not be the main file's name";
            }
            if (!names.add(name) || directories.contains(name)) {
                return "files[" + i + "].name: duplicate or a directory of another file";
            }
            var path = new StringBuilder();
            for (int s = 0; s < segments.length - 1; s++) {
                path.append(s == 0 ? "" : "/").append(segments[s]);
                if (names.contains(path.toString())) {
                    return "files[" + i + "].name: duplicate or a directory of another file";
                }
                directories.add(path.toString());
            }
            i++;
        }
        return null;
    }

    private List<String> command(SandboxRequest request, Containers.Prepared prepared) {
        if (!request.spec().entrypoint().isEmpty() || prepared.imageEntrypoint().isEmpty()) {
            return request.command();
        }
        var command = new ArrayList<String>(prepared.imageEntrypoint());
        command.addAll(request.command());
        return command;
    }

    private void release(Containers.Prepared prepared) {
        String id = prepared.id();
        try {
            io.execute(() -> containers.remove(id));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            containers.remove(id);
        }
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Map<String, String> info() {
        var info = new LinkedHashMap<String, String>();
        info.put("isolation", "docker container per run, " + runtime.isolation());
        info.put("runtime", runtime.describe());
        info.put("usage", usage != null ? "cgroup per container (cgroupfs)" : "none");
        info.put("docker.host", dockerHost);
        info.put("network", config.networking() ? config.networkMode() : "none");
        info.put("memory", Long.toString(config.memoryBytes()));
        info.put("compile.memory", Long.toString(config.compileMemoryBytes()));
        info.put("memory.per.run", memoryLimits.how());
        info.put("pids", pids());
        info.put("cpus", Double.toString(config.cpus()));
        info.put("user", config.user().orElse("per-run uid, leased host-wide"));
        info.put("terminals", "tty runs only: a terminal container's own devpts; other runs: none");
        info.put("tty", ttyBound);
        info.put("rootfs", config.readOnlyRootfs() ? "read-only" : "writable");
        info.put("code.delivery", "stdin (code and files)");
        info.put("pool.size", Integer.toString(config.poolSize()));
        info.put("syscalls", syscalls());
        return info;
    }

    /** The pids limit, and under gVisor what the engine's cgroup limit really counts. */
    private String pids() {
        long pids = config.pids();
        if (!runtime.gvisor()) {
            return Long.toString(pids);
        }
        return pids + " (gVisor: the container's cgroup counts gVisor's host tasks, limited to "
                + runtime.hostPidsLimit(pids) + "; reaching it ends the run)";
    }

    /** What filters a run's system calls, and which kernel serves them. */
    private String syscalls() {
        String profile = config.rannaSeccomp()
                ? SyscallPolicy.ranna().summary(SyscallTable.x86_64())
                : "the engine's default seccomp profile (" + DockerSandboxConfig.SECCOMP + "=docker)";
        if (!runtime.gvisor()) {
            return profile;
        }
        if (runtime.gvisorLoadsSeccomp()) {
            // gVisor (2022-12-19) applies the rules but answers EPERM whatever their errno, and refuses
            // the 32-bit and x32 entry points itself (DockerRuntimeTest measures both).
            String rules = profile.replace(", 32-bit and x32 calls kill", "");
            return "served by gVisor's user-space kernel, filtered inside it by " + rules
                    + " (EPERM under gVisor), 32-bit and x32 calls refused by gVisor";
        }
        return "served by gVisor's user-space kernel; no seccomp profile is loaded (runsc without --oci-seccomp)";
    }

    /** The runtime every run container uses (tests). */
    OciRuntime runtime() {
        return runtime;
    }

    /** How many started containers wait for {@code spec} (tests and metrics). */
    int warmContainers(LanguageSpec spec) {
        return pool.ready(spec);
    }

    /** Uids leased to this sandbox's containers, by container id (tests). */
    Map<String, Integer> leasedUids() {
        return containers.leasedUids();
    }

    /** Containers of this instance that still exist (tests). */
    List<Container> ownContainers() {
        return containers.listLabelled(Labels.INSTANCE, instanceId);
    }

    DockerClient client() {
        return client;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ScheduledFuture<?> update = updateTask;
        if (update != null) {
            update.cancel(false);
        }
        try {
            pool.close();
            List<CompletableFuture<?>> exits = new ArrayList<>();
            for (DockerExecution run : List.copyOf(runs)) {
                run.kill();
                exits.add(run.exit().toCompletableFuture());
            }
            try {
                CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("runs did not finish within 20 s of close; removing their containers anyway");
            }
            // not shutdownNow(): an interrupted preparation could not remove what it created
            preparer.shutdown();
            if (!preparer.awaitTermination(20, TimeUnit.SECONDS)) {
                preparer.shutdownNow();
            }
            int swept = 0;
            for (Container c : containers.listLabelled(Labels.INSTANCE, instanceId)) {
                if (containers.remove(c.getId())) {
                    swept++;
                }
            }
            if (swept > 0) {
                log.debug("close removed {} remaining container(s)", swept);
            }
            if (usage != null) {
                usage.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("docker sandbox close: {}", Images.rootMessage(e));
        } finally {
            if (ptys != null) {
                ptys.close(); // after the sweep: a container still present keeps its own copy of the mount
            }
            scheduler.shutdownNow();
            io.shutdown();
            try {
                io.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            io.shutdownNow();
            try {
                client.close();
            } catch (IOException | RuntimeException e) {
                log.debug("closing the docker client: {}", e.toString());
            }
        }
    }

    private static ThreadFactory threads(String prefix) {
        var counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
