package dev.ranna.sandbox.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ulimit;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, starts and removes run containers with the hardened profile (see the module README for the
 * table). A prepared container is started and waits on stdin for its run's payload ({@link Boot}).
 */
final class Containers {

    private static final Logger log = LoggerFactory.getLogger(Containers.class);

    /**
     * A started container waiting for its code. Serves exactly one run. {@code tty}: created with a
     * terminal ({@link Boot#TTY_SCRIPT}), for a run with {@code tty} only.
     */
    record Prepared(
            String id,
            String name,
            LanguageSpec spec,
            String user,
            List<String> imageEntrypoint,
            boolean tty,
            long memoryBytes) {}

    /**
     * Set in every container: docker-init (tini, PID 1) then forwards a signal it gets from {@code docker
     * kill --signal} to its child's whole process group (the program and what it started), not only to
     * the child. The boot header unsets it before the program starts.
     */
    static final String TINI_KILL_PROCESS_GROUP = "TINI_KILL_PROCESS_GROUP=1";

    /** Names of containers serving a run start with this; pooled ones waiting for a run do not. */
    static final String RUN_NAME_PREFIX = "ranna-run-";

    private final DockerClient client;
    private final DockerSandboxConfig config;
    private final String instanceId;
    private final Images images;
    private final AtomicLong sequence = new AtomicLong();
    /** no-new-privileges, and ranna's seccomp profile as JSON text unless the engine's default is wanted. */
    private final List<String> securityOpts;

    private final UidLeases leases;
    private final OciRuntime runtime;
    private final @Nullable CgroupUsage usage;
    /** A devpts instance with {@code max=} per terminal container; null when tty runs are not pty-bounded. */
    private final @Nullable PtyMounts ptys;

    private final MemoryLimits memoryLimits;
    /** Container id to the cgroup parent it was created in, while it exists. */
    private final Map<String, String> cgroupParents = new ConcurrentHashMap<>();
    /** The uid lease of each container this sandbox created and has not yet seen removed, by id. */
    private final Map<String, UidLeases.Lease> leased = new ConcurrentHashMap<>();

    Containers(
            DockerClient client,
            DockerSandboxConfig config,
            String instanceId,
            Images images,
            UidLeases leases,
            OciRuntime runtime,
            @Nullable CgroupUsage usage,
            @Nullable PtyMounts ptys,
            MemoryLimits memoryLimits) {
        this.memoryLimits = memoryLimits;
        this.runtime = runtime;
        this.ptys = ptys;
        this.usage = usage;
        this.client = client;
        this.config = config;
        this.instanceId = instanceId;
        this.images = images;
        this.securityOpts = config.rannaSeccomp()
                ? List.of("no-new-privileges", "seccomp=" + SeccompProfile.ranna())
                : List.of("no-new-privileges");
        this.leases = leases;
    }

    /**
     * Mount options of the tmpfs laid over {@code /dev/pts}: it replaces the container's devpts, so there
     * is no {@code /dev/pts/ptmx} and {@code /dev/ptmx} (a link to it) leads nowhere: a run cannot allocate
     * terminals. Pseudo-terminals are a kernel-wide resource ({@code kernel.pty.max}, shared by every
     * devpts instance on the host) and Docker's devpts has no {@code max=}: one run opening thousands of
     * {@code /dev/ptmx} starved every other run and container. Empty and read-only.
     */
    static final String NO_TERMINALS = "ro,nosuid,nodev,noexec,size=4k,mode=0555";

    /**
     * The user a new container runs as: the spec's fixed user if the operator set one, else a uid leased
     * host-wide (returned in {@code lease[0]}, to be released when the container is removed).
     */
    private String userFor(LanguageSpec spec, UidLeases.Lease[] lease) throws SandboxException {
        Optional<String> fixed = config.user(spec.key());
        if (fixed.isPresent()) {
            return fixed.get();
        }
        UidLeases.Lease taken = null;
        var unusable = new ArrayList<UidLeases.Lease>();
        try {
            for (int attempt = 0; attempt < 4 && taken == null; attempt++) {
                UidLeases.Lease candidate = leases.acquire();
                if (candidate == null) {
                    break;
                }
                if (noOtherContainerRunsAs(candidate.uid())) {
                    taken = candidate;
                } else {
                    unusable.add(candidate); // held until we are done, so the next acquire moves on
                }
            }
        } catch (IOException e) {
            throw new SandboxException(ErrorCode.UNAVAILABLE, "could not lease a uid for the run", e);
        } finally {
            unusable.forEach(UidLeases.Lease::close);
        }
        if (taken == null) {
            log.warn(
                    "every run uid of {}..{} is in use; raise {}",
                    config.uidBase(),
                    config.uidBase() + config.uidCount() - 1,
                    DockerSandboxConfig.UID_COUNT);
            throw new SandboxException(
                    ErrorCode.UNAVAILABLE, "too many programs running at once; try again shortly", null);
        }
        lease[0] = taken;
        return taken.uid() + ":" + taken.uid();
    }

