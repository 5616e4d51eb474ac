package dev.ranna.sandbox.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host directories of one sandbox instance: {@code <root>/ranna-process-<instanceId>/}, holding an
 * {@code owner} file (pid and start time of this JVM, so a later instance can tell a crashed owner from a
 * live one) and one directory per run.
 *
 * <p>Deletion never follows symbolic links: it walks with {@link SecureDirectoryStream} (openat/unlinkat
 * relative to an open directory, {@code NOFOLLOW_LINKS}), so a link a program planted is removed, never
 * its target.
 */
final class WorkDirs {
    private static final Logger log = LoggerFactory.getLogger(WorkDirs.class);

    static final String PREFIX = Cgroups.PREFIX;
    private static final String OWNER_FILE = "owner";
    private static final Set<PosixFilePermission> OWNER_ALL = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private final Path root;
    private final Path base;
    private final String instanceId;

    WorkDirs(Path root, String instanceId) {
        this.root = root;
        this.instanceId = instanceId;
        this.base = root.resolve(PREFIX + instanceId);
    }

    Path base() {
        return base;
    }

    /** Creates this instance's directory (mode 0711: runs' uids may pass through, not list) and owner file. */
    void open() throws IOException {
        Files.createDirectories(root);
        Files.createDirectory(base);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
        ProcessHandle self = ProcessHandle.current();
        String owner = self.pid() + " "
                + self.info()
                        .startInstant()
                        .map(i -> Long.toString(i.toEpochMilli()))
                        .orElse("0") + "\n";
        Files.writeString(base.resolve(OWNER_FILE), owner, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
    }

    /** Whether the instance {@code id} is still running, judged by its owner file under this root. */
    Cgroups.Owner ownerOf(String id) {
        if (id.equals(instanceId)) {
            return Cgroups.Owner.ALIVE;
        }
        Path file = root.resolve(PREFIX + id).resolve(OWNER_FILE);
        try {
            if (Files.isSymbolicLink(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return Cgroups.Owner.UNKNOWN;
            }
            String[] parts =
                    Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
            long pid = Long.parseLong(parts[0]);
            long started = parts.length > 1 ? Long.parseLong(parts[1]) : 0;
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(handle -> started == 0
                            || handle.info()
                                    .startInstant()
                                    .map(i -> Math.abs(i.toEpochMilli() - started) < 2000)
                                    .orElse(true))
                    .map(handle -> Cgroups.Owner.ALIVE)
                    .orElse(Cgroups.Owner.DEAD);
        } catch (IOException | RuntimeException e) {
            return Cgroups.Owner.UNKNOWN;
        }
    }

    /** Deletes the directories of dead instances under the root. Never throws. */
    void reapStale() {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path dir : stream) {
                String id = dir.getFileName().toString().substring(PREFIX.length());
                if (!id.equals(instanceId)
                        && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                        && ownerOf(id) == Cgroups.Owner.DEAD) {
                    try {
                        // A crashed instance's terminal runs left their devpts mounts (Ptys).
                        Ptys.unmountAll(dir);
                        deleteTree(dir);
                        log.info("removed work directory {} of a dead sandbox instance", dir);
                    } catch (IOException e) {
                        log.warn("cannot remove stale work directory {}: {}", dir, e.toString());
                    }
                }
            }
        } catch (IOException e) {
            log.debug("cannot scan {} for stale work directories: {}", root, e.toString());
        }
    }

    /**
     * Makes a run directory (mode 0700). With {@code uid >= 0} it is handed to that uid, for programs that
     * run in it directly; otherwise it stays the server's.
     */
    Path newRunDir(String name, int uid) throws IOException {
        Path dir = base.resolve(name);
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        if (uid >= 0) {
            chown(dir, uid);
        }
        return dir;
    }

    /** Writes the code as a new file (never through an existing file or link), owned by {@code uid} if >= 0. */
    static Path writeCode(Path dir, String filename, String code, int uid) throws IOException {
        Path file = dir.resolve(filename);
        Files.write(
                file,
                code.getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(uid >= 0 ? "rw-------" : "rw-r--r--"));
        if (uid >= 0) {
            chown(file, uid);
        }
        return file;
    }

    /**
     * Why a request's files cannot be written, the message of a 400: a name that would be a directory and
     * a file at once ({@code a} and {@code a/b}), or a name already taken.
     */
    static final class FileProblem extends IOException {
        private static final long serialVersionUID = 1L;

        FileProblem(String message) {
            super(message);
        }
    }

