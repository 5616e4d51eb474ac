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
