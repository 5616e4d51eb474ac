package dev.ranna.sandbox.docker;

import dev.ranna.engine.CronSchedule;
import dev.ranna.engine.EngineKeys;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Docker sandbox's configuration: ranna's keys ({@code sandbox.memory}, {@code sandbox.enablenetworking},
 * {@code sandbox.runtime}, {@code skipstartupprep}, {@code scheduler.updateimages}) and its own keys under
 * {@code sandbox.docker.*}, parsed and validated once.
 *
 * <p>Immutable and thread-safe. {@link #from(SandboxConfig)} throws {@link IllegalArgumentException} naming
 * the key and the value when a value is invalid.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>Key</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@value #HOST}</td><td>{@code DOCKER_HOST}, else the platform default</td><td>the engine to talk to</td></tr>
 *   <tr><td>{@value #POOL_SIZE}</td><td>2</td><td>warm containers kept per spec in use (0 = none)</td></tr>
 *   <tr><td>{@code sandbox.docker.spec.<key>.pool.size}</td><td>{@value #POOL_SIZE}</td><td>the same, for one spec</td></tr>
 *   <tr><td>{@value #POOL_WARM}</td><td>none</td><td>comma-separated spec keys to warm at start (others warm on first use)</td></tr>
 *   <tr><td>{@value #PIDS}</td><td>128</td><td>pids limit per container</td></tr>
 *   <tr><td>{@value #PTYS}</td><td>16</td><td>pseudo-terminals a {@code tty} run may hold, its console included
 *       (runc, server running as root)</td></tr>
 *   <tr><td>{@value #CPUS}</td><td>1</td><td>CPU quota in cores</td></tr>
 *   <tr><td>{@value #USER}</td><td>none: a leased uid per container</td><td>numeric {@code uid[:gid]} every program runs as, replacing the per-run uids (all runs then share one kernel identity)</td></tr>
 *   <tr><td>{@code sandbox.docker.spec.<key>.user}</td><td>{@value #USER}</td><td>the same, for one spec</td></tr>
 *   <tr><td>{@value #UID_BASE}</td><td>1900000000</td><td>first host uid (and gid) leased to run containers</td></tr>
 *   <tr><td>{@value #UID_COUNT}</td><td>4096</td><td>how many uids; at least the concurrent runs plus the warm containers of every server on the host</td></tr>
 *   <tr><td>{@code sandbox.uidleasedir}</td><td>{@code /run/ranna/uids}, else under {@code java.io.tmpdir}</td><td>where uids are leased host-wide (see {@link dev.ranna.engine.spi.UidLeases})</td></tr>
 *   <tr><td>{@value #TMPFS_SIZE}</td><td>64M</td><td>size of each writable tmpfs (work dir and {@code /tmp})</td></tr>
 *   <tr><td>{@value #WORKDIR}</td><td>{@code /work}</td><td>the working directory holding the code</td></tr>
 *   <tr><td>{@value #NOFILE}</td><td>1024</td><td>open files limit (ulimit nofile)</td></tr>
 *   <tr><td>{@value #FSIZE}</td><td>{@value #TMPFS_SIZE}</td><td>largest file a program may write (ulimit fsize)</td></tr>
 *   <tr><td>{@value #READ_ONLY_ROOTFS}</td><td>true</td><td>mount the image read-only</td></tr>
 *   <tr><td>{@value #NETWORK_MODE}</td><td>{@code bridge}</td><td>network used when {@code sandbox.enablenetworking}</td></tr>
 *   <tr><td>{@value #IMAGES}</td><td>the default specs' images</td><td>comma-separated images pulled at start and on the schedule</td></tr>
 *   <tr><td>{@value #UPDATE_IMAGES}</td><td>{@code 0 3 * * *}</td><td>cron schedule of image re-pulls; {@code off} disables</td></tr>
 *   <tr><td>{@value #PROBE_TIMEOUT}</td><td>3</td><td>seconds the availability probe may take</td></tr>
 *   <tr><td>{@value #SECCOMP}</td><td>{@code ranna}</td><td>{@code ranna}: ranna's syscall profile (x86_64
 *       engines only); {@code docker}: the engine's default profile</td></tr>
 * </table>
 */
public final class DockerSandboxConfig {

    /** The Docker engine address, e.g. {@code unix:///var/run/docker.sock} or {@code tcp://host:2376}. */
    public static final String HOST = "sandbox.docker.host";
    /** Warm containers kept per spec in use. */
    public static final String POOL_SIZE = "sandbox.docker.pool.size";
    /** Spec keys whose pools are filled at start. */
    public static final String POOL_WARM = "sandbox.docker.pool.warm";
    /** Pids limit per container. */
    public static final String PIDS = "sandbox.docker.pids";
    /**
     * Pseudo-terminals one {@code tty} run may hold, its console included: the {@code max=} of the devpts
     * instance of its own that it gets on runc when the server runs as root (see the module README,
     * Terminals).
     */
    public static final String PTYS = "sandbox.docker.ptys";
    /** CPU quota in cores, e.g. {@code 0.5}. */
    public static final String CPUS = "sandbox.docker.cpus";
    /**
     * Numeric {@code uid[:gid]} every program runs as. Unset (the default), each container gets a host uid
     * of its own from {@value #UID_BASE}; set, it replaces those and all runs share this one identity (and
     * its per-user kernel quotas: inotify instances, message queues, keyrings, processes).
     */
    public static final String USER = "sandbox.docker.user";
    /**
     * First host uid leased to run containers, default 1900000000: clear of login and system users, of the
     * {@code /etc/subuid} ranges rootless containers use from 100000 on, and of the process sandbox's range
     * (2000000000 on). The container's gid is the same number. With dockerd's {@code userns-remap}, choose a
     * range inside the remapped one.
     */
    public static final String UID_BASE = "sandbox.docker.uidbase";
    /**
     * How many uids from {@value #UID_BASE}, default 4096. Each running or warm container holds one until it
     * is removed, and servers on one host share the range: at least the concurrent runs plus the warm pool
     * of every server using it.
     */
    public static final String UID_COUNT = "sandbox.docker.uidcount";
    /** Size of each writable tmpfs. */
    public static final String TMPFS_SIZE = "sandbox.docker.tmpfs.size";
    /** Working directory, a tmpfs holding the code. */
    public static final String WORKDIR = "sandbox.docker.workdir";
    /** ulimit nofile. */
    public static final String NOFILE = "sandbox.docker.nofile";
    /** ulimit fsize, a size. */
    public static final String FSIZE = "sandbox.docker.fsize";
    /** Whether the root filesystem is read-only. */
    public static final String READ_ONLY_ROOTFS = "sandbox.docker.readonlyrootfs";
    /** The network mode used when networking is enabled. */
    public static final String NETWORK_MODE = "sandbox.docker.networkmode";
    /** Images to pull at start and on the update schedule. */
    public static final String IMAGES = "sandbox.docker.images";
    /** ranna's image update schedule, a 5-field cron expression. */
    public static final String UPDATE_IMAGES = "scheduler.updateimages";
    /** Seconds the availability probe may take. */
    public static final String PROBE_TIMEOUT = "sandbox.docker.probetimeout";
    /**
     * {@code ranna} (default): every run container gets ranna's seccomp profile ({@link
     * dev.ranna.engine.spi.seccomp.SyscallPolicy}: Docker's kind of allow-list, without io_uring and with
     * ranna's other denials), and the sandbox refuses an engine that is not x86_64; {@code docker}: the
     * engine's own default profile, for engines of another architecture.
     */
    public static final String SECCOMP = "sandbox.docker.seccomp";

    private static final Pattern USER_PATTERN = Pattern.compile("\\d{1,10}(:\\d{1,10})?");
    private static final Pattern WORKDIR_PATTERN = Pattern.compile("(/[A-Za-z0-9._-]+)+");

    /** The typed keys, declared once: their defaults and descriptions are what {@code --help} shows. */
    public static final class Keys {
        private Keys() {}

        private static final ConfigType<String> USER_TYPE = ConfigType.of("uid or uid:gid", text -> {
            String value = text.trim();
            if (!USER_PATTERN.matcher(value).matches()) {
                throw new IllegalArgumentException("expected a numeric uid or uid:gid like 65534:65534");
            }
            return value.contains(":") ? value : value + ":" + value;
        });

        private static final ConfigType<String> WORKDIR_TYPE = ConfigType.of("an absolute path", text -> {
            String value = text.trim();
            if (!WORKDIR_PATTERN.matcher(value).matches() || value.contains("/../") || value.endsWith("/..")) {
                throw new IllegalArgumentException("expected an absolute path like /work");
            }
            return value;
        });

        private static final ConfigType<Double> CPUS_TYPE = ConfigType.of("a number of cores", text -> {
            double cpus;
            try {
                cpus = Double.parseDouble(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a number of cores like 0.5");
            }
            if (!(cpus >= 0.01) || cpus > 1024) {
                throw new IllegalArgumentException("expected between 0.01 and 1024 cores");
            }
            return cpus;
        });

        private static final ConfigType<Integer> UID_BASE_TYPE = ConfigType.of("a whole number", text -> {
            int value = ConfigType.positiveInteger().parse(text);
            if (value < 1000) {
                throw new IllegalArgumentException("must be >= 1000 to stay clear of system users");
            }
            return value;
        });

        /** {@value DockerSandboxConfig#HOST}. */
        public static final ConfigKey<String> HOST = ConfigKey.builder(DockerSandboxConfig.HOST, ConfigType.STRING)
                .defaultHelp("DOCKER_HOST, else the local socket")
                .description("the Docker engine to use, e.g. unix:///var/run/docker.sock or tcp://host:2376")
                .build();
        /** {@value DockerSandboxConfig#POOL_SIZE}. */
        public static final ConfigKey<Integer> POOL_SIZE = ConfigKey.builder(
                        DockerSandboxConfig.POOL_SIZE, ConfigType.nonNegativeInteger())
                .defaultValue("2")
                .description("warm containers kept per spec in use (0: none)")
                .build();
        /** {@code sandbox.docker.spec.<key>.pool.size}. */
        public static final ConfigKey<Integer> SPEC_POOL_SIZE = ConfigKey.builder(
                        "sandbox.docker.spec.<key>.pool.size", ConfigType.nonNegativeInteger())
                .defaultHelp(DockerSandboxConfig.POOL_SIZE)
                .description("warm containers kept for one spec")
                .build();
        /** {@value DockerSandboxConfig#POOL_WARM}. */
        public static final ConfigKey<List<String>> POOL_WARM = ConfigKey.builder(
                        DockerSandboxConfig.POOL_WARM, ConfigType.LIST)
                .description("spec keys whose pools are filled at start (others warm on first use)")
                .build();
        /** {@value DockerSandboxConfig#PIDS}. */
        public static final ConfigKey<Integer> PIDS = ConfigKey.builder(
                        DockerSandboxConfig.PIDS, ConfigType.positiveInteger())
                .defaultValue("128")
                .description("pids limit per container")
                .build();
        /** {@value DockerSandboxConfig#PTYS}. */
        public static final ConfigKey<Integer> PTYS = ConfigKey.builder(
                        DockerSandboxConfig.PTYS, ConfigType.positiveInteger())
                .defaultValue("16")
                .description("pseudo-terminals a tty run may hold, its console included (runc, server as root)")
                .build();
        /** {@value DockerSandboxConfig#CPUS}. */
        public static final ConfigKey<Double> CPUS = ConfigKey.builder(DockerSandboxConfig.CPUS, CPUS_TYPE)
                .defaultValue("1")
                .description("CPU quota per container in cores, e.g. 0.5")
                .build();
        /** {@value DockerSandboxConfig#USER}. */
        public static final ConfigKey<String> USER = ConfigKey.builder(DockerSandboxConfig.USER, USER_TYPE)
                .defaultHelp("a leased uid per container")
                .description("numeric uid[:gid] every program runs as, replacing the per-run uids")
                .build();
        /** {@code sandbox.docker.spec.<key>.user}. */
        public static final ConfigKey<String> SPEC_USER = ConfigKey.builder("sandbox.docker.spec.<key>.user", USER_TYPE)
                .defaultHelp(DockerSandboxConfig.USER)
                .description("numeric uid[:gid] the programs of one spec run as")
                .build();
        /** {@value DockerSandboxConfig#UID_BASE}. */
        public static final ConfigKey<Integer> UID_BASE = ConfigKey.builder(DockerSandboxConfig.UID_BASE, UID_BASE_TYPE)
                .defaultValue("1900000000")
                .description("first host uid (and gid) leased to run containers")
                .build();
        /** {@value DockerSandboxConfig#UID_COUNT}. */
        public static final ConfigKey<Integer> UID_COUNT = ConfigKey.builder(
                        DockerSandboxConfig.UID_COUNT, ConfigType.positiveInteger())
                .defaultValue("4096")
                .description("how many uids; at least the concurrent runs plus the warm containers of every server"
                        + " on the host")
                .build();
        /** {@value DockerSandboxConfig#TMPFS_SIZE}. */
        public static final ConfigKey<Long> TMPFS_SIZE = ConfigKey.builder(
                        DockerSandboxConfig.TMPFS_SIZE, ConfigType.POSITIVE_SIZE)
                .defaultValue("64M")
                .description("size of each writable tmpfs (work dir and /tmp)")
                .build();
        /** {@value DockerSandboxConfig#WORKDIR}. */
        public static final ConfigKey<String> WORKDIR = ConfigKey.builder(DockerSandboxConfig.WORKDIR, WORKDIR_TYPE)
                .defaultValue("/work")
                .description("the working directory holding the code")
                .build();
        /** {@value DockerSandboxConfig#NOFILE}. */
        public static final ConfigKey<Integer> NOFILE = ConfigKey.builder(
                        DockerSandboxConfig.NOFILE, ConfigType.positiveInteger())
                .defaultValue("1024")
                .description("open files limit (ulimit nofile)")
                .build();
        /** {@value DockerSandboxConfig#FSIZE}. */
        public static final ConfigKey<Long> FSIZE = ConfigKey.builder(
                        DockerSandboxConfig.FSIZE, ConfigType.POSITIVE_SIZE)
                .defaultHelp(DockerSandboxConfig.TMPFS_SIZE)
                .description("largest file a program may write (ulimit fsize)")
                .build();
        /** {@value DockerSandboxConfig#READ_ONLY_ROOTFS}. */
        public static final ConfigKey<Boolean> READ_ONLY_ROOTFS = ConfigKey.builder(
                        DockerSandboxConfig.READ_ONLY_ROOTFS, ConfigType.BOOLEAN)
                .defaultValue("true")
                .description("mount the image read-only")
                .build();
        /** {@value DockerSandboxConfig#NETWORK_MODE}. */
        public static final ConfigKey<String> NETWORK_MODE = ConfigKey.builder(
                        DockerSandboxConfig.NETWORK_MODE, ConfigType.STRING)
                .defaultValue("bridge")
                .description("network used when sandbox.enablenetworking is true")
                .build();
        /** {@value DockerSandboxConfig#IMAGES}. */
        public static final ConfigKey<List<String>> IMAGES = ConfigKey.builder(
                        DockerSandboxConfig.IMAGES, ConfigType.LIST)
                .defaultHelp("the spec map's images")
                .description("images pulled at start and on the update schedule (comma separated)")
                .build();
        /** {@value DockerSandboxConfig#PROBE_TIMEOUT}. */
        public static final ConfigKey<Duration> PROBE_TIMEOUT = ConfigKey.builder(
                        DockerSandboxConfig.PROBE_TIMEOUT, ConfigType.SECONDS)
                .defaultValue("3")
                .description("seconds the availability probe may take (the engine, then an image pull's first answer)")
                .build();
        /** {@value DockerSandboxConfig#SECCOMP}. */
        public static final ConfigKey<Boolean> SECCOMP = ConfigKey.builder(
                        DockerSandboxConfig.SECCOMP, ConfigType.choice("ranna", true, "docker", false))
                .defaultValue("ranna")
                .description("ranna: ranna's syscall profile (x86_64 engines only); docker: the engine's default"
                        + " profile")
                .build();
        /** {@value SandboxConfig#RUNTIME}: ranna's key, read by this sandbox only. */
        public static final ConfigKey<String> RUNTIME = ConfigKey.builder(SandboxConfig.RUNTIME, ConfigType.STRING)
                .defaultHelp("the engine's default")
                .description("OCI runtime of the run containers, e.g. runsc (gVisor)")
                .ranna()
                .build();
        /** {@value DockerSandboxConfig#UPDATE_IMAGES}: ranna's key, read by this sandbox only. */
        public static final ConfigKey<Optional<CronSchedule>> UPDATE_IMAGES = ConfigKey.builder(
                        DockerSandboxConfig.UPDATE_IMAGES, EngineKeys.SCHEDULE)
                .defaultValue("0 3 * * *")
                .description("cron schedule (5 fields, or @every 6h) for re-pulling the images; off disables")
                .ranna()
                .build();

        /** Every key the Docker sandbox reads besides the shared ones, in {@code --help} order. */
        public static final List<ConfigKey<?>> ALL = List.of(
                RUNTIME,
                UPDATE_IMAGES,
                HOST,
                POOL_SIZE,
                SPEC_POOL_SIZE,
                POOL_WARM,
                PIDS,
                PTYS,
                CPUS,
                USER,
                SPEC_USER,
                UID_BASE,
                UID_COUNT,
                TMPFS_SIZE,
                WORKDIR,
                NOFILE,
                FSIZE,
                READ_ONLY_ROOTFS,
                NETWORK_MODE,
                IMAGES,
                PROBE_TIMEOUT,
                SECCOMP);
    }

    private final SandboxConfig source;
    private final Optional<String> host;
    private final long memoryBytes;
    private final long compileMemoryBytes;
    private final boolean networking;
    private final String networkMode;
    private final Optional<String> runtime;
    private final boolean skipStartupPrep;
    private final int poolSize;
    private final List<String> poolWarm;
    private final long pids;
    private final int ptys;
    private final double cpus;
    private final Optional<String> user;
    private final int uidBase;
    private final int uidCount;
    private final Path uidLeaseDir;
    private final long tmpfsBytes;
    private final String workdir;
    private final long nofile;
    private final long fsizeBytes;
    private final boolean readOnlyRootfs;
    private final Optional<List<String>> images;
    private final Optional<CronSchedule> updateImages;
    private final Duration probeTimeout;
    private final boolean rannaSeccomp;

    private DockerSandboxConfig(SandboxConfig source) {
        this.source = source;
        this.host = source.find(Keys.HOST);
        this.memoryBytes = source.memoryBytes();
        if (memoryBytes < 6L * 1024 * 1024) {
            throw new IllegalArgumentException(SandboxConfig.MEMORY + ": Docker needs at least 6M, got " + memoryBytes);
        }
        this.compileMemoryBytes = source.get(SandboxConfig.Keys.COMPILE_MEMORY);
        if (compileMemoryBytes < 6L * 1024 * 1024) {
            throw new IllegalArgumentException(
                    SandboxConfig.COMPILE_MEMORY + ": Docker needs at least 6M, got " + compileMemoryBytes);
        }
        this.networking = source.networking();
        this.networkMode = source.get(Keys.NETWORK_MODE);
        this.runtime = source.find(Keys.RUNTIME);
        this.skipStartupPrep = source.skipStartupPrep();
        this.poolSize = source.get(Keys.POOL_SIZE);
        this.poolWarm = source.find(Keys.POOL_WARM).orElse(List.of());
        this.pids = source.get(Keys.PIDS);
        this.ptys = source.get(Keys.PTYS);
        this.cpus = source.get(Keys.CPUS);
        this.user = source.find(Keys.USER);
        this.uidBase = source.get(Keys.UID_BASE);
        this.uidCount = source.get(Keys.UID_COUNT);
        this.uidLeaseDir = UidLeases.directory(source);
        if ((long) uidBase + uidCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(UID_BASE + " + " + UID_COUNT + ": uids up to "
                    + ((long) uidBase + uidCount) + " exceed " + Integer.MAX_VALUE);
        }
        this.tmpfsBytes = source.get(Keys.TMPFS_SIZE);
        this.workdir = source.get(Keys.WORKDIR);
        this.nofile = source.get(Keys.NOFILE);
        this.fsizeBytes = source.find(Keys.FSIZE).orElse(tmpfsBytes);
        this.readOnlyRootfs = source.get(Keys.READ_ONLY_ROOTFS);
        this.images = source.find(Keys.IMAGES);
        this.updateImages = source.get(Keys.UPDATE_IMAGES);
        this.probeTimeout = source.get(Keys.PROBE_TIMEOUT);
        this.rannaSeccomp = source.get(Keys.SECCOMP);
    }

    /**
     * Parses and validates {@code config}.
     *
     * @throws IllegalArgumentException naming the key and the value of the first invalid setting
     */
    public static DockerSandboxConfig from(SandboxConfig config) {
        return new DockerSandboxConfig(Objects.requireNonNull(config, "config"));
    }

    /** The config this view was parsed from. */
    public SandboxConfig source() {
        return source;
    }

    /** {@value #HOST}, if set; otherwise docker-java's defaults apply ({@code DOCKER_HOST}, then the local socket). */
    public Optional<String> host() {
        return host;
    }

    /** {@code sandbox.memory}: memory and memory+swap limit of each container, in bytes. */
    public long memoryBytes() {
        return memoryBytes;
    }

    /**
     * {@code sandbox.compile.memory}: memory and memory+swap limit of a run's compile stage, in bytes. A
     * container of a spec with a compile stage is created with it and set to the run's limit once the
     * compile ended cleanly.
     */
    public long compileMemoryBytes() {
        return compileMemoryBytes;
    }

    /** {@code sandbox.enablenetworking}. */
    public boolean networking() {
        return networking;
    }

    /** {@value #NETWORK_MODE}: the network mode when networking is enabled. */
    public String networkMode() {
        return networkMode;
    }

    /** {@code sandbox.runtime}: the OCI runtime, e.g. {@code runsc}, if set. */
    public Optional<String> runtime() {
        return runtime;
    }

    /** {@code skipstartupprep}: skip image pulls and pool warming at start. */
    public boolean skipStartupPrep() {
        return skipStartupPrep;
    }

    /** {@value #POOL_SIZE}: warm containers per spec in use. */
    public int poolSize() {
        return poolSize;
    }

    /** The pool size of spec {@code key}: {@code sandbox.docker.spec.<key>.pool.size}, else {@link #poolSize()}. */
    public int poolSize(String specKey) {
        return source.find(Keys.SPEC_POOL_SIZE.resolve(specKey)).orElse(poolSize);
    }

    /** {@value #POOL_WARM}: spec keys warmed at start. */
    public List<String> poolWarm() {
        return poolWarm;
    }

    /** {@value #PIDS}. */
    public long pids() {
        return pids;
    }

    /** {@value #PTYS}: the {@code max=} of a {@code tty} run's own devpts instance. */
    public int ptys() {
        return ptys;
    }

    /** {@value #CPUS}: CPU quota in cores. */
    public double cpus() {
        return cpus;
    }

    /** {@value #USER}: the numeric {@code uid:gid} all runs share, if the operator set one. */
    public Optional<String> user() {
        return user;
    }

    /**
     * The fixed user of spec {@code key}: {@code sandbox.docker.spec.<key>.user}, else {@link #user()};
     * empty when the spec's runs get leased uids of their own.
     */
    public Optional<String> user(String specKey) {
        Optional<String> own = source.find(Keys.SPEC_USER.resolve(specKey));
        return own.isPresent() ? own : user;
    }

    /** {@value #UID_BASE}. */
    public int uidBase() {
        return uidBase;
    }

    /** {@value #UID_COUNT}. */
    public int uidCount() {
        return uidCount;
    }

    /** {@value UidLeases#DIRECTORY}: where run uids are leased host-wide. */
    public Path uidLeaseDir() {
        return uidLeaseDir;
    }

    /** {@value #TMPFS_SIZE}: bytes of each writable tmpfs. */
    public long tmpfsBytes() {
        return tmpfsBytes;
    }

    /** {@value #WORKDIR}. */
    public String workdir() {
        return workdir;
    }

    /** {@value #NOFILE}. */
    public long nofile() {
        return nofile;
    }

    /** {@value #FSIZE}: bytes. */
    public long fsizeBytes() {
        return fsizeBytes;
    }

    /** {@value #READ_ONLY_ROOTFS}. */
    public boolean readOnlyRootfs() {
        return readOnlyRootfs;
    }

    /** {@value #IMAGES}, if set. */
    public Optional<List<String>> images() {
        return images;
    }

    /** {@value #UPDATE_IMAGES}, unless {@code off}. */
    Optional<CronSchedule> updateImages() {
        return updateImages;
    }

    /** {@value #PROBE_TIMEOUT}. */
    public Duration probeTimeout() {
        return probeTimeout;
    }

    /** {@value #SECCOMP}: whether run containers get ranna's seccomp profile (else the engine's default). */
    public boolean rannaSeccomp() {
        return rannaSeccomp;
    }

    @Override
    public String toString() {
        return "DockerSandboxConfig{host=" + host.orElse("(default)") + ", memory=" + memoryBytes + ", networking="
                + networking + ", runtime=" + runtime.orElse("(default)") + ", pool=" + poolSize + ", pids=" + pids
                + ", ptys=" + ptys
                + ", cpus=" + cpus + ", user=" + user.orElse("leased " + uidBase + "+" + uidCount) + ", tmpfs="
                + tmpfsBytes + ", workdir=" + workdir
                + ", readOnlyRootfs=" + readOnlyRootfs + ", seccomp=" + (rannaSeccomp ? "ranna" : "docker") + "}";
    }
}
