package dev.ranna.sandbox.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pseudo-terminals of terminal runs, bounded per run. A pseudo-terminal is a kernel-wide resource:
 * {@code kernel.pty.max} (4096 by default) counts every devpts instance on the host, 1024 of them kept for
 * the host's initial one, and bubblewrap's {@code --dev} mounts a devpts without {@code max=}. So when the
 * server is root, each terminal run gets a devpts instance of its own, mounted on the host with {@code
 * max=}{@value ProcessSandboxConfig#PTYS} before the run starts:
 *
 * <pre>{@code mount -n -t devpts -o newinstance,nosuid,noexec,max=N,ptmxmode=0666,mode=0620 devpts <base>/<run>-pty/pts}</pre>
 *
 * <p>bubblewrap binds it as {@code /dev/pts} ({@code --dev-bind}: a plain bind is {@code nodev}, and its
 * {@code --bind-fd} too, so {@code ptmx} would not open) with {@code /dev/ptmx -> pts/ptmx}, in place of
 * its own unbounded devpts. bubblewrap binds it as the run's uid, so {@code <run>-pty} is {@code root:<run
 * uid>} mode 0710: the run's uid may pass through it, no other host user may, and none may write in it.
 * No {@code gid=5}: inside the run's user namespace the host's tty group is unmapped, and with it the
 * host's tty group could write to the run's terminals; without it a terminal's group is its opener's (the
 * run's own). When the run ends it is unmounted (lazily if something still holds it) and removed.
 *
 * <p>Without root (or where mounting fails: no CAP_SYS_ADMIN, no devpts {@code max} support) terminal runs
 * keep bubblewrap's unbounded devpts, and {@link #describe()} says {@code pty-unbounded}.
 */
final class Ptys {
    private static final Logger log = LoggerFactory.getLogger(Ptys.class);

    /** The suffix of a run's pty directory, beside its run directory. */
    static final String SUFFIX = "-pty";

    private static final Duration HELPER_TIMEOUT = Duration.ofSeconds(10);

    private final int max;
    /** Why terminal runs are not bounded, or null when they are. */
    private final @Nullable String unbounded;

    private Ptys(int max, @Nullable String unbounded) {
        this.max = max;
        this.unbounded = unbounded;
    }

    /** Terminal runs keep bubblewrap's devpts (or the host's, without isolation). */
    static Ptys unbounded(int max, String why) {
        return new Ptys(max, why);
    }

    /**
     * Whether a bounded devpts can be mounted here: mounts and unmounts one under {@code base} (a directory
     * of the sandbox's own). Takes a few milliseconds; never throws.
     */
    static Ptys detect(HostTools tools, ProcessSandboxConfig config, Path base, boolean isolated) {
        int max = config.ptys();
        if (!isolated) {
            return unbounded(max, "no isolation: runs use the host's own /dev/ptmx");
        }
        if (!tools.root) {
            return unbounded(max, "the server is not root, so it cannot mount a devpts instance with max=");
        }
        Path closed = firstClosedParent(base);
        if (closed != null) {
            return unbounded(
                    max,
                    closed + " is not searchable by other users (o+x), and bubblewrap binds a run's devpts as the"
                            + " run's uid; see " + ProcessSandboxConfig.WORK_ROOT);
        }
        Path probe = base.resolve("pty-probe" + SUFFIX);
        try {
            Path pts = makeDirs(probe, -1);
            try {
                mountDevpts(pts, max);
            } finally {
                unmount(probe);
            }
            return new Ptys(max, null);
        } catch (IOException | RuntimeException e) {
            unmount(probe);
            return unbounded(max, "mounting a devpts instance failed: " + e.getMessage());
        }
    }

    /** The first of {@code dir} and its parents that other users may not pass through, or null. */
    static @Nullable Path firstClosedParent(Path dir) {
        for (Path path = dir.toAbsolutePath().normalize(); path != null; path = path.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(path).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return path;
                }
            } catch (IOException | RuntimeException e) {
                return path;
            }
        }
        return null;
    }

    /** Whether each terminal run gets a devpts of its own with {@code max=}. */
    boolean bounded() {
        return unbounded == null;
    }

    /** For the sandbox's info: {@code pty-bounded N} or {@code pty-unbounded}. */
    String describe() {
        return unbounded == null ? "pty-bounded " + max : "pty-unbounded";
    }

    /** Why terminal runs are not bounded (empty when they are). */
    String reason() {
        return unbounded == null ? "" : unbounded;
    }

    /**
     * Makes {@code <dir>} ({@code root:<uid>} mode 0710, or 0700 for {@code uid < 0}) and mounts a devpts
     * instance with {@code max=} on {@code <dir>/pts}, which it returns. On failure nothing is left.
     */
    Path mount(Path dir, int uid) throws IOException {
        if (unbounded != null) {
            throw new IllegalStateException("terminal runs are not bounded here: " + unbounded);
        }
        try {
            Path pts = makeDirs(dir, uid);
            mountDevpts(pts, max);
            return pts;
        } catch (IOException | RuntimeException e) {
            unmount(dir);
            throw e;
        }
    }

    private static Path makeDirs(Path dir, int uid) throws IOException {
        Files.createDirectory(dir);
        if (uid >= 0) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
            Files.setAttribute(dir, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
        } else {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        Path pts = dir.resolve("pts");
        Files.createDirectory(pts);
        return pts;
    }

    private static void mountDevpts(Path pts, int max) throws IOException {
        HostTools.Result result = HostTools.run(
                List.of(
                        tool("mount"),
                        "-n",
                        "-t",
                        "devpts",
                        "-o",
                        "newinstance,nosuid,noexec,max=" + max + ",ptmxmode=0666,mode=0620",
                        "devpts",
                        pts.toString()),
                null,
                HELPER_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new IOException("mount devpts: " + oneLine(result.output(), result.exitCode()));
        }
    }

    /**
     * Unmounts whatever is mounted under {@code dir} (a run's pty directory), lazily if it is busy, and
     * removes {@code dir}. Never throws; leaves {@code dir} in place when something stays mounted there.
     */
    static void unmount(@Nullable Path dir) {
        if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!unmountAll(dir)) {
            log.warn("a mount under {} is still there; leaving it", dir);
            return;
        }
        try {
            WorkDirs.deleteTree(dir);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dir, e.toString());
        }
    }

    /**
     * Unmounts every mount at or below {@code dir}, deepest first, each lazily if a plain unmount fails
     * (a process still holds a terminal of it). Never throws.
     *
     * @return whether none is left
     */
    static boolean unmountAll(Path dir) {
        List<Path> mounts = mountsUnder(dir);
        for (Path mount : mounts) {
            try {
                HostTools.Result plain =
                        HostTools.run(List.of(tool("umount"), "-n", mount.toString()), null, HELPER_TIMEOUT);
                if (plain.exitCode() != 0) {
                    HostTools.Result lazy =
                            HostTools.run(List.of(tool("umount"), "-n", "-l", mount.toString()), null, HELPER_TIMEOUT);
                    if (lazy.exitCode() != 0) {
                        log.warn(
                                "cannot unmount {}: {}; {}",
                                mount,
                                oneLine(plain.output(), plain.exitCode()),
                                oneLine(lazy.output(), lazy.exitCode()));
                    }
                }
            } catch (IOException e) {
                log.warn("cannot unmount {}: {}", mount, e.toString());
            }
        }
        return mounts.isEmpty() || mountsUnder(dir).isEmpty();
    }

    /**
     * Mount points at or below {@code dir} in this process's mount namespace, deepest first, from {@code
     * /proc/self/mountinfo}. Empty when it cannot be read.
     */
    static List<Path> mountsUnder(Path dir) {
        var found = new ArrayList<Path>();
        Path normalized = dir.toAbsolutePath().normalize();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return found;
        }
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length < 5) {
                continue;
            }
            Path point = Path.of(unescape(fields[4]));
            if (point.startsWith(normalized)) {
                found.add(point);
            }
        }
        found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return found;
    }

    /** mountinfo escapes space, tab, newline and backslash as {@code \ooo}. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        var out = new ByteArrayOutputStream();
        byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\\'
                    && i + 3 < bytes.length
                    && isOctal(bytes[i + 1])
                    && isOctal(bytes[i + 2])
                    && isOctal(bytes[i + 3])) {
                out.write((bytes[i + 1] - '0') * 64 + (bytes[i + 2] - '0') * 8 + (bytes[i + 3] - '0'));
                i += 3;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte b) {
        return b >= '0' && b <= '7';
    }

    private static String tool(String name) {
        Path found = HostTools.which(name);
        return found == null ? "/usr/bin/" + name : found.toString();
    }

    private static String oneLine(String output, int exitCode) {
        String first = output.strip().lines().findFirst().orElse("");
        return first.isEmpty() ? "exit code " + exitCode : first;
    }
}
