package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.UidLeases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The process sandbox's typed view of a {@link SandboxConfig}: ranna's own keys ({@code sandbox.memory},
 * {@code sandbox.enablenetworking}) plus the {@code sandbox.process.*} keys below.
 *
 * <p>Immutable and thread-safe. {@link #from(SandboxConfig)} parses and validates every key at once, so
 * a bad value fails at start with an {@link IllegalArgumentException} naming the key and the value.
 */
public final class ProcessSandboxConfig {

    /**
     * {@code bubblewrap} (default) or {@code none}. {@code none} runs programs as plain host processes,
     * with only the limits the host can enforce: a local development mode, never safe to expose.
     */
    public static final String ISOLATION = "sandbox.process.isolation";
    /** Most processes and threads one run may have at once (cgroup pids), default 128. */
    public static final String PIDS = "sandbox.process.pids";
    /**
     * CPU seconds per process (RLIMIT_CPU); default: the run's timeout rounded up, so a tree of processes
     * is still bounded by the wall-clock timeout.
     */
    public static final String CPU_SECONDS = "sandbox.process.cpuseconds";
    /** Open files per process (RLIMIT_NOFILE), default 256. */
    public static final String NOFILE = "sandbox.process.nofile";
    /** Largest file a program may write (RLIMIT_FSIZE), default 64M. */
    public static final String FILE_SIZE = "sandbox.process.filesize";
    /** Size of the private {@code /tmp} tmpfs, default 16M (charged to the run's memory). */
    public static final String TMP_SIZE = "sandbox.process.tmpsize";
    /** Size of the private {@code /work} tmpfs holding the code, default 64M (charged to the run's memory). */
    public static final String WORK_SIZE = "sandbox.process.worksize";
    /** Host directory under which per-instance work directories are made, default {@code java.io.tmpdir}. */
    public static final String WORK_ROOT = "sandbox.process.workroot";
    /**
     * First host uid used for runs when the server runs as root (run slot N gets {@code uidbase + N}),
     * default 2000000000: far above login users, system users and the {@code /etc/subuid} ranges that
     * rootless containers use from 100000 on.
     */
    public static final String UID_BASE = "sandbox.process.uidbase";
    /**
     * Directory of the host-wide run uid leases, shared by every ranna server on the host ({@value
     * UidLeases#DIRECTORY}; default {@code /run/ranna/uids}, else {@code java.io.tmpdir}/ranna-uids). See
     * {@link UidLeases}.
     */
    public static final String UID_LEASE_DIR = UidLeases.DIRECTORY;
    /** How many runs may go at once in this sandbox, default 256. */
    public static final String SLOTS = "sandbox.process.slots";
    /**
     * How many run uids, from {@value #UID_BASE} on, default 4 x {@value #SLOTS}. Leased host-wide, so every
     * server on the host using the same range draws from it: the default lets two servers (the old and the
     * new one of a rolling restart) run full, each with its prestarted launcher. At least {@value #SLOTS}.
     */
    public static final String UID_COUNT = "sandbox.process.uidcount";
    /** Path of the bubblewrap binary; default: {@code bwrap} found on PATH or in /usr/bin. */
    public static final String BWRAP = "sandbox.process.bwrap";
    /** Extra host paths bound read-only at the same place in the sandbox, comma separated. */
    public static final String BIND = "sandbox.process.bind";
    /** {@code auto} (default): use cgroups when the host offers writable ones; {@code off}: never. */
    public static final String CGROUPS = "sandbox.process.cgroups";
    /**
     * {@code on} (default): keep one launcher started ahead of the next run (spawned and inside its run
     * cgroup, waiting); {@code off}: start every run's launcher on its own path. Bubblewrap as root only.
     */
    public static final String PRESTART = "sandbox.process.prestart";
    /**
     * {@code on} (default): bubblewrap installs ranna's syscall filter ({@link
     * dev.ranna.engine.spi.seccomp.SyscallPolicy}) in every run, and the sandbox refuses to start on an
     * architecture the filter does not support (x86_64 only); {@code off}: runs are unfiltered. For hosts
     * of another architecture, and to tell whether a failing runtime needs a denied call.
     */
    public static final String SECCOMP = "sandbox.process.seccomp";

    /** How runs are isolated. */
    public enum Isolation {
        /** bubblewrap namespaces, read-only system, private /tmp and /work, no network, no capabilities. */
        BUBBLEWRAP,
        /** None: plain host processes. For local development only. */
        NONE
    }

    private final String instanceId;
    private final Isolation isolation;
    private final long memoryBytes;
    private final boolean networking;
    private final int pids;
    private final Optional<Integer> cpuSeconds;
    private final int nofile;
    private final long fileSizeBytes;
    private final long tmpSizeBytes;
    private final long workSizeBytes;
    private final Path workRoot;
    private final int uidBase;
    private final int slots;
    private final int uidCount;
    private final Path uidLeaseDir;
    private final Optional<Path> bwrap;
    private final List<Path> binds;
    private final boolean cgroups;
    private final boolean prestart;
    private final boolean seccomp;

    private ProcessSandboxConfig(SandboxConfig config) {
        this.instanceId = config.instanceId();
        this.isolation = parseIsolation(config.get(ISOLATION).orElse("bubblewrap"));
        this.memoryBytes = positive(SandboxConfig.MEMORY, config.memoryBytes());
        this.networking = config.networking();
        this.pids = (int) positive(PIDS, config.integer(PIDS, 128));
        this.cpuSeconds = config.get(CPU_SECONDS).map(v -> (int) positive(CPU_SECONDS, config.integer(CPU_SECONDS, 0)));
        this.nofile = (int) positive(NOFILE, config.integer(NOFILE, 256));
        this.fileSizeBytes = positive(FILE_SIZE, config.size(FILE_SIZE, 64L << 20));
        this.tmpSizeBytes = positive(TMP_SIZE, config.size(TMP_SIZE, 16L << 20));
        this.workSizeBytes = positive(WORK_SIZE, config.size(WORK_SIZE, 64L << 20));
        this.workRoot = absolute(WORK_ROOT, config.get(WORK_ROOT).orElse(System.getProperty("java.io.tmpdir")));
        this.slots = (int) positive(SLOTS, config.integer(SLOTS, 256));
        this.uidBase = (int) positive(UID_BASE, config.integer(UID_BASE, 2_000_000_000));
        this.uidCount = (int) positive(UID_COUNT, config.integer(UID_COUNT, (int) Math.min(1 << 30, 4L * slots)));
        if (uidCount < slots) {
            throw new IllegalArgumentException(
                    UID_COUNT + ": must be >= " + SLOTS + " (" + slots + "), got '" + uidCount + "'");
        }
        if ((long) uidBase + uidCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(UID_BASE + " + " + UID_COUNT + ": uids up to "
                    + ((long) uidBase + uidCount) + " exceed " + Integer.MAX_VALUE);
        }
        if (uidBase < 1000) {
            throw new IllegalArgumentException(
                    UID_BASE + ": must be >= 1000 to stay clear of system users, got '" + uidBase + "'");
        }
        this.uidLeaseDir = UidLeases.directory(config);
        this.bwrap = config.get(BWRAP).map(value -> absolute(BWRAP, value));
        var bindList = new ArrayList<Path>();
        for (String part : config.get(BIND).orElse("").split(",")) {
            if (!part.isBlank()) {
                bindList.add(absolute(BIND, part.trim()));
            }
        }
        this.binds = List.copyOf(bindList);
        String cgroupMode = config.get(CGROUPS).orElse("auto").toLowerCase(Locale.ROOT);
        if (!cgroupMode.equals("auto") && !cgroupMode.equals("off")) {
            throw new IllegalArgumentException(CGROUPS + ": expected auto or off, got '" + cgroupMode + "'");
        }
        this.cgroups = cgroupMode.equals("auto");
        String prestartMode = config.get(PRESTART).orElse("on").toLowerCase(Locale.ROOT);
        if (!prestartMode.equals("on") && !prestartMode.equals("off")) {
            throw new IllegalArgumentException(PRESTART + ": expected on or off, got '" + prestartMode + "'");
        }
        this.prestart = prestartMode.equals("on");
        String seccompMode = config.get(SECCOMP).orElse("on").toLowerCase(Locale.ROOT);
        if (!seccompMode.equals("on") && !seccompMode.equals("off")) {
            throw new IllegalArgumentException(SECCOMP + ": expected on or off, got '" + seccompMode + "'");
        }
        this.seccomp = seccompMode.equals("on");
    }

    /**
     * Reads and validates {@code config}.
     *
     * @throws IllegalArgumentException naming the key and the value when one is invalid
     */
    public static ProcessSandboxConfig from(SandboxConfig config) {
        return new ProcessSandboxConfig(Objects.requireNonNull(config, "config"));
    }

    private static Isolation parseIsolation(String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "bubblewrap":
            case "bwrap":
                return Isolation.BUBBLEWRAP;
            case "none":
                return Isolation.NONE;
            default:
                throw new IllegalArgumentException(ISOLATION + ": expected bubblewrap or none, got '" + value + "'");
        }
    }

    private static long positive(String key, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + ": must be > 0, got '" + value + "'");
        }
        return value;
    }

    private static Path absolute(String key, String value) {
        Path path = Path.of(value);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException(key + ": expected an absolute path, got '" + value + "'");
        }
        return path.normalize();
    }

    /** The engine instance's id, part of every name this sandbox gives to host resources. */
    public String instanceId() {
        return instanceId;
    }

    /** {@value #ISOLATION}. */
    public Isolation isolation() {
        return isolation;
    }

    /** {@value SandboxConfig#MEMORY}: memory per run in bytes. */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** {@value SandboxConfig#ENABLE_NETWORKING}: whether runs share the host's network. */
    public boolean networking() {
        return networking;
    }

    /** {@value #PIDS}. */
    public int pids() {
        return pids;
    }

    /** {@value #CPU_SECONDS}, if set. */
    public Optional<Integer> cpuSeconds() {
        return cpuSeconds;
    }

    /** The CPU-time limit for a run with {@code timeout}: the configured one, else the timeout rounded up. */
    public int cpuSecondsFor(Duration timeout) {
        long fromTimeout = Math.max(1, (timeout.toMillis() + 999) / 1000);
        return cpuSeconds.orElse((int) Math.min(Integer.MAX_VALUE, fromTimeout));
    }

    /** {@value #NOFILE}. */
    public int nofile() {
        return nofile;
    }

    /** {@value #FILE_SIZE} in bytes. */
    public long fileSizeBytes() {
        return fileSizeBytes;
    }

    /** {@value #TMP_SIZE} in bytes. */
    public long tmpSizeBytes() {
        return tmpSizeBytes;
    }

    /** {@value #WORK_SIZE} in bytes. */
    public long workSizeBytes() {
        return workSizeBytes;
    }

    /** {@value #WORK_ROOT}. */
    public Path workRoot() {
        return workRoot;
    }

    /** {@value #UID_BASE}. */
    public int uidBase() {
        return uidBase;
    }

    /** {@value #SLOTS}. */
    public int slots() {
        return slots;
    }

    /** {@value #UID_COUNT}: how many uids from {@link #uidBase()} runs may use. */
    public int uidCount() {
        return uidCount;
    }

    /** {@value #UID_LEASE_DIR}: where run uids are leased host-wide. */
    public Path uidLeaseDir() {
        return uidLeaseDir;
    }

    /** {@value #BWRAP}, if set. */
    public Optional<Path> bwrap() {
        return bwrap;
    }

    /** {@value #BIND}. */
    public List<Path> binds() {
        return binds;
    }

    /** {@value #CGROUPS}: whether cgroups may be used. */
    public boolean cgroups() {
        return cgroups;
    }

    /** {@value #PRESTART}: whether a launcher is started ahead of the next run. */
    public boolean prestart() {
        return prestart;
    }

    /** {@value #SECCOMP}: whether runs get the syscall filter. */
    public boolean seccomp() {
        return seccomp;
    }

    @Override
    public String toString() {
        return "ProcessSandboxConfig[isolation=" + isolation + ", memory=" + memoryBytes + ", networking=" + networking
                + ", pids=" + pids + ", cpuSeconds=" + cpuSeconds + ", nofile=" + nofile + ", fileSize="
                + fileSizeBytes + ", tmpSize=" + tmpSizeBytes + ", workSize=" + workSizeBytes + ", workRoot="
                + workRoot + ", uidBase=" + uidBase + ", slots=" + slots + ", uidCount=" + uidCount + ", uidLeaseDir="
                + uidLeaseDir + ", bwrap=" + bwrap + ", binds=" + binds
                + ", cgroups=" + cgroups + ", prestart=" + prestart + ", seccomp=" + seccomp + "]";
    }
}