    /**
     * Writes a request's extra files below {@code dir} (the run's fresh work directory): parent directories
     * made as needed (0755), files new (0644), each owned by {@code uid} when it is >= 0. Walks like
     * openat: each directory is opened relative to its parent without following a link ({@link
     * SecureDirectoryStream}), and each file is created relative to its directory with {@code CREATE_NEW}
     * and {@code NOFOLLOW_LINKS}, so a symbolic link or a file already there at any segment fails the write
     * instead of being followed or reused. Nothing of a run has started when this runs, so nothing else
     * writes in {@code dir}; the walk holds even if something did.
     *
     * @throws FileProblem naming the entry ({@code files[2].name: ...}) when a name clashes with another
     *     file, a directory, a link or the main file
     * @throws IOException when writing fails (the work directory is full: ENOSPC)
     */
    static void writeFiles(Path dir, List<dev.ranna.engine.spi.SourceFile> files, int uid) throws IOException {
        if (files.isEmpty()) {
            return;
        }
        try (DirectoryStream<Path> opened = Files.newDirectoryStream(dir)) {
            if (!(opened instanceof SecureDirectoryStream<Path> root)) {
                throw new IOException("no SecureDirectoryStream on this platform; refusing to write files");
            }
            for (int i = 0; i < files.size(); i++) {
                writeFile(root, dir, files.get(i), i, uid);
            }
        }
    }

