package dev.ranna.sandbox.docker;

import dev.ranna.engine.CronSchedule;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.UidLeases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

    private final SandboxConfig source;
    private final Optional<String> host;
    private final long memoryBytes;
    private final boolean networking;
    private final String networkMode;
    private final Optional<String> runtime;
    private final boolean skipStartupPrep;
    private final int poolSize;
    private final List<String> poolWarm;
    private final long pids;
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
        this.host = source.get(HOST);
        this.memoryBytes = source.memoryBytes();
        if (memoryBytes < 6L * 1024 * 1024) {
            throw new IllegalArgumentException(SandboxConfig.MEMORY + ": Docker needs at least 6M, got " + memoryBytes);
        }
        this.networking = source.networking();
        this.networkMode = source.get(NETWORK_MODE).orElse("bridge");
        this.runtime = source.runtime();
        this.skipStartupPrep = source.skipStartupPrep();
        this.poolSize = nonNegative(POOL_SIZE, source.integer(POOL_SIZE, 2));
        this.poolWarm = list(source.get(POOL_WARM).orElse(""));
        this.pids = positive(PIDS, source.integer(PIDS, 128));
        this.cpus = parseCpus(source.get(CPUS).orElse("1"));
        this.user = source.get(USER).map(value -> user(USER, value));
        this.uidBase = (int) positive(UID_BASE, source.integer(UID_BASE, 1_900_000_000));
        this.uidCount = (int) positive(UID_COUNT, source.integer(UID_COUNT, 4096));
        if (uidBase < 1000) {
            throw new IllegalArgumentException(
                    UID_BASE + ": must be >= 1000 to stay clear of system users, got " + uidBase);
        }
        this.uidLeaseDir = UidLeases.directory(source);
        if ((long) uidBase + uidCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(UID_BASE + " + " + UID_COUNT + ": uids up to "
                    + ((long) uidBase + uidCount) + " exceed " + Integer.MAX_VALUE);
        }
        this.tmpfsBytes = positive(TMPFS_SIZE, source.size(TMPFS_SIZE, 64L * 1024 * 1024));
        this.workdir = source.get(WORKDIR).orElse("/work");
        if (!WORKDIR_PATTERN.matcher(workdir).matches() || workdir.contains("/../") || workdir.endsWith("/..")) {
            throw new IllegalArgumentException(
                    WORKDIR + ": expected an absolute path like /work, got '" + workdir + "'");
        }
        this.nofile = positive(NOFILE, source.integer(NOFILE, 1024));
        this.fsizeBytes = positive(FSIZE, source.size(FSIZE, tmpfsBytes));
        this.readOnlyRootfs = source.bool(READ_ONLY_ROOTFS, true);
        this.images = source.get(IMAGES).map(DockerSandboxConfig::list);
        String cron = source.get(UPDATE_IMAGES).orElse("0 3 * * *");
        this.updateImages = isOff(cron) ? Optional.empty() : Optional.of(CronSchedule.parse(UPDATE_IMAGES, cron));
        this.probeTimeout = source.seconds(PROBE_TIMEOUT, Duration.ofSeconds(3));
        if (probeTimeout.isZero() || probeTimeout.isNegative()) {
            throw new IllegalArgumentException(PROBE_TIMEOUT + ": must be > 0, got " + probeTimeout.toSeconds());
        }
        String seccomp = source.get(SECCOMP).orElse("ranna").trim().toLowerCase(Locale.ROOT);
        if (!seccomp.equals("ranna") && !seccomp.equals("docker")) {
            throw new IllegalArgumentException(SECCOMP + ": expected ranna or docker, got '" + seccomp + "'");
        }
        this.rannaSeccomp = seccomp.equals("ranna");
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
        String key = specKey(specKey, "pool.size");
        return nonNegative(key, source.integer(key, poolSize));
    }

    /** {@value #POOL_WARM}: spec keys warmed at start. */
    public List<String> poolWarm() {
        return poolWarm;
    }

    /** {@value #PIDS}. */
    public long pids() {
        return pids;
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
        String key = specKey(specKey, "user");
        Optional<String> own = source.get(key).map(value -> user(key, value));
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
                + ", cpus=" + cpus + ", user=" + user.orElse("leased " + uidBase + "+" + uidCount) + ", tmpfs="
                + tmpfsBytes + ", workdir=" + workdir
                + ", readOnlyRootfs=" + readOnlyRootfs + ", seccomp=" + (rannaSeccomp ? "ranna" : "docker") + "}";
    }

    private static String specKey(String specKey, String suffix) {
        return "sandbox.docker.spec." + specKey + "." + suffix;
    }

    private static boolean isOff(String value) {
        String lower = value.trim().toLowerCase(Locale.ROOT);
        return lower.equals("off") || lower.equals("none") || lower.equals("-") || lower.equals("false");
    }

    private static List<String> list(String value) {
        var items = new ArrayList<String>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                items.add(part.trim());
            }
        }
        return List.copyOf(items);
    }

    private static String user(String key, String value) {
        if (!USER_PATTERN.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    key + ": expected a numeric uid or uid:gid like 65534:65534, got '" + value + "'");
        }
        return value.contains(":") ? value : value + ":" + value;
    }

    private static double parseCpus(String value) {
        double cpus;
        try {
            cpus = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(CPUS + ": expected a number of cores like 0.5, got '" + value + "'", e);
        }
        if (!(cpus >= 0.01) || cpus > 1024) {
            throw new IllegalArgumentException(CPUS + ": expected between 0.01 and 1024 cores, got '" + value + "'");
        }
        return cpus;
    }

    private static int nonNegative(String key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(key + ": must be >= 0, got " + value);
        }
        return value;
    }

    private static long positive(String key, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + ": must be > 0, got " + value);
        }
        return value;
    }
}
