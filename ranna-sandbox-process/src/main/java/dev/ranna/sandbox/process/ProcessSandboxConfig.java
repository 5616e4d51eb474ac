package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
     * How many sandboxes to keep fully set up ahead of runs, default 2; 0 disables. Each is a bubblewrap
     * sandbox with its namespaces, mounts, cgroup, uid, rlimits and syscall filter in place, waiting for a
     * run's code, command and environment on its stdin, used by one run only. Serves runs without a
     * terminal, files or a compile stage (the others start a launcher of their own, see {@value #PRESTART}).
     * Bubblewrap as root with perl only.
     */
    public static final String POOL = "sandbox.process.pool";
    /**
     * {@code on} (default): bubblewrap installs ranna's syscall filter ({@link
     * dev.ranna.engine.spi.seccomp.SyscallPolicy}) in every run, and the sandbox refuses to start on an
     * architecture the filter does not support (x86_64 only); {@code off}: runs are unfiltered. For hosts
     * of another architecture, and to tell whether a failing runtime needs a denied call.
     */
    public static final String SECCOMP = "sandbox.process.seccomp";
    /**
     * Most pseudo-terminals one terminal ({@code tty}) run may hold at once, its own terminal included,
     * default 16: the {@code max=} of the devpts instance each terminal run gets (bubblewrap as root only;
     * see the module README).
     */
    public static final String PTYS = "sandbox.process.ptys";

    /** How runs are isolated. */
    public enum Isolation {
        /** bubblewrap namespaces, read-only system, private /tmp and /work, no network, no capabilities. */
        BUBBLEWRAP,
        /** None: plain host processes. For local development only. */
        NONE
    }

    /** The typed keys, declared once: their defaults and descriptions are what {@code --help} shows. */
    public static final class Keys {
        private Keys() {}

        private static final ConfigType<List<Path>> PATHS = ConfigType.of("absolute paths", text -> {
            var paths = new ArrayList<Path>();
            for (String part : ConfigType.LIST.parse(text)) {
                paths.add(ConfigType.ABSOLUTE_PATH.parse(part));
            }
            return List.copyOf(paths);
        });

        /** {@value ProcessSandboxConfig#ISOLATION}. */
        public static final ConfigKey<Isolation> ISOLATION = ConfigKey.builder(
                        ProcessSandboxConfig.ISOLATION,
                        ConfigType.choice(
                                "bubblewrap",
                                Isolation.BUBBLEWRAP,
                                "bwrap",
                                Isolation.BUBBLEWRAP,
                                "none",
                                Isolation.NONE))
                .defaultValue("bubblewrap")
                .description("bubblewrap, or none: programs run as plain host processes (local development only,"
                        + " never safe to expose)")
                .build();
        /** {@value ProcessSandboxConfig#PIDS}. */
        public static final ConfigKey<Integer> PIDS = ConfigKey.builder(
                        ProcessSandboxConfig.PIDS, ConfigType.positiveInteger())
                .defaultValue("128")
                .description("most processes and threads one run may have at once (cgroup pids)")
                .build();
        /** {@value ProcessSandboxConfig#CPU_SECONDS}. */
        public static final ConfigKey<Integer> CPU_SECONDS = ConfigKey.builder(
                        ProcessSandboxConfig.CPU_SECONDS, ConfigType.positiveInteger())
                .defaultHelp("the run's timeout, rounded up")
                .description("CPU seconds per process (RLIMIT_CPU)")
                .build();
        /** {@value ProcessSandboxConfig#NOFILE}. */
        public static final ConfigKey<Integer> NOFILE = ConfigKey.builder(
                        ProcessSandboxConfig.NOFILE, ConfigType.positiveInteger())
                .defaultValue("256")
                .description("open files per process (RLIMIT_NOFILE)")
                .build();
        /** {@value ProcessSandboxConfig#FILE_SIZE}. */
        public static final ConfigKey<Long> FILE_SIZE = ConfigKey.builder(
                        ProcessSandboxConfig.FILE_SIZE, ConfigType.POSITIVE_SIZE)
                .defaultValue("64M")
                .description("largest file a program may write (RLIMIT_FSIZE)")
                .build();
        /** {@value ProcessSandboxConfig#TMP_SIZE}. */
        public static final ConfigKey<Long> TMP_SIZE = ConfigKey.builder(
                        ProcessSandboxConfig.TMP_SIZE, ConfigType.POSITIVE_SIZE)
                .defaultValue("16M")
                .description("size of the private /tmp tmpfs (charged to the run's memory)")
                .build();
        /** {@value ProcessSandboxConfig#WORK_SIZE}. */
        public static final ConfigKey<Long> WORK_SIZE = ConfigKey.builder(
                        ProcessSandboxConfig.WORK_SIZE, ConfigType.POSITIVE_SIZE)
                .defaultValue("64M")
                .description("size of the private /work tmpfs holding the code (charged to the run's memory)")
                .build();
        /** {@value ProcessSandboxConfig#WORK_ROOT}. */
        public static final ConfigKey<Path> WORK_ROOT = ConfigKey.builder(
                        ProcessSandboxConfig.WORK_ROOT, ConfigType.ABSOLUTE_PATH)
                .defaultHelp("java.io.tmpdir")
                .description("host directory under which per-instance work directories are made")
                .build();
        /** {@value ProcessSandboxConfig#UID_BASE}. */
        public static final ConfigKey<Integer> UID_BASE = ConfigKey.builder(
                        ProcessSandboxConfig.UID_BASE, ConfigType.of("a whole number", text -> {
                            int value = ConfigType.positiveInteger().parse(text);
                            if (value < 1000) {
                                throw new IllegalArgumentException("must be >= 1000 to stay clear of system users");
                            }
                            return value;
                        }))
                .defaultValue("2000000000")
                .description("first host uid used for runs when the server runs as root (run slot N gets uidbase + N)")
                .build();
        /** {@value ProcessSandboxConfig#SLOTS}. */
        public static final ConfigKey<Integer> SLOTS = ConfigKey.builder(
                        ProcessSandboxConfig.SLOTS, ConfigType.positiveInteger())
                .defaultValue("256")
                .description("how many runs may go at once in this sandbox")
                .build();
        /** {@value ProcessSandboxConfig#UID_COUNT}. */
        public static final ConfigKey<Integer> UID_COUNT = ConfigKey.builder(
                        ProcessSandboxConfig.UID_COUNT, ConfigType.positiveInteger())
                .defaultHelp("4 x " + ProcessSandboxConfig.SLOTS)
                .description(
                        "how many run uids from uidbase on, leased host-wide; at least " + ProcessSandboxConfig.SLOTS)
                .build();
        /** {@value ProcessSandboxConfig#BWRAP}. */
        public static final ConfigKey<Path> BWRAP = ConfigKey.builder(
                        ProcessSandboxConfig.BWRAP, ConfigType.ABSOLUTE_PATH)
                .defaultHelp("bwrap on PATH or in /usr/bin")
                .description("path of the bubblewrap binary")
                .build();
        /** {@value ProcessSandboxConfig#BIND}. */
        public static final ConfigKey<List<Path>> BIND = ConfigKey.builder(ProcessSandboxConfig.BIND, PATHS)
                .description("extra host paths bound read-only at the same place in the sandbox (comma separated)")
                .build();
        /** {@value ProcessSandboxConfig#CGROUPS}. */
        public static final ConfigKey<Boolean> CGROUPS = ConfigKey.builder(
                        ProcessSandboxConfig.CGROUPS, ConfigType.choice("auto", true, "off", false))
                .defaultValue("auto")
                .description("auto: use cgroups when the host offers writable ones; off: never")
                .build();
        /** {@value ProcessSandboxConfig#PRESTART}. */
        public static final ConfigKey<Boolean> PRESTART = ConfigKey.builder(
                        ProcessSandboxConfig.PRESTART, ConfigType.BOOLEAN)
                .defaultValue("on")
                .description("keep one launcher started ahead of the next run (bubblewrap as root only)")
                .build();
        /** {@value ProcessSandboxConfig#POOL}. */
        public static final ConfigKey<Integer> POOL = ConfigKey.builder(
                        ProcessSandboxConfig.POOL, ConfigType.integer(0, 64))
                .defaultValue("2")
                .description("how many sandboxes to keep set up and waiting for a plain run (0 disables;"
                        + " bubblewrap as root, with perl)")
                .build();
        /** {@value ProcessSandboxConfig#SECCOMP}. */
        public static final ConfigKey<Boolean> SECCOMP = ConfigKey.builder(
                        ProcessSandboxConfig.SECCOMP, ConfigType.BOOLEAN)
                .defaultValue("on")
                .description("install ranna's syscall filter in every run (x86_64 only); off: runs are unfiltered")
                .build();
        /** {@value ProcessSandboxConfig#PTYS}. */
        public static final ConfigKey<Integer> PTYS = ConfigKey.builder(
                        ProcessSandboxConfig.PTYS, ConfigType.positiveInteger())
                .defaultValue("16")
                .description("most pseudo-terminals one tty run may hold at once, its own included (devpts max=;"
                        + " bubblewrap as root only)")
                .build();

        /** Every key of the process sandbox, in {@code --help} order. */
        public static final List<ConfigKey<?>> ALL = List.of(
                ISOLATION,
                PIDS,
                CPU_SECONDS,
                NOFILE,
                FILE_SIZE,
                TMP_SIZE,
                WORK_SIZE,
                WORK_ROOT,
                UID_BASE,
                SLOTS,
                UID_COUNT,
                BWRAP,
                BIND,
                CGROUPS,
                PRESTART,
                POOL,
                SECCOMP,
                PTYS);
    }

    private final String instanceId;
    private final Isolation isolation;
    private final long memoryBytes;
    private final long compileMemoryBytes;
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
    private final int pool;
    private final boolean seccomp;
    private final int ptys;

    private ProcessSandboxConfig(SandboxConfig config) {
        this.instanceId = config.instanceId();
        this.isolation = config.get(Keys.ISOLATION);
        this.memoryBytes = config.memoryBytes();
        this.compileMemoryBytes = config.get(SandboxConfig.Keys.COMPILE_MEMORY);
        this.networking = config.networking();
        this.pids = config.get(Keys.PIDS);
        this.cpuSeconds = config.find(Keys.CPU_SECONDS);
        this.nofile = config.get(Keys.NOFILE);
        this.fileSizeBytes = config.get(Keys.FILE_SIZE);
        this.tmpSizeBytes = config.get(Keys.TMP_SIZE);
        this.workSizeBytes = config.get(Keys.WORK_SIZE);
        this.workRoot = config.find(Keys.WORK_ROOT)
                .orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"))
                        .toAbsolutePath()
                        .normalize());
        this.slots = config.get(Keys.SLOTS);
        this.uidBase = config.get(Keys.UID_BASE);
        this.uidCount = config.find(Keys.UID_COUNT).orElse((int) Math.min(1 << 30, 4L * slots));
        if (uidCount < slots) {
            throw new IllegalArgumentException(
                    UID_COUNT + ": must be >= " + SLOTS + " (" + slots + "), got '" + uidCount + "'");
        }
        if ((long) uidBase + uidCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(UID_BASE + " + " + UID_COUNT + ": uids up to "
                    + ((long) uidBase + uidCount) + " exceed " + Integer.MAX_VALUE);
        }
        this.uidLeaseDir = UidLeases.directory(config);
        this.bwrap = config.find(Keys.BWRAP);
        this.binds = config.find(Keys.BIND).orElse(List.of());
        this.cgroups = config.get(Keys.CGROUPS);
        this.prestart = config.get(Keys.PRESTART);
        this.pool = config.get(Keys.POOL);
        this.seccomp = config.get(Keys.SECCOMP);
        this.ptys = config.get(Keys.PTYS);
    }

    /**
     * Reads and validates {@code config}.
     *
     * @throws IllegalArgumentException naming the key and the value when one is invalid
     */
    public static ProcessSandboxConfig from(SandboxConfig config) {
        return new ProcessSandboxConfig(Objects.requireNonNull(config, "config"));
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

    /** {@value SandboxConfig#COMPILE_MEMORY}: memory of a run's compile stage in bytes. */
    public long compileMemoryBytes() {
        return compileMemoryBytes;
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

    /** {@value #POOL}: how many sandboxes are kept set up ahead of plain runs. */
    public int pool() {
        return pool;
    }

    /** {@value #SECCOMP}: whether runs get the syscall filter. */
    public boolean seccomp() {
        return seccomp;
    }

    /** {@value #PTYS}: the {@code max=} of a terminal run's own devpts instance. */
    public int ptys() {
        return ptys;
    }

    @Override
    public String toString() {
        return "ProcessSandboxConfig[isolation=" + isolation + ", memory=" + memoryBytes + ", networking=" + networking
                + ", pids=" + pids + ", cpuSeconds=" + cpuSeconds + ", nofile=" + nofile + ", fileSize="
                + fileSizeBytes + ", tmpSize=" + tmpSizeBytes + ", workSize=" + workSizeBytes + ", workRoot="
                + workRoot + ", uidBase=" + uidBase + ", slots=" + slots + ", uidCount=" + uidCount + ", uidLeaseDir="
                + uidLeaseDir + ", bwrap=" + bwrap + ", binds=" + binds
                + ", cgroups=" + cgroups + ", prestart=" + prestart + ", pool=" + pool + ", seccomp=" + seccomp
                + ", ptys=" + ptys + "]";
    }
}