    private static void writeFile(
            SecureDirectoryStream<Path> root, Path rootPath, dev.ranna.engine.spi.SourceFile file, int index, int uid)
            throws IOException {
        String[] segments = file.segments();
        String where = "files[" + index + "].name: ";
        for (String segment : segments) {
            try {
                Path.of(segment);
            } catch (java.nio.file.InvalidPathException e) {
                throw new FileProblem(where + "'" + file.name() + "' cannot be written by this server: its file"
                        + " names are " + System.getProperty("sun.jnu.encoding") + ", not UTF-8 (start it with"
                        + " LANG=C.UTF-8)");
            }
        }
        var opened = new ArrayList<SecureDirectoryStream<Path>>();
        try {
            SecureDirectoryStream<Path> current = root;
            Path currentPath = rootPath;
            for (int s = 0; s < segments.length - 1; s++) {
                Path name = Path.of(segments[s]);
                Path path = currentPath.resolve(name);
                PosixFileAttributes attributes = attributesOrNull(current, name);
                if (attributes == null) {
                    // mkdir never follows a link at its last segment: a link planted there makes it fail.
                    Files.createDirectory(
                            path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
                    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
                    if (uid >= 0) {
                        chown(path, uid);
                    }
                } else if (!attributes.isDirectory()) {
                    throw new FileProblem(where + "'"
                            + String.join("/", List.of(segments).subList(0, s + 1)) + "' is a file, not a directory");
                }
                // Opened relative to its parent, O_NOFOLLOW: a link swapped in after the mkdir is refused.
                SecureDirectoryStream<Path> next;
                try {
                    next = current.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    throw new FileProblem(where + "'"
                            + String.join("/", List.of(segments).subList(0, s + 1)) + "' is not a directory");
                }
                opened.add(next);
                current = next;
                currentPath = path;
            }
            Path name = Path.of(segments[segments.length - 1]);
            if (attributesOrNull(current, name) != null) {
                throw new FileProblem(where + "'" + file.name() + "' already exists");
            }
            try (var channel = current.newByteChannel(
                    name,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
                var buffer = java.nio.ByteBuffer.wrap(file.content());
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new FileProblem(where + "'" + file.name() + "' already exists");
            }
            PosixFileAttributeView view =
                    current.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            view.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
            if (uid >= 0) {
                chown(currentPath.resolve(name), uid);
            }
        } finally {
            for (SecureDirectoryStream<Path> stream : opened) {
                try {
                    stream.close();
                } catch (IOException e) {
                    // Nothing to do.
                }
            }
        }
    }

    private static @Nullable PosixFileAttributes attributesOrNull(SecureDirectoryStream<Path> dir, Path name)
            throws IOException {
        try {
            return dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The suffix of a project run's work directory, beside its run directory. */
    static final String WORK_SUFFIX = "-work";

    private static final java.time.Duration MOUNT_TIMEOUT = java.time.Duration.ofSeconds(10);

    /**
     * Makes the {@code /work} of a project run (one with files or a compile stage), shared by its compile
     * and run stages: {@code <base>/<name>-work/w}, where {@code <name>-work} is {@code root:<uid>} mode
     * 0710 (bubblewrap binds {@code w} as the run's uid; no other user may pass) and {@code w} is owned by
     * {@code uid}, mode 0700. With {@code mount}, {@code w} is a fresh tmpfs of {@code sizeBytes} ({@code
     * nosuid,nodev}): the size cap of a plain run's {@code /work}, and nothing of an earlier run in it;
     * without, a plain directory (no size cap but RLIMIT_FSIZE per file).
     *
     * @return {@code w}
     */
    Path newWorkDir(String name, int uid, long sizeBytes, boolean mount) throws IOException {
        Path dir = base.resolve(name + WORK_SUFFIX);
        Files.createDirectory(dir);
        Path work = dir.resolve("w");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(uid >= 0 ? "rwx--x---" : "rwx------"));
            if (uid >= 0) {
                Files.setAttribute(dir, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
            }
            Files.createDirectory(work);
            if (mount) {
                mountTmpfs(work, sizeBytes, uid);
            }
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
            if (uid >= 0) {
                chown(work, uid);
            }
            return work;
        } catch (IOException | RuntimeException e) {
            removeWorkDir(work);
            throw e;
        }
    }

    /** Unmounts (if mounted) and removes a {@link #newWorkDir} and its parent. Never throws. */
    static void removeWorkDir(@Nullable Path work) {
        if (work != null) {
            Ptys.unmount(work.getParent());
        }
    }

    private static void mountTmpfs(Path point, long sizeBytes, int uid) throws IOException {
        String options =
                "size=" + sizeBytes + ",mode=0700,nosuid,nodev" + (uid >= 0 ? ",uid=" + uid + ",gid=" + uid : "");
        Path mount = HostTools.which("mount");
        HostTools.Result result = HostTools.run(
                List.of(
                        mount == null ? "/usr/bin/mount" : mount.toString(),
                        "-n",
                        "-t",
                        "tmpfs",
                        "-o",
                        options,
                        "ranna-work",
                        point.toString()),
                null,
                MOUNT_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new IOException("mount tmpfs: "
                    + result.output().strip().lines().findFirst().orElse("exit code " + result.exitCode()));
        }
    }

    /**
     * Whether project runs get a tmpfs of their own here: the server is root, the work root's parents are
     * searchable by others (bubblewrap binds it as the run's uid), and a mount works. Never throws.
     */
    boolean probeWorkMount() {
        if (Ptys.firstClosedParent(base) != null) {
            return false;
        }
        Path work = null;
        try {
            work = newWorkDir("probe", -1, 1 << 20, true);
            return Ptys.mountsUnder(work).contains(work.toAbsolutePath().normalize());
        } catch (IOException | RuntimeException e) {
            log.debug("project runs get no tmpfs of their own: {}", e.toString());
            return false;
        } finally {
            removeWorkDir(
                    work != null ? work : base.resolve("probe" + WORK_SUFFIX).resolve("w"));
        }
    }

    /** lchown: the path is one we just created, and links are never followed. */
    static void chown(Path path, int uid) throws IOException {
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Unmounts what is left mounted in this instance's directory, deletes it and all runs left in it. Never throws. */
    void close() {
        Ptys.unmountAll(base);
        try {
            deleteTree(base);
        } catch (IOException e) {
            log.warn("cannot remove work directory {}: {}", base, e.toString());
        }
    }

    /**
     * Deletes {@code dir} and everything in it without following symbolic links. Directories a program
     * made unreadable or unwritable are opened up first (only relative to an open parent, never by path).
     */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(dir);
            return;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            if (stream instanceof SecureDirectoryStream) {
                deleteContents((SecureDirectoryStream<Path>) stream, 0);
            } else {
                throw new IOException("no SecureDirectoryStream on this platform; refusing an unsafe delete of " + dir);
            }
        }
        Files.delete(dir);
    }

    private static void deleteContents(SecureDirectoryStream<Path> dir, int depth) throws IOException {
        if (depth > 4096) {
            throw new IOException("directory tree too deep to delete");
        }
        var entries = new ArrayList<Path>();
        for (Path entry : dir) {
            entries.add(entry);
        }
        for (Path entry : entries) {
            Path name = entry.getFileName();
            PosixFileAttributes attributes;
            try {
                attributes = dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .readAttributes();
            } catch (NoSuchFileException e) {
                continue;
            }
            if (attributes.isDirectory()) {
                if (!attributes.permissions().containsAll(OWNER_ALL)) {
                    openUp(dir, entry, attributes);
                }
                try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    deleteContents(child, depth + 1);
                }
                dir.deleteDirectory(name);
            } else {
                dir.deleteFile(name);
            }
        }
    }

    /**
     * A program chmod'ed one of its directories. Root needs nothing (it may delete anyway); a non-root
     * server owning the directory adds owner rwx. The chmod goes through the path only after the entry was
     * seen as a real directory without following links, and only after every program of the run is gone.
     */
    private static void openUp(SecureDirectoryStream<Path> dir, Path entry, PosixFileAttributes attributes) {
        Set<PosixFilePermission> permissions = EnumSet.copyOf(OWNER_ALL);
        permissions.addAll(attributes.permissions());
        try {
            dir.getFileAttributeView(entry.getFileName(), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setPermissions(permissions);
        } catch (IOException | RuntimeException e) {
            try {
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(entry, permissions);
                }
            } catch (IOException | RuntimeException again) {
                log.debug("cannot open up {} for deletion: {}", entry, again.toString());
            }
        }
    }

    /** Names of run directories still present (for leak checks and reaping). */
    List<Path> runDirs() throws IOException {
        var dirs = new ArrayList<Path>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(base, Files::isDirectory)) {
            stream.forEach(dirs::add);
        }
        return dirs;
    }
}