    /**
     * Makes sure no container still runs as {@code uid}, which this sandbox has just leased: a container
     * labelled with it belonged to a server that no longer holds the lease, so it was left by a crash
     * (the kernel dropped the lock; the reaper runs only when a server starts) and may run on, for ever.
     * Such an orphan of this host is removed here. A container of a live process or another host (a
     * Docker engine shared across hosts, or a server using another lease directory) makes the uid unusable.
     *
     * @return whether the uid is free to use
     */
    private boolean noOtherContainerRunsAs(int uid) {
        List<Container> found;
        try {
            found = listLabelled(Labels.UID, Integer.toString(uid));
        } catch (RuntimeException e) {
            log.warn("could not check for containers running as uid {}: {}", uid, Images.rootMessage(e));
            return false;
        }
        boolean free = true;
        for (Container container : found) {
            Map<String, String> labels = container.getLabels() == null ? Map.of() : container.getLabels();
            if (Labels.isOrphan(labels.getOrDefault(Labels.OWNER, "")) && remove(container.getId())) {
                log.info(
                        "removed container {} left by a crashed server, still running as uid {}",
                        container.getId(),
                        uid);
            } else {
                log.warn("container {} of another server runs as uid {}: skipping that uid", container.getId(), uid);
                free = false;
            }
        }
        return free;
    }

    /** Uids leased to containers of this sandbox that exist now (tests). */
    Map<String, Integer> leasedUids() {
        var uids = new LinkedHashMap<String, Integer>();
        leased.forEach((id, lease) -> uids.put(id, lease.uid()));
        return uids;
    }

    /**
     * Creates and starts a container for {@code spec}, pulling its image if it is missing.
     *
     * @param runId the run it is for, if known (a pooled container learns it later)
     * @throws SandboxException if the image is unavailable or Docker refuses; nothing is left behind
     */
    Prepared prepare(LanguageSpec spec, Optional<String> runId) throws SandboxException {
        return prepare(spec, runId, false);
    }

    /**
     * As {@link #prepare(LanguageSpec, Optional)}, with a terminal if {@code tty}.
     *
     * @param tty whether the container gets a terminal (Docker's {@code Tty}); see {@link Boot#TTY_SCRIPT}.
     *     Such a container is created but not started: its script speaks first, so the run attaches and
     *     then {@link #start}s it.
     */
    Prepared prepare(LanguageSpec spec, Optional<String> runId, boolean tty) throws SandboxException {
        String image = spec.image();
        if (image == null) {
            throw new SandboxException("spec '" + spec.key() + "' has no image; the docker sandbox needs one");
        }
        var lease = new UidLeases.Lease[1];
        String user = userFor(spec, lease);
        String name = runId.map(Containers::runName)
                .orElseGet(() -> "ranna-" + instanceId.substring(0, Math.min(8, instanceId.length())) + "-pool-"
                        + sequence.incrementAndGet());
        Path pts = null;
        if (tty && ptys != null) {
            try {
                pts = ptys.mount();
            } catch (IOException e) {
                release(lease[0]);
                throw new SandboxException("could not mount the run's terminals (devpts): " + e.getMessage(), e);
            }
        }
        String id;
        try {
            id = create(spec, image, user, lease[0], name, runId, tty, pts);
        } catch (NotFoundException e) {
            try {
                images.ensurePresent(image);
                id = create(spec, image, user, lease[0], name, runId, tty, pts);
            } catch (RuntimeException again) {
                release(lease[0]);
                unmount(pts);
                throw new SandboxException(
                        "could not create a container from image " + image + ": " + Images.rootMessage(again), again);
            } catch (SandboxException again) {
                release(lease[0]);
                unmount(pts);
                throw again;
            }
        } catch (RuntimeException e) {
            // Docker may have created it before failing (a timeout); a uid of a container that may exist stays
            // leased unless we know it is gone. Its devpts can go: a container started without it has no console.
            if (removeByName(name)) {
                release(lease[0]);
            }
            unmount(pts);
            throw new SandboxException(
                    "could not create a container from image " + image + ": " + Images.rootMessage(e), e);
        }
        if (lease[0] != null) {
            leased.put(id, lease[0]);
        }
        if (pts != null && ptys != null) {
            ptys.track(id, pts); // unmounted when the container is removed (removeContainer)
        }
        Prepared prepared;
        try {
            List<String> imageEntrypoint = spec.entrypoint().isEmpty() ? images.entrypoint(image) : List.of();
            prepared = new Prepared(id, name, spec, user, imageEntrypoint, tty, creationMemory(spec));
        } catch (RuntimeException e) {
            remove(id);
            throw new SandboxException("could not inspect image " + image + ": " + Images.rootMessage(e), e);
        }
        if (!tty) {
            start(prepared);
        }
        return prepared;
    }

