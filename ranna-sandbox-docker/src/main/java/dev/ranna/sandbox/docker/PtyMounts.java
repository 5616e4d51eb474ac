package dev.ranna.sandbox.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A devpts instance of its own, with {@code max=}, for each terminal ({@code tty}) container on runc.
 *
 * <p>Docker gives a container a devpts without {@code max=} (the API cannot set one), and {@code
 * kernel.pty.max} is shared by every instance on the host: one tty run could open about 3,000 terminals
 * and starve every other run and container. So the server mounts {@code devpts -o newinstance,max=N} on
 * the host under {@code /run/ranna/pts/docker-<instance>/c<n>} and the container gets it bind-mounted on
 * {@code /dev/pts} (replacing Docker's default devpts; runc's {@code /dev/ptmx} is a link to {@code
 * pts/ptmx}, and runc allocates the console from it too, so the console counts against {@code N}). The
 * mount is made with the {@code mount} command (no JNI), which needs root (CAP_SYS_ADMIN); it is removed
 * once its container is removed, or at {@link #close()}.
 *
 * <p>Needs the Docker daemon on this machine and in this mount namespace (it resolves the bind's source
 * path itself). Under gVisor a run's terminals are the Sentry's own and cost the host none: not used
 * there. Thread-safe.
 */
final class PtyMounts {
    private static final Logger log = LoggerFactory.getLogger(PtyMounts.class);

    /** Where the instances of every server on this host live, one directory per sandbox instance. */
    static final Path BASE = Path.of("/run/ranna/pts");

    private static final String PREFIX = "docker-";
    /** A file in each instance's directory holding its server's {@link Labels#owner()}, for reaping. */
    private static final String OWNER_FILE = "owner";

    private final Path dir;
    private final int max;
    private final AtomicLong sequence = new AtomicLong();
    /** Container id to its devpts mount point, while both exist. */
    private final Map<String, Path> byContainer = new ConcurrentHashMap<>();

    private PtyMounts(Path dir, int max) {
        this.dir = dir;
        this.max = max;
    }

    /**
     * Bounded terminals for this sandbox's tty containers, or null with the reason in {@code why[0]}: under
     * gVisor (not needed), with a daemon on another machine, or when a devpts instance cannot be mounted
     * here (the server is not root). Removes what crashed servers of this host left under {@link #BASE}.
     */
    static @Nullable PtyMounts detect(
            int max, boolean localDaemon, OciRuntime runtime, String instanceId, String[] why) {
        if (runtime.gvisor()) {
            why[0] = "gVisor: a run's terminals are the Sentry's own, none of the host's";
            return null;
        }
        if (!localDaemon) {
            why[0] = "the Docker daemon is not on this machine, so no host devpts can be bound into its containers";
            return null;
        }
        reapOrphans();
        Path dir = BASE.resolve(PREFIX + instanceId);
        var mounts = new PtyMounts(dir, max);
        Path probe = dir.resolve("probe");
        try {
            Files.createDirectories(probe);
            Files.writeString(dir.resolve(OWNER_FILE), Labels.owner(), StandardCharsets.UTF_8);
            mounts.mountAt(probe, 1);
        } catch (IOException e) {
            why[0] = "cannot mount a devpts instance (" + e.getMessage() + "; it needs root)";
            deleteQuietly(probe);
            deleteQuietly(dir.resolve(OWNER_FILE));
            deleteQuietly(dir);
            return null;
        }
        unmount(probe);
        return mounts;
    }

    /** {@code max=} of every instance. */
    int max() {
        return max;
    }

    /**
     * Mounts a new devpts instance for one container.
     *
     * @return its mount point, to bind on the container's {@code /dev/pts}
     * @throws IOException if it cannot be mounted (nothing is left behind)
     */
    Path mount() throws IOException {
        Path point = dir.resolve("c" + sequence.incrementAndGet());
        Files.createDirectories(point);
        try {
            mountAt(point, max);
        } catch (IOException e) {
            deleteQuietly(point);
            throw e;
        }
        return point;
    }

    /** Ties {@code point} to container {@code id}: it goes when {@link #forget} is called for that id. */
    void track(String id, Path point) {
        byContainer.put(id, point);
    }

    /** Unmounts the instance of container {@code id}, if it has one. Never throws. */
    void forget(String id) {
        Path point = byContainer.remove(id);
        if (point != null) {
            unmount(point);
        }
    }

    /** Unmounts every instance of this sandbox and removes its directory. Never throws. */
    void close() {
        byContainer.clear();
        removeAll(dir);
    }

    /** This sandbox's devpts mounts and mount points still present, for leak checks. */
    List<String> leftovers() {
        var left = new ArrayList<String>();
        List<Path> mounted = mountedUnder(dir);
        for (Path point : mounted) {
            left.add("devpts mount " + point);
        }
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    if (Files.isDirectory(entry) && !mounted.contains(entry)) {
                        left.add("devpts mount point " + entry);
                    }
                }
            } catch (IOException e) {
                left.add("unreadable " + dir);
            }
        }
        return left;
    }

    private void mountAt(Path point, int instanceMax) throws IOException {
        // Docker's own /dev/pts options (nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5), plus max=
        run(List.of(
                "mount",
                "-t",
                "devpts",
                "-o",
                "nosuid,noexec,newinstance,max=" + instanceMax + ",ptmxmode=0666,mode=0620,gid=5",
                "devpts",
                point.toString()));
    }

    /**
     * Unmounts {@code point} (lazily if it is busy) and removes the directory. The container's own copy of
     * the mount, if it still exists, is unaffected. Never throws.
     */
    static void unmount(Path point) {
        if (isMounted(point)) {
            try {
                run(List.of("umount", point.toString()));
            } catch (IOException busy) {
                try {
                    run(List.of("umount", "-l", point.toString()));
                } catch (IOException e) {
                    log.warn("could not unmount the devpts instance at {}: {}", point, e.getMessage());
                    return;
                }
            }
        }
        deleteQuietly(point);
    }

    /** Unmounts everything under {@code dir} and removes it. */
    private static void removeAll(Path dir) {
        for (Path mounted : mountedUnder(dir)) {
            unmount(mounted);
        }
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                deleteQuietly(entry);
            }
        } catch (IOException e) {
            log.debug("cannot list {}: {}", dir, e.toString());
        }
        deleteQuietly(dir);
    }

    /** Removes the instances of servers of this host that no longer run (their containers are reaped too). */
    private static void reapOrphans() {
        if (!Files.isDirectory(BASE)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(BASE, PREFIX + "*")) {
            for (Path other : dirs) {
                String owner;
                try {
                    owner = Files.readString(other.resolve(OWNER_FILE), StandardCharsets.UTF_8)
                            .trim();
                } catch (IOException e) {
                    continue; // being created, or not ours to judge
                }
                if (Labels.isOrphan(owner)) {
                    log.info("removing the devpts instances left by crashed server {} under {}", owner, other);
                    removeAll(other);
                }
            }
        } catch (IOException e) {
            log.debug("cannot list {}: {}", BASE, e.toString());
        }
    }

    private static boolean isMounted(Path point) {
        return mountedUnder(point).contains(point);
    }

    /** Mount points at or below {@code dir}, deepest first, from {@code /proc/self/mountinfo}. */
    private static List<Path> mountedUnder(Path dir) {
        var found = new ArrayList<Path>();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return found;
        }
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                Path point = Path.of(unescape(fields[4]));
                if (point.startsWith(dir)) {
                    found.add(0, point);
                }
            }
        }
        return found;
    }

    /** mountinfo writes space, tab, newline and backslash as {@code \ooo}. */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        var out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                try {
                    out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.debug("could not remove {}: {}", path, e.toString());
        }
    }

    /** Runs a host command; throws with its output unless it exits 0 within 10 s. */
    private static void run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 10 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + new String(output, StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " was interrupted", e);
        }
    }
}
