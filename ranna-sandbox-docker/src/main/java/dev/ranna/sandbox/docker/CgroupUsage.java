package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.CgroupFiles;
import dev.ranna.engine.spi.ResourceUsage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Usage of each run container from a cgroup of its own that outlives it: every container is created with
 * {@code --cgroup-parent=/ranna-docker-<instance>/c<n>}, so the kernel charges the container's whole tree to
 * that parent too, and the parent keeps its counters after Docker removes the container's own group. After
 * removal the parent's CPU time and peak memory are read (v1: {@code cpuacct.usage}, {@code
 * memory.max_usage_in_bytes}; v2: {@code cpu.stat usage_usec}, {@code memory.peak}), then the parent is
 * removed from every hierarchy.
 *
 * <p>Only with Docker's {@code cgroupfs} driver on this host (the daemon's cgroups are this machine's
 * {@code /sys/fs/cgroup}) and with runc: under gVisor the container's cgroup holds the Sentry and its memory
 * file, not the program's tree, so its numbers would not be the program's usage and none is reported. A
 * counter that cannot be read makes the run's usage absent, never zero. Thread-safe.
 */
final class CgroupUsage {
    private static final Logger log = LoggerFactory.getLogger(CgroupUsage.class);
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final Path root;
    private final boolean v2;
    private final String instanceDir;
    private final AtomicLong sequence = new AtomicLong();

    private CgroupUsage(Path root, boolean v2, String instanceId) {
        this.root = root;
        this.v2 = v2;
        this.instanceDir = "ranna-docker-" + instanceId;
    }

    /**
     * Usage measurement for containers of this daemon, or null with the reason logged.
     *
     * @param cgroupDriver the daemon's {@code CgroupDriver} from {@code docker info}
     * @param localDaemon whether the daemon runs on this machine (a unix socket)
     */
    static @Nullable CgroupUsage detect(
            @Nullable String cgroupDriver, boolean localDaemon, OciRuntime runtime, String instanceId) {
        String why = null;
        if (runtime.gvisor()) {
            why = "gVisor's container cgroup measures the Sentry, not the program";
        } else if (!"cgroupfs".equals(cgroupDriver)) {
            why = "cgroup driver " + cgroupDriver + " (usage needs cgroupfs)";
        } else if (!localDaemon) {
            why = "the Docker daemon is not on this machine";
        } else if (Files.isRegularFile(ROOT.resolve("cgroup.controllers"))) {
            return new CgroupUsage(ROOT, true, instanceId);
        } else if (Files.isRegularFile(ROOT.resolve("cpuacct/cpuacct.usage"))
                && Files.isRegularFile(ROOT.resolve("memory/memory.max_usage_in_bytes"))) {
            return new CgroupUsage(ROOT, false, instanceId);
        } else {
            why = "no cpuacct and memory cgroups under " + ROOT;
        }
        log.info("docker sandbox: no usage reported: {}", why);
        return null;
    }

    /** A new cgroup parent for one container, as Docker's {@code CgroupParent} wants it. */
    String newParent() {
        return "/" + instanceDir + "/c" + sequence.incrementAndGet();
    }

    /** CPU time and peak memory charged to {@code parent}; call once its container has been removed. */
    @Nullable
    ResourceUsage read(String parent) {
        String relative = parent.substring(1);
        long cpuNanos;
        long peak;
        if (v2) {
            Path dir = root.resolve(relative);
            long micros = keyed(dir.resolve("cpu.stat"), "usage_usec");
            cpuNanos = micros < 0 ? -1 : micros * 1000;
            peak = number(dir.resolve("memory.peak"));
        } else {
            cpuNanos = number(root.resolve("cpuacct").resolve(relative).resolve("cpuacct.usage"));
            peak = number(root.resolve("memory").resolve(relative).resolve("memory.max_usage_in_bytes"));
        }
        if (cpuNanos < 0 || peak < 0) {
            return null;
        }
        return new ResourceUsage(Duration.ofNanos(cpuNanos), peak);
    }

    /**
     * The end of a compile stage in the container under {@code parent}: returns what the compile used (CPU
     * time and peak memory so far) and resets the peak so that the run stage's own is read at the end (v1:
     * {@code memory.max_usage_in_bytes} takes a write of 0). cgroup v2's {@code memory.peak} cannot be reset
     * for a later reader, so there the run's peak is the higher of the two stages'. The run's CPU time is
     * the total minus the returned one ({@link #read(String, ResourceUsage)}). Null when unreadable.
     */
    @Nullable
    ResourceUsage boundary(String parent) {
        ResourceUsage compile = read(parent);
        if (!v2) {
            Path peak = root.resolve("memory").resolve(parent.substring(1)).resolve("memory.max_usage_in_bytes");
            try {
                java.nio.file.Files.writeString(peak, "0");
            } catch (IOException e) {
                log.debug("cannot reset {}: {}", peak, e.toString());
            }
        }
        return compile;
    }

    /** As {@link #read(String)}, minus the CPU time of a compile stage ({@link #boundary}) if there was one. */
    @Nullable
    ResourceUsage read(String parent, @Nullable ResourceUsage compile) {
        ResourceUsage total = read(parent);
        if (total == null || compile == null) {
            return total;
        }
        Duration cpu = total.cpuTime().minus(compile.cpuTime());
        return new ResourceUsage(cpu.isNegative() ? Duration.ZERO : cpu, total.peakMemoryBytes());
    }

    /** Removes {@code parent} from every hierarchy Docker made it in. Never throws. */
    void remove(String parent) {
        for (Path dir : dirsOf(parent.substring(1))) {
            rmdir(dir);
        }
    }

    /** Removes this instance's directory (its containers must be gone). Never throws. */
    void close() {
        remove("/" + instanceDir);
    }

    /** This instance's directories that still exist, for leak checks. */
    List<Path> leftovers() {
        var left = new ArrayList<Path>();
        for (Path dir : dirsOf(instanceDir)) {
            if (Files.isDirectory(dir)) {
                left.add(dir);
            }
        }
        return left;
    }

    private List<Path> dirsOf(String relative) {
        var dirs = new ArrayList<Path>();
        if (v2) {
            dirs.add(root.resolve(relative));
            return dirs;
        }
        try (DirectoryStream<Path> hierarchies = Files.newDirectoryStream(root)) {
            for (Path hierarchy : hierarchies) {
                dirs.add(hierarchy.resolve(relative));
            }
        } catch (IOException e) {
            log.debug("cannot list {}: {}", root, e.toString());
        }
        return dirs;
    }

    private static void rmdir(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        // Docker removes the container's own group as it removes the container; a moment later at most.
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                try {
                    // Not synchronisation with our own code: the kernel refuses rmdir (EBUSY) until Docker
                    // has removed the container's group below this one, and nothing signals that moment.
                    // The container was removed just before, so the first try normally succeeds; the
                    // retry is bounded at 50 tries of 10 ms (it runs before the run's exit completes).
                    Thread.sleep(10);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        log.debug("could not remove cgroup {}", dir);
    }

    private static long number(Path file) {
        return CgroupFiles.number(file);
    }

    private static long keyed(Path file, String key) {
        return CgroupFiles.keyed(file, key);
    }
}