    /** Starts a created container; removes it if it cannot start. */
    void start(Prepared prepared) throws SandboxException {
        String image = java.util.Objects.requireNonNull(prepared.spec().image(), "image");
        try {
            client.startContainerCmd(prepared.id()).exec();
        } catch (RuntimeException e) {
            remove(prepared.id());
            String message = Images.rootMessage(e);
            if (message.contains("/bin/sh")) {
                throw new SandboxException(
                        "image " + image + " has no /bin/sh, which the docker sandbox needs to deliver code", e);
            }
            throw new SandboxException("could not start a container from image " + image + ": " + message, e);
        }
    }

    private String create(
            LanguageSpec spec,
            String image,
            String user,
            UidLeases.@Nullable Lease lease,
            String name,
            Optional<String> runId,
            boolean tty,
            @Nullable Path pts) {
        var labels = new LinkedHashMap<>(Labels.forContainer(instanceId, spec.key(), runId));
        if (lease != null) {
            labels.put(Labels.UID, Integer.toString(lease.uid()));
        }
        String[] ids = user.split(":");
        String owner = "uid=" + ids[0] + ",gid=" + ids[1];
        long tmpfs = config.tmpfsBytes();
        var tmpfsMounts = new LinkedHashMap<String, String>();
        tmpfsMounts.put(config.workdir(), "rw,nosuid,nodev,exec,size=" + tmpfs + "," + owner + ",mode=0700");
        if (!config.workdir().equals("/tmp")) {
            tmpfsMounts.put("/tmp", "rw,nosuid,nodev,exec,size=" + tmpfs + "," + owner + ",mode=1777");
        }
        if (!tty) {
            // runc allocates a terminal container's console from its own devpts: it needs /dev/ptmx there
            tmpfsMounts.put("/dev/pts", NO_TERMINALS);
        }
        long memory = creationMemory(spec);
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(config.networking() ? config.networkMode() : "none")
                .withMemory(memory)
                .withMemorySwap(memory)
                .withPidsLimit(runtime.hostPidsLimit(config.pids()))
                .withNanoCPUs((long) (config.cpus() * 1_000_000_000L))
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(securityOpts)
                .withReadonlyRootfs(config.readOnlyRootfs())
                .withTmpFs(tmpfsMounts)
                .withInit(true)
                .withUlimits(List.of(
                        new Ulimit("nofile", config.nofile(), config.nofile()),
                        new Ulimit("fsize", config.fsizeBytes(), config.fsizeBytes()),
                        new Ulimit("core", 0L, 0L)))
                // output reaches the client through the attach stream only; a log driver would copy a flood to disk
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE, Map.of()))
                .withIpcMode("private");
        if (pts != null) {
            // replaces Docker's devpts (no max=); runc links /dev/ptmx to pts/ptmx and takes the console from it
            host.withMounts(List.of(new Mount()
                    .withType(MountType.BIND)
                    .withSource(pts.toString())
                    .withTarget("/dev/pts")));
        }
        if (runtime.chosen()) {
            host.withRuntime(runtime.name());
        }
        String parent = usage != null ? usage.newParent() : null;
        if (parent != null) {
            host.withCgroupParent(parent);
        }
        CreateContainerCmd create = client.createContainerCmd(image)
                .withName(name)
                .withEntrypoint("/bin/sh", "-c", tty ? Boot.TTY_SCRIPT : Boot.SCRIPT)
                .withCmd(List.of())
                .withUser(user)
                .withEnv("HOME=" + config.workdir(), TINI_KILL_PROCESS_GROUP)
                .withLabels(labels)
                .withHostName("sandbox")
                .withNetworkDisabled(!config.networking())
                .withTty(tty)
                .withStdinOpen(true)
                // the first attach that ends its stdin closes the container's: how a program reads EOF
                .withStdInOnce(true)
                .withAttachStdin(false)
                .withAttachStdout(false)
                .withAttachStderr(false)
                .withHostConfig(host);
        String id;
        try {
            id = create.exec().getId();
        } catch (RuntimeException e) {
            if (parent != null && usage != null) {
                usage.remove(parent);
            }
            throw e;
        }
        if (parent != null) {
            cgroupParents.put(id, parent);
        }
        return id;
    }

    /**
     * The memory limit a container of {@code spec} starts with: the compile stage's ({@code
     * sandbox.compile.memory}) for a spec with one, when the limit can be changed at the stage boundary;
     * otherwise the run's ({@code sandbox.memory}).
     */
    long creationMemory(LanguageSpec spec) {
        return spec.hasCompileStage() && memoryLimits.available() ? config.compileMemoryBytes() : config.memoryBytes();
    }

    /**
     * Sets the running container's memory limit (see {@link MemoryLimits}).
     *
     * @throws MemoryLimits.Refused if it uses more than that and the kernel could not reclaim enough
     */
    void setMemory(String id, long bytes) throws MemoryLimits.Refused, SandboxException {
        memoryLimits.set(id, bytes);
    }

    /**
     * The end of a compile stage in container {@code id}: what the compile used, with the peak reset for the
     * run stage ({@link CgroupUsage#boundary}); null when usage is not measured.
     */
    @Nullable
    ResourceUsage stageBoundary(String id) {
        String parent = cgroupParents.get(id);
        return parent == null || usage == null ? null : usage.boundary(parent);
    }

    /** The name of a container that serves run {@code runId}. */
    static String runName(String runId) {
        return RUN_NAME_PREFIX + runId;
    }

    /** Renames a pooled container so its name carries the run id; best effort. */
    void nameForRun(String id, String runId) {
        try {
            client.renameContainerCmd(id).withName(runName(runId)).exec();
        } catch (RuntimeException e) {
            log.debug("could not rename container {} for run {}: {}", id, runId, Images.rootMessage(e));
        }
    }

    /**
     * Whether the container exists and is running. A pooled container may have stopped while it waited (a
     * dockerd restart stops them all); Docker accepts an attach to a stopped container but never streams.
     */
    boolean isRunning(String id) {
        try {
            return Boolean.TRUE.equals(
                    client.inspectContainerCmd(id).exec().getState().getRunning());
        } catch (NotFoundException e) {
            return false;
        }
    }

    /**
     * Force-removes a container and its anonymous volumes; true if it is gone. Its uid lease is released
     * only then: a container that could not be removed may still run processes as that uid. Never throws.
     */
    boolean remove(String id) {
        boolean gone = removeContainer(id);
        forgetCgroup(id, false);
        return gone;
    }

    /**
     * Removes the container like {@link #remove}, then reads the usage charged to its cgroup parent (null
     * when not measured or not readable) and removes the parent. Never throws.
     */
    @Nullable
    ResourceUsage removeMeasured(String id, @Nullable ResourceUsage compile) {
        removeContainer(id);
        return forgetCgroup(id, true, compile);
    }

    private @Nullable ResourceUsage forgetCgroup(String id, boolean measure) {
        return forgetCgroup(id, measure, null);
    }

    private @Nullable ResourceUsage forgetCgroup(String id, boolean measure, @Nullable ResourceUsage compile) {
        String parent = cgroupParents.remove(id);
        if (parent == null || usage == null) {
            return null;
        }
        ResourceUsage measured = measure ? usage.read(parent, compile) : null;
        usage.remove(parent);
        return measured;
    }

    private boolean removeContainer(String id) {
        boolean gone;
        try {
            client.removeContainerCmd(id)
                    .withForce(true)
                    .withRemoveVolumes(true)
                    .exec();
            gone = true;
        } catch (NotFoundException e) {
            gone = true;
        } catch (ConflictException e) {
            // "removal already in progress": the processes are dead (the kill comes first), the rest follows.
            gone = true;
        } catch (RuntimeException e) {
            log.warn("could not remove container {}: {}", id, Images.rootMessage(e));
            gone = false;
        }
        if (gone) {
            release(leased.remove(id));
            if (ptys != null) {
                ptys.forget(id);
            }
        }
        return gone;
    }

    /** Removes a container by name if it exists; true if none is left. Never throws. */
    private boolean removeByName(String name) {
        try {
            var found = client.listContainersCmd()
                    .withShowAll(true)
                    .withNameFilter(List.of(name))
                    .exec();
            boolean gone = true;
            for (Container container : found) {
                if (("/" + name).equals(container.getNames()[0])) {
                    gone &= remove(container.getId());
                }
            }
            return gone;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void unmount(@Nullable Path pts) {
        if (pts != null) {
            PtyMounts.unmount(pts);
        }
    }

    private static void release(UidLeases.@Nullable Lease lease) {
        if (lease != null) {
            lease.close();
        }
    }

    /** Containers (any state) carrying {@code label=value}. */
    List<Container> listLabelled(String label, String value) {
        return client.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(label, value))
                .exec();
    }
}
