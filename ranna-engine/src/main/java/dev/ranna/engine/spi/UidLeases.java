package dev.ranna.engine.spi;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Host-wide leases on run uids: a sandbox that gives every run its own kernel identity claims the uid
 * here, so two runs on one host never share one, even when they belong to two servers (two JVMs, or the
 * old and the new one during a rolling restart).
 *
 * <p>A uid is held by an exclusive lock ({@link FileChannel#tryLock()}, an {@code fcntl} lock) on the file
 * {@code <directory>/<uid>.lock}. The kernel drops the lock when the holding process dies, so a crashed
 * server leaves no stale claim behind. File locks belong to the process, not to the channel, so the
 * leases of one JVM are also kept in an in-JVM set: two {@code UidLeases} over the same directory in one
 * JVM never hand out the same uid either. Lock files are never deleted (deleting one races with a
 * process that has just opened it); they are empty.
 *
 * <p>All processes that must not share uids have to use the same directory ({@value #DIRECTORY}, default
 * {@link #defaultDirectory()}); leases in different directories know nothing of each other.
 *
 * <p>Thread-safe. A {@link Lease} is released with {@link Lease#close()}, once the run's processes (or
 * container) are gone; releasing twice is harmless.
 */
public final class UidLeases {

    /**
     * Config key: the directory of the lock files. Default {@link #defaultDirectory()}: {@code
     * /run/ranna/uids} where it can be made, else {@code ranna-uids} under {@code java.io.tmpdir}.
     */
    public static final String DIRECTORY = "sandbox.uidleasedir";

    /** The preferred directory: on tmpfs, private to the host, cleared at boot. */
    static final Path RUN_DIRECTORY = Path.of("/run/ranna/uids");

    /** Lock files held in this JVM (the kernel would not tell one channel's lock from another's). */
    private static final Set<Path> HELD_IN_JVM = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final int base;
    private final int count;
    private final AtomicInteger cursor = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();

    private UidLeases(Path directory, int base, int count) {
        this.directory = directory;
        this.base = base;
        this.count = count;
    }

    /**
     * Leases over uids {@code base} to {@code base + count - 1}, with lock files in {@code directory}
     * (made, owner-only, if missing).
     *
     * @throws IOException if the directory cannot be made, or is not a directory owned by this process's
     *     user and closed to others (another user could then hold or redirect the locks)
     * @throws IllegalArgumentException if the range is empty, negative or past {@link Integer#MAX_VALUE}
     */
    public static UidLeases open(Path directory, int base, int count) throws IOException {
        Objects.requireNonNull(directory, "directory");
        if (base < 0 || count <= 0 || (long) base + count - 1 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("uid range " + base + " + " + count + " is not valid");
        }
        Path dir = directory.toAbsolutePath().normalize();
        prepare(dir);
        return new UidLeases(dir.toRealPath(), base, count);
    }

    /**
     * The lock directory for {@code config}: {@value #DIRECTORY} if set (must be absolute), else {@link
     * #defaultDirectory()}.
     *
     * @throws IllegalArgumentException naming the key if the value is not an absolute path
     */
    public static Path directory(SandboxConfig config) {
        return config.find(SandboxConfig.Keys.UID_LEASE_DIR).orElseGet(UidLeases::defaultDirectory);
    }

    /**
     * {@code /run/ranna/uids} if it exists or can be made and is writable; else {@code ranna-uids} under
     * {@code java.io.tmpdir}. Servers on one host share it only if they agree on it, so an operator who runs
     * servers with different {@code java.io.tmpdir}s and no {@code /run} access sets {@value #DIRECTORY}.
     */
    public static Path defaultDirectory() {
        try {
            prepare(RUN_DIRECTORY);
            if (Files.isWritable(RUN_DIRECTORY)) {
                return RUN_DIRECTORY;
            }
        } catch (IOException | RuntimeException e) {
            // Not root, or no /run: fall back.
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "ranna-uids").toAbsolutePath();
    }

    private static void prepare(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = dir.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(
                        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // Made concurrently (or a file or link is in the way, which the checks below reject).
            }
        }
        PosixFileAttributes attributes =
                Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory()) {
            throw new IOException("the uid lease directory is not a directory");
        }
        String me = System.getProperty("user.name");
        if (!attributes.owner().getName().equals(me)) {
            throw new IOException(
                    "the uid lease directory belongs to " + attributes.owner().getName() + ", not " + me);
        }
        Set<PosixFilePermission> permissions = attributes.permissions();
        if (permissions.contains(PosixFilePermission.GROUP_WRITE)
                || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException("the uid lease directory is writable by other users");
        }
    }

    /**
     * Claims a uid no other lease on this host holds, starting after the last one handed out (so a
     * released uid is not reused at once). Never blocks.
     *
     * @return the lease, or null when every uid of the range is held
     * @throws IOException if a lock file cannot be opened (the directory vanished or is not writable)
     */
    public @Nullable Lease acquire() throws IOException {
        int start = Math.floorMod(cursor.getAndIncrement(), count);
        for (int i = 0; i < count; i++) {
            int uid = base + (start + i) % count;
            Lease lease = tryLock(uid);
            if (lease != null) {
                cursor.set((start + i + 1) % count);
                return lease;
            }
        }
        return null;
    }

    private @Nullable Lease tryLock(int uid) throws IOException {
        Path file = directory.resolve(uid + ".lock");
        if (!HELD_IN_JVM.add(file)) {
            return null;
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                HELD_IN_JVM.remove(file);
                return null;
            }
            held.incrementAndGet();
            return new Lease(uid, file, channel);
        } catch (OverlappingFileLockException e) {
            // Locked through a channel this class does not know (another class loader): held in this JVM.
            closeQuietly(channel);
            HELD_IN_JVM.remove(file);
            return null;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            HELD_IN_JVM.remove(file);
            throw e;
        }
    }

    private static void closeQuietly(@Nullable FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing held.
            }
        }
    }

    /** The lock directory. */
    public Path directory() {
        return directory;
    }

    /** The first uid of the range. */
    public int base() {
        return base;
    }

    /** How many uids the range has. */
    public int count() {
        return count;
    }

    /** How many leases this object has handed out and not yet seen released. */
    public int held() {
        return held.get();
    }

    /** One claimed uid. Release it with {@link #close()} once nothing runs as it any more. */
    public final class Lease implements AutoCloseable {
        private final int uid;
        private final Path file;
        private final FileChannel channel;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(int uid, Path file, FileChannel channel) {
            this.uid = uid;
            this.file = file;
            this.channel = channel;
        }

        /** The uid (and, by convention, the gid) this lease holds. */
        public int uid() {
            return uid;
        }

        /** Whether {@link #close()} has run. */
        public boolean released() {
            return released.get();
        }

        /** Releases the uid for any process on the host. Idempotent; never throws. */
        @Override
        public void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            // Closing the channel drops the lock; only then may another lease of this JVM take the file.
            closeQuietly(channel);
            HELD_IN_JVM.remove(file);
            held.decrementAndGet();
        }

        @Override
        public String toString() {
            return "UidLease[" + uid + (released.get() ? ", released]" : "]");
        }
    }

    @Override
    public String toString() {
        return "UidLeases[" + base + ".." + (base + count - 1) + " in " + directory + "]";
    }
}
