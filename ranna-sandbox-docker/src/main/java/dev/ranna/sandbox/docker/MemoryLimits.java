package dev.ranna.sandbox.docker;

import com.github.dockerjava.api.DockerClient;
import dev.ranna.engine.spi.SandboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes a running container's memory limit: to a run's own limit ({@code limits.memorybytes}) before its
 * payload is sent, and from the compile stage's limit to the run's at the stage boundary.
 *
 * <p>Two ways, the first that applies:
 *
 * <ul>
 *   <li><b>cgroup</b>: the limit file of the container's memory cgroup, found through {@code
 *       /proc/<State.Pid>/cgroup}, is written directly (v1: {@code memory.limit_in_bytes} and {@code
 *       memory.memsw.limit_in_bytes}, in the order the kernel accepts; v2: {@code memory.max}). Needs the
 *       daemon on this machine and a server allowed to write cgroups (root). Works on runc and on gVisor
 *       (whose Sentry is charged to that cgroup: runsc has no {@code update} command). A few microseconds.
 *   <li><b>docker update</b> ({@code Memory} and {@code MemorySwap}): runc only, any daemon; about 15 ms.
 * </ul>
 *
 * <p>Lowering a limit below what the container uses makes the kernel reclaim (page cache, the compiler's
 * files are not reclaimable: they stay in the work directory's tmpfs); if it cannot, the write fails with
 * {@code EBUSY} and {@link #set} throws {@link Refused}. Thread-safe.
 */
final class MemoryLimits {
    private static final Logger log = LoggerFactory.getLogger(MemoryLimits.class);
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");

    /** The container uses more than the new limit and the kernel could not reclaim enough. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }

    /** Tests only: make sandboxes created from now on use {@code docker update} even where cgroups are writable. */
    static volatile boolean forceDockerUpdateForTests;

    private final DockerClient client;
    private final boolean cgroups;
    private final boolean dockerUpdate;
    private final String how;

    private MemoryLimits(DockerClient client, boolean cgroups, boolean dockerUpdate, String how) {
        this.client = client;
        this.cgroups = cgroups;
        this.dockerUpdate = dockerUpdate;
        this.how = how;
    }

    /** The ways open to this sandbox; {@code forceDockerUpdate} (tests) skips the cgroup way. */
    static MemoryLimits detect(
            DockerClient client, boolean localDaemon, OciRuntime runtime, boolean forceDockerUpdate) {
        boolean cgroups = !forceDockerUpdate
                && localDaemon
                && (Files.isWritable(CGROUP.resolve("memory")) || Files.isWritable(CGROUP.resolve("cgroup.procs")));
        boolean update = !runtime.gvisor();
        String how;
        if (cgroups) {
            how = "cgroup";
        } else if (update) {
            how = "docker update";
        } else {
            how = "none (gVisor needs the daemon on this machine and a server that may write its cgroups)";
            log.warn(
                    "docker sandbox: runs cannot get a memory limit of their own and compile stages run under the"
                            + " run's limit: {}",
                    how);
        }
        return new MemoryLimits(client, cgroups, update, how);
    }

    /** Whether a running container's limit can be changed at all. */
    boolean available() {
        return cgroups || dockerUpdate;
    }

    /** How limits are changed, for {@code info()}. */
    String how() {
        return how;
    }

    /**
     * Sets the memory (and memory+swap) limit of the running container {@code id} to {@code bytes}.
     *
     * @throws Refused if the container uses more than {@code bytes} and nothing could be reclaimed
     * @throws SandboxException if the limit could not be changed for another reason
     */
    void set(String id, long bytes) throws Refused, SandboxException {
        if (cgroups) {
            Long pid = client.inspectContainerCmd(id).exec().getState().getPidLong();
            if (pid == null || pid <= 0) {
                throw new SandboxException("the run's container is not running", null);
            }
            try {
                writeCgroup(pid, bytes);
                return;
            } catch (IOException e) {
                if (busy(e)) {
                    throw new Refused("the container uses more than " + bytes + " bytes", e);
                }
                if (!dockerUpdate) {
                    throw new SandboxException("could not set the run's memory limit: " + e.getMessage(), e);
                }
                log.debug("cgroup limit of {}: {}; trying docker update", id, e.toString());
            }
        }
        if (!dockerUpdate) {
            throw new SandboxException("runs cannot get a memory limit of their own here: " + how, null);
        }
        try {
            client.updateContainerCmd(id)
                    .withMemory(bytes)
                    .withMemorySwap(bytes)
                    .exec();
        } catch (RuntimeException e) {
            String message = Images.rootMessage(e);
            if (message.contains("device or resource busy") || message.contains("EBUSY")) {
                throw new Refused("the container uses more than " + bytes + " bytes", e);
            }
            throw new SandboxException("could not set the run's memory limit: " + message, e);
        }
    }

    private static boolean busy(IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains("Device or resource busy") || message.contains("EBUSY");
    }

    private static void writeCgroup(long pid, long bytes) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"));
        String v1 = null;
        String v2 = null;
        for (String line : lines) {
            String[] parts = line.split(":", 3);
            if (parts.length < 3) {
                continue;
            }
            if (parts[0].equals("0") && parts[1].isEmpty()) {
                v2 = parts[2];
            } else if (List.of(parts[1].split(",")).contains("memory")) {
                v1 = parts[2];
            }
        }
        if (v1 != null) {
            Path dir = CGROUP.resolve("memory").resolve(v1.substring(1));
            Path limit = dir.resolve("memory.limit_in_bytes");
            Path swap = dir.resolve("memory.memsw.limit_in_bytes");
            boolean hasSwap = Files.exists(swap);
            long current = Long.parseLong(Files.readString(limit).trim());
            // memsw must never be below the memory limit: raise it first, lower it last
            if (hasSwap && bytes > current) {
                write(swap, bytes);
            }
            write(limit, bytes);
            if (hasSwap && bytes <= current) {
                write(swap, bytes);
            }
        } else if (v2 != null) {
            write(CGROUP.resolve(v2.substring(1)).resolve("memory.max"), bytes);
        } else {
            throw new IOException("no memory cgroup for pid " + pid);
        }
    }

    private static void write(Path file, long value) throws IOException {
        Files.write(file, Long.toString(value).getBytes(StandardCharsets.US_ASCII));
    }
}
