package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.SpecMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code process} sandbox: runs code as local processes, isolated with bubblewrap ({@code bwrap}),
 * limited with cgroups (v1 or v2, where writable) and rlimits, each run as its own unprivileged uid when
 * the server is root. No daemon, about 5-20 ms per run; see the module README for what is enforced.
 *
 * <p>Configuration: {@link ProcessSandboxConfig}. Setting {@value ProcessSandboxConfig#ISOLATION} to
 * {@code none} runs programs without isolation, for local development only: {@link #create} then works
 * without bubblewrap, logs a warning, and the sandbox's info says {@code isolation=none}.
 *
 * <p>Thread-safe; cheap to construct (all probing happens in {@link #availability} and {@link #create}).
 */
public final class ProcessSandboxProvider implements SandboxProvider {
    private static final Logger log = LoggerFactory.getLogger(ProcessSandboxProvider.class);

    /** Public no-arg constructor for {@link java.util.ServiceLoader}. */
    public ProcessSandboxProvider() {}

    @Override
    public String name() {
        return "process";
    }

    /** 50: below Docker (100), which isolates more strongly when it is there. */
    @Override
    public int priority() {
        return 50;
    }

    /** Every {@code sandbox.process.*} key. */
    @Override
    public List<ConfigKey<?>> configKeys() {
        return ProcessSandboxConfig.Keys.ALL;
    }

    /**
     * Bubblewrap's namespaces, seccomp filter and limits on the host's kernel; or none, with {@value
     * ProcessSandboxConfig#ISOLATION}{@code =none}.
     */
    @Override
    public Isolation isolation(SandboxConfig config) {
        boolean none;
        try {
            none = config.get(ProcessSandboxConfig.Keys.ISOLATION) == ProcessSandboxConfig.Isolation.NONE;
        } catch (IllegalArgumentException e) {
            none = false; // create() reports the bad value
        }
        return none
                ? new Isolation(
                        Isolation.Level.NONE,
                        "plain processes of the server's user (" + ProcessSandboxConfig.ISOLATION
                                + "=none): local development only")
                : new Isolation(
                        Isolation.Level.SHARED_KERNEL,
                        "bubblewrap namespaces, seccomp filter, cgroup and rlimit limits, on the host's kernel");
    }

    /** Linux only: bubblewrap, cgroups and rlimits are Linux's. */
    @Override
    public Optional<String> notApplicable(SandboxConfig config) {
        String os = System.getProperty("os.name", "");
        return os.toLowerCase(Locale.ROOT).contains("linux")
                ? Optional.empty()
                : Optional.of("the process sandbox needs Linux, this is " + os);
    }

    /**
     * Available when bubblewrap is installed and a tiny probe sandbox starts with {@code config}'s bwrap
     * path and limits (as the unprivileged uid runs will use, when the server is root); with {@value
     * ProcessSandboxConfig#ISOLATION}{@code =none}, always. The details say what runs would be limited by on
     * this host. The languages are not checked: the default map lists only runtimes found on this host.
     */
    @Override
    public Availability availability(SandboxConfig config, Collection<LanguageSpec> languages) {
        ProcessSandboxConfig parsed;
        try {
            parsed = ProcessSandboxConfig.from(config);
        } catch (RuntimeException e) {
            return Availability.unavailable("invalid configuration: " + e.getMessage());
        }
        if (parsed.isolation() == ProcessSandboxConfig.Isolation.NONE) {
            return Availability.available(
                    "programs run WITHOUT isolation (" + ProcessSandboxConfig.ISOLATION + "=none)");
        }
        return availability(parsed);
    }

    /** The runtimes installed on this host, each with a hello-world example. */
    @Override
    public SpecMap defaultSpecs(SandboxConfig config) {
        return DefaultSpecs.detect();
    }

    /** {@code config} with {@value ProcessSandboxConfig#ISOLATION}{@code =none}. */
    @Override
    public Optional<SandboxConfig> withoutIsolation(SandboxConfig config) {
        return Optional.of(config.with(ProcessSandboxConfig.ISOLATION, "none"));
    }

    /** Availability with {@code config}'s bwrap path and limits. */
    static Availability availability(ProcessSandboxConfig config) {
        try {
            HostTools tools = HostTools.find(config.bwrap());
            Optional<String> problem = probe(tools, config);
            if (problem.isPresent()) {
                return Availability.unavailable(problem.get());
            }
            Cgroups cgroups = Cgroups.detect("probe-" + UUID.randomUUID());
            try {
                var details = ProcessSandbox.describe(
                        config, tools, cgroups, true, tools.root && tools.setpriv != null, probePtys(tools, config));
                return Availability.available(tools.bwrapVersion() + " works here; memory=" + details.get("memory")
                                + ", pids=" + details.get("pids") + ", cpu=" + details.get("cpu"))
                        .withDetails(details);
            } finally {
                cgroups.close();
            }
        } catch (RuntimeException e) {
            return Availability.unavailable("probing the process sandbox failed: " + e);
        }
    }

    /** Whether terminal runs would get a bounded devpts: one probe mount in a directory of its own. */
    private static Ptys probePtys(HostTools tools, ProcessSandboxConfig config) {
        if (!tools.root) {
            return Ptys.detect(tools, config, config.workRoot(), true);
        }
        Path dir = null;
        try {
            Files.createDirectories(config.workRoot());
            dir = Files.createTempDirectory(config.workRoot(), "ranna-pty-probe-");
            // As a work directory is (WorkDirs): runs' uids may pass through, not list.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            return Ptys.detect(tools, config, dir, true);
        } catch (IOException e) {
            return Ptys.unbounded(config.ptys(), "cannot probe devpts mounts: " + e.getMessage());
        } finally {
            if (dir != null) {
                try {
                    WorkDirs.deleteTree(dir);
                } catch (IOException e) {
                    log.debug("could not remove the pty probe's directory: {}", e.toString());
                }
            }
        }
    }

    /** Why bubblewrap cannot be used here, or empty when it works. */
    static Optional<String> probe(HostTools tools, ProcessSandboxConfig config) {
        if (tools.bwrap == null) {
            return Optional.of((config.bwrap().isPresent()
                            ? "bwrap not found at " + config.bwrap().get() + " (" + ProcessSandboxConfig.BWRAP + ")"
                            : "bwrap not found on PATH")
                    + "; install it with: apt-get install bubblewrap");
        }
        if (tools.root && tools.setpriv == null) {
            return Optional.of("the server runs as root and setpriv (to drop root before bwrap) was not found;"
                    + " install it with: apt-get install util-linux");
        }
        Path filter = null;
        try {
            if (config.seccomp()) {
                Optional<byte[]> program = SeccompBpf.forHost();
                if (program.isEmpty()) {
                    return Optional.of(SeccompBpf.unsupported());
                }
                filter = Files.createTempFile("ranna-seccomp-probe-", ".bpf");
                Files.write(filter, program.get());
            }
            Launcher.Command probe = new Launcher(tools, config, filter).probe(tools.root ? config.uidBase() - 1 : -1);
            HostTools.Result result = HostTools.run(probe.argv(), probe.bwrapOptions(), Duration.ofSeconds(5));
            if (result.exitCode() == 0) {
                return Optional.empty();
            }
            String output = result.output().strip();
            String first = output.lines().findFirst().orElse("exit code " + result.exitCode());
            String hint = "";
            String lower = output.toLowerCase(Locale.ROOT);
            if (lower.contains("namespace")
                    || lower.contains("uid map")
                    || lower.contains("permission denied")
                    || lower.contains("operation not permitted")) {
                hint = "; unprivileged user namespaces look disabled: enable them with"
                        + " sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or"
                        + " sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 23.10+)";
            }
            return Optional.of(
                    "bwrap (" + tools.bwrap + ") is installed but cannot create a sandbox here: " + first + hint);
        } catch (IOException e) {
            return Optional.of("bwrap (" + tools.bwrap + ") is installed but the probe failed: " + e.getMessage());
        } finally {
            if (filter != null) {
                try {
                    Files.deleteIfExists(filter);
                } catch (IOException e) {
                    log.debug("could not remove the probe's filter file: {}", e.toString());
                }
            }
        }
    }

    /**
     * Creates the sandbox: detects cgroups, makes this instance's work directory, and reaps the work
     * directories and cgroups left by dead instances.
     *
     * @throws SandboxException if bubblewrap isolation is configured and does not work here, or the work
     *     directory cannot be made
     * @throws IllegalArgumentException if a {@code sandbox.process.*} value is invalid
     */
    @Override
    public Sandbox create(SandboxConfig sandboxConfig) throws SandboxException {
        return create(sandboxConfig, true);
    }

    /**
     * {@link #create(SandboxConfig)}; with {@code boundPtys} false, as on a host where mounting fails (tests):
     * terminal runs keep bubblewrap's devpts, project runs get a host directory as {@code /work}.
     */
    ProcessSandbox create(SandboxConfig sandboxConfig, boolean boundPtys) throws SandboxException {
        var config = ProcessSandboxConfig.from(sandboxConfig);
        HostTools tools = HostTools.find(config.bwrap());
        boolean isolated = config.isolation() == ProcessSandboxConfig.Isolation.BUBBLEWRAP;
        if (isolated) {
            Optional<String> problem = probe(tools, config);
            if (problem.isPresent()) {
                throw new SandboxException(ErrorCode.UNAVAILABLE, problem.get(), null);
            }
        } else {
            log.warn(
                    "!!! The process sandbox runs programs WITHOUT ISOLATION ({}=none): they can read this host's"
                            + " files, reach its network and the server itself. Local development only. Fix:"
                            + " apt-get install bubblewrap (or start Docker) and remove {}=none.",
                    ProcessSandboxConfig.ISOLATION,
                    ProcessSandboxConfig.ISOLATION);
        }
        var workDirs = new WorkDirs(config.workRoot(), config.instanceId());
        try {
            workDirs.open();
        } catch (IOException e) {
            throw new SandboxException(
                    ErrorCode.UNAVAILABLE, "cannot create the sandbox's work directory under " + config.workRoot(), e);
        }
        Cgroups cgroups = config.cgroups()
                ? Cgroups.detect(config.instanceId())
                : Cgroups.none(ProcessSandboxConfig.CGROUPS + "=off");
        // Cgroups first: only a dead owner's groups are reaped, and its owner file goes with its work dir.
        cgroups.reapStale(workDirs::ownerOf);
        workDirs.reapStale();
        Path filter = null;
        if (isolated && config.seccomp()) {
            try {
                filter = SeccompBpf.write(workDirs.base());
            } catch (IOException e) {
                workDirs.close();
                cgroups.close();
                throw new SandboxException(ErrorCode.UNAVAILABLE, "cannot write the syscall filter", e);
            }
        }
        UidLeases leases = null;
        if (tools.root && tools.setpriv != null) {
            try {
                leases = UidLeases.open(config.uidLeaseDir(), config.uidBase(), config.uidCount());
            } catch (IOException e) {
                cgroups.close();
                workDirs.close();
                throw new SandboxException(
                        ErrorCode.UNAVAILABLE,
                        "cannot lease run uids in " + config.uidLeaseDir() + " (" + ProcessSandboxConfig.UID_LEASE_DIR
                                + "): " + e.getMessage(),
                        e);
            }
        }
        Ptys ptys = boundPtys
                ? Ptys.detect(tools, config, workDirs.base(), isolated)
                : Ptys.unbounded(config.ptys(), "bounded terminals turned off");
        if (isolated && !ptys.bounded() && HostTools.terminalTools()) {
            log.warn(
                    "tty runs are not pty-bounded ({}): a tty run can open pseudo-terminals up to the host-wide"
                            + " kernel.pty.max (minus kernel.pty.reserve) and starve every other tty run and"
                            + " container until its timeout. A root server that can mount devpts gives each tty"
                            + " run a devpts of its own with max={} ({}).",
                    ptys.reason(),
                    config.ptys(),
                    ProcessSandboxConfig.PTYS);
        }
        // Project runs' own tmpfs /work needs the same as a bounded devpts: a root server that may mount.
        boolean workMounts = boundPtys && isolated && tools.root && workDirs.probeWorkMount();
        var sandbox = new ProcessSandbox(config, tools, cgroups, workDirs, filter, leases, ptys, workMounts);
        log.info("process sandbox {} ready: {}; cgroups: {}", sandbox.version(), sandbox.info(), cgroups.reason());
        return sandbox;
    }
}
