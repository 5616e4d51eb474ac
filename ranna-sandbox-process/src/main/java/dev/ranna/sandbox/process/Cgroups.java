package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.CgroupFiles;
import dev.ranna.engine.spi.ResourceUsage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory and pids limits through cgroupfs, v1 or v2, whichever the host offers and lets this process
 * write. Each sandbox instance owns one directory per controller named {@code ranna-process-<instanceId>};
 * each run gets a child of it. Without writable cgroups, {@link #none} enforces nothing and the sandbox
 * falls back to rlimits.
 */
abstract class Cgroups {
    private static final Logger log = LoggerFactory.getLogger(Cgroups.class);

    static final String PREFIX = "ranna-process-";

    /** What a cgroup-owning instance is known to be, for reaping. */
    enum Owner {
        ALIVE,
        DEAD,
        UNKNOWN
    }

    /** One run's cgroup(s). */
    interface RunGroup {
        /** The {@code cgroup.procs} files the launcher writes its own pid to before it starts the program. */
        List<Path> procsFiles();

        /**
         * Kills every process in the group and waits (bounded) until each one left is exiting (see {@link
         * Cgroups#killUntilDying}); {@link #remove()} waits for them to be gone.
         */
        void killAll();

        /** Whether the kernel OOM-killed a process of the group. */
        boolean oomKilled();

        /**
         * CPU time and peak memory of every process that was in the group, or null when this hierarchy
         * cannot measure them. Read after {@link #killAll()} and before {@link #remove()}. Never throws.
         */
        @Nullable
        ResourceUsage usage();

        /** Removes the group; call after {@link #killAll()}. Never throws. */
        void remove();

        /**
         * Lowers the group's memory limit (and its swap limit with it) to {@code bytes}, before anything
         * runs in it: a run's own limit below the server's ({@code SandboxRequest.memoryLimit()}) on a
         * group made ahead of its run. Does nothing without a memory controller.
         */
        void limitMemory(long bytes) throws IOException;
    }

    private final String reason;

    Cgroups(String reason) {
        this.reason = reason;
    }

    /** e.g. {@code cgroup-v1}, or {@code none}. */
    abstract String kind();

    abstract boolean memory();

    abstract boolean pids();

    /** Whether every run's group can report {@link RunGroup#usage()} (CPU time and peak memory). */
    abstract boolean usage();

    /** Why this is what it is: where the groups live, or why there are none. */
    String reason() {
        return reason;
    }

    /** Creates the group for one run with the given limits. */
    abstract RunGroup newRun(String name, long memoryBytes, int pids) throws IOException;

    /** Removes this instance's directories (runs must be gone). Never throws. */
    abstract void close();

    /** This instance's own directories (one per controller hierarchy), for leak checks. */
    abstract List<Path> instanceDirs();

    /** Kills and removes groups of other, dead instances of this sandbox. Never throws. */
    abstract void reapStale(Function<String, Owner> owners);

    static Cgroups none(String reason) {
        return new None(reason);
    }

    /** Detects what the host offers and sets up this instance's directories. Never throws. */
    static Cgroups detect(String instanceId) {
        try {
            List<Mount> mounts = Mount.read();
            Map<String, String> own = ownPaths();
            var reasons = new ArrayList<String>();
            Mount unified = mounts.stream()
                    .filter(m -> m.fsType.equals("cgroup2"))
                    .findFirst()
                    .orElse(null);
            if (unified != null && own.containsKey("")) {
                Cgroups v2 = V2.setUp(unified, own.get(""), instanceId, reasons);
                if (v2 != null) {
                    return v2;
                }
            }
            Cgroups v1 = V1.setUp(mounts, own, instanceId, reasons);
            if (v1 != null) {
                return v1;
            }
            return none(reasons.isEmpty() ? "no cgroup controllers found" : String.join("; ", reasons));
        } catch (IOException | RuntimeException e) {
            return none("cgroups not readable: " + e.getMessage());
        }
    }

    /** Controller name (or "" for the v2 hierarchy) to this process's cgroup path. */
    static Map<String, String> ownPaths() throws IOException {
        var paths = new HashMap<String, String>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            int first = line.indexOf(':');
            int second = line.indexOf(':', first + 1);
            if (first < 0 || second < 0) {
                continue;
            }
            String controllers = line.substring(first + 1, second);
            String path = line.substring(second + 1);
            if (controllers.isEmpty()) {
                paths.put("", path);
            } else {
                for (String controller : controllers.split(",")) {
                    paths.put(controller, path);
                }
            }
        }
        return paths;
    }

    /** One line of {@code /proc/self/mountinfo} for a cgroup file system. */
    static final class Mount {
        final Path mountPoint;
        final String root;
        final String fsType;
        final Set<String> superOptions;

        Mount(Path mountPoint, String root, String fsType, Set<String> superOptions) {
            this.mountPoint = mountPoint;
            this.root = root;
            this.fsType = fsType;
            this.superOptions = superOptions;
        }

        static List<Mount> read() throws IOException {
            var mounts = new ArrayList<Mount>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                int dash = List.of(fields).indexOf("-");
                if (dash < 0 || fields.length < dash + 4 || fields.length < 5) {
                    continue;
                }
                String fsType = fields[dash + 1];
                if (fsType.equals("cgroup") || fsType.equals("cgroup2")) {
                    mounts.add(new Mount(
                            Path.of(fields[4].replace("\\040", " ")),
                            fields[3],
                            fsType,
                            Set.of(fields[dash + 3].split(","))));
                }
            }
            return mounts;
        }

        /** The directory of cgroup {@code path} in this mount, or null when it is not below the mount's root. */
        @Nullable
        Path dirOf(String path) {
            if (root.equals("/")) {
                return mountPoint.resolve(path.startsWith("/") ? path.substring(1) : path);
            }
            if (path.equals(root)) {
                return mountPoint;
            }
            if (path.startsWith(root + "/")) {
                return mountPoint.resolve(path.substring(root.length() + 1));
            }
            return null;
        }
    }

    static void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
    }

    static List<Long> procs(Path procsFile) {
        var pids = new ArrayList<Long>();
        try {
            for (String line : Files.readAllLines(procsFile)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        } catch (NoSuchFileException e) {
            // Already removed: nothing in it.
        } catch (IOException | NumberFormatException e) {
            log.debug("cannot read {}: {}", procsFile, e.toString());
        }
        return pids;
    }

    /** SIGKILLs everything in {@code procsFile} until it stays empty, for at most {@code seconds}. */
    static boolean killUntilEmpty(Path procsFile, int seconds) {
        return killUntil(procsFile, seconds, false);
    }

    /**
     * SIGKILLs every process in {@code procsFile} until each one left is exiting: in the kernel's exit path
     * (PF_EXITING), from which no task returns to user space. What a run's end waits for before it is
     * reported: bubblewrap's pid 1 is often still tearing its namespaces down (1-15 ms measured) when its
     * monitor, the launcher, has exited; the group empties by itself and {@link RunGroup#remove()} waits
     * for that. Returns false after {@code seconds} with a live process still there.
     */
    static boolean killUntilDying(Path procsFile, int seconds) {
        return killUntil(procsFile, seconds, true);
    }

    /**
     * Whether {@code pid} is exiting or gone: PF_EXITING (0x4) in the flags of {@code /proc/<pid>/stat}
     * (the seventh field after the command's closing parenthesis), set first thing in the kernel's exit.
     */
    static boolean exiting(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 8);
            return (Long.parseLong(fields[6]) & 0x4) != 0;
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    private static boolean killUntil(Path procsFile, int seconds, boolean dyingIsDead) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        // Right after a run's launcher exited, its last processes are often still leaving the group (their
        // exit in progress): look again soon, then back off to 1 ms. A fixed 1 ms wait was most of the
        // 1-2 ms this took at the end of a run.
        long pause = TimeUnit.MICROSECONDS.toNanos(50);
        while (true) {
            List<Long> pids = procs(procsFile);
            if (dyingIsDead) {
                pids.removeIf(Cgroups::exiting);
            }
            if (pids.isEmpty()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                log.warn("processes {} still in {} after {} s of SIGKILL", pids, procsFile, seconds);
                return false;
            }
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(TimeUnit.MILLISECONDS.toNanos(1), pause * 2);
        }
    }

    /** rmdir, retried briefly: the kernel may still be tearing down the last task. */
    static boolean rmdir(Path dir) {
        for (int attempt = 0; attempt < 200; attempt++) {
            try {
                Files.deleteIfExists(dir);
                return true;
            } catch (IOException e) {
                if (attempt == 199) {
                    log.warn("cannot remove cgroup {}: {}", dir, e.toString());
                    return false;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        return false;
    }

    /** The single number in {@code file} (e.g. {@code memory.peak}), or -1 if it cannot be read. */
    static long readLong(Path file) {
        return CgroupFiles.number(file);
    }

    /** The value of {@code key} in a flat-keyed file ({@code cpu.stat}), or -1 if absent or unreadable. */
    static long keyed(Path file, String key) {
        return CgroupFiles.keyed(file, key);
    }

    /** Usage from its two numbers, or null when either could not be read (absent, never wrong). */
    static @Nullable ResourceUsage usageOf(long cpuNanos, long peakBytes) {
        if (cpuNanos < 0 || peakBytes < 0) {
            return null;
        }
        return new ResourceUsage(Duration.ofNanos(cpuNanos), peakBytes);
    }

    /** How many {@code key} events a flat-keyed file counts, 0 if none or unreadable. */
    static long eventCount(Path file, String key) {
        return Math.max(0, CgroupFiles.keyed(file, key));
    }

    /**
     * Kills and removes every {@code ranna-process-*} directory under {@code parent} whose instance is known
     * to be dead; live instances and those of unknown owners (another work root) are left alone.
     */
    static void reapUnder(@Nullable Path parent, String self, Function<String, Owner> owners) {
        if (parent == null) { // an instance directory at the file system's root: nothing beside it to reap
            return;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path instanceDir : stream) {
                String id = instanceDir.getFileName().toString().substring(PREFIX.length());
                if (id.equals(self) || !Files.isDirectory(instanceDir)) {
                    continue;
                }
                Owner owner = owners.apply(id);
                if (owner != Owner.DEAD) {
                    // ALIVE, or UNKNOWN: another server with a different work root (no owner file here)
                    // may be using it. Removing its groups while they are empty between runs, or between
                    // a run's mkdir and its join, breaks that server's next run.
                    continue;
                }
                boolean removed = true;
                try (DirectoryStream<Path> runs = Files.newDirectoryStream(instanceDir, Files::isDirectory)) {
                    for (Path run : runs) {
                        killUntilEmpty(run.resolve("cgroup.procs"), 5);
                        if (procs(run.resolve("cgroup.procs")).isEmpty()) {
                            removed &= rmdir(run);
                        } else {
                            removed = false;
                        }
                    }
                }
                if (removed && rmdir(instanceDir)) {
                    log.info("removed stale cgroup {}", instanceDir);
                }
            }
        } catch (IOException e) {
            log.debug("cannot scan {} for stale cgroups: {}", parent, e.toString());
        }
    }

    private static final class None extends Cgroups {
        None(String reason) {
            super(reason);
        }

        @Override
        String kind() {
            return "none";
        }

        @Override
        boolean memory() {
            return false;
        }

        @Override
        boolean pids() {
            return false;
        }

        @Override
        boolean usage() {
            return false;
        }

        @Override
        RunGroup newRun(String name, long memoryBytes, int pids) {
            return new RunGroup() {
                @Override
                public List<Path> procsFiles() {
                    return List.of();
                }

                @Override
                public void killAll() {}

                @Override
                public boolean oomKilled() {
                    return false;
                }

                @Override
                public @Nullable ResourceUsage usage() {
                    return null;
                }

                @Override
                public void remove() {}

                @Override
                public void limitMemory(long bytes) {}
            };
        }

        @Override
        void close() {}

        @Override
        List<Path> instanceDirs() {
            return List.of();
        }

        @Override
        void reapStale(Function<String, Owner> owners) {}
    }

    /**
     * cgroup v1: separate memory, pids and cpuacct hierarchies, each under this process's own group. Usage
     * is {@code cpuacct.usage} and {@code memory.max_usage_in_bytes} of the run's groups.
     */
    static final class V1 extends Cgroups {
        private final @Nullable Path memoryDir;
        private final @Nullable Path pidsDir;
        private final @Nullable Path cpuacctDir;
        private final String instanceId;

        private V1(
                @Nullable Path memoryDir,
                @Nullable Path pidsDir,
                @Nullable Path cpuacctDir,
                String instanceId,
                String reason) {
            super(reason);
            this.memoryDir = memoryDir;
            this.pidsDir = pidsDir;
            this.cpuacctDir = cpuacctDir;
            this.instanceId = instanceId;
        }

        static @Nullable Cgroups setUp(
                List<Mount> mounts, Map<String, String> own, String instanceId, List<String> reasons) {
            Path memory = instanceDir(mounts, own, "memory", instanceId, reasons);
            Path pids = instanceDir(mounts, own, "pids", instanceId, reasons);
            if (memory == null && pids == null) {
                return null;
            }
            // Only for usage: without it runs are still limited, and usage is not offered.
            Path cpuacct = instanceDir(mounts, own, "cpuacct", instanceId, reasons);
            var where = new ArrayList<String>();
            if (memory != null) {
                where.add("memory in " + memory.getParent());
            }
            if (pids != null) {
                where.add("pids in " + pids.getParent());
            }
            if (cpuacct != null) {
                where.add("cpuacct in " + cpuacct.getParent());
            }
            return new V1(memory, pids, cpuacct, instanceId, "cgroup v1: " + String.join(", ", where));
        }

        private static @Nullable Path instanceDir(
                List<Mount> mounts, Map<String, String> own, String controller, String id, List<String> reasons) {
            Mount mount = mounts.stream()
                    .filter(m -> m.fsType.equals("cgroup") && m.superOptions.contains(controller))
                    .findFirst()
                    .orElse(null);
            String path = own.get(controller);
            if (mount == null || path == null) {
                reasons.add("no cgroup v1 " + controller + " controller");
                return null;
            }
            Path parent = mount.dirOf(path);
            if (parent == null) {
                reasons.add("own " + controller + " cgroup " + path + " is outside its mount");
                return null;
            }
            Path dir = parent.resolve(PREFIX + id);
            Path probe = dir.resolve("probe");
            try {
                Files.createDirectories(dir);
                Files.createDirectory(probe);
                if (controller.equals("memory")) {
                    write(probe.resolve("memory.limit_in_bytes"), Long.toString(64L << 20));
                } else if (controller.equals("pids")) {
                    write(probe.resolve("pids.max"), "64");
                } else if (!Files.isReadable(probe.resolve("cpuacct.usage"))) {
                    throw new IOException("no cpuacct.usage");
                }
                return dir;
            } catch (IOException | RuntimeException e) {
                reasons.add("cgroup v1 " + controller + " in " + parent + " not writable (" + e.getMessage() + ")");
                rmdir(probe);
                rmdir(dir);
                return null;
            } finally {
                if (Files.exists(probe)) {
                    rmdir(probe);
                }
            }
        }

        @Override
        String kind() {
            return "cgroup-v1";
        }

        @Override
        boolean memory() {
            return memoryDir != null;
        }

        @Override
        boolean pids() {
            return pidsDir != null;
        }

        @Override
        boolean usage() {
            return memoryDir != null && cpuacctDir != null;
        }

        @Override
        RunGroup newRun(String name, long memoryBytes, int pidLimit) throws IOException {
            Path memory = memoryDir == null ? null : memoryDir.resolve(name);
            Path pids = pidsDir == null ? null : pidsDir.resolve(name);
            Path cpuacct = cpuacctDir == null ? null : cpuacctDir.resolve(name);
            var group = new V1Run(memory, pids, cpuacct);
            try {
                if (memory != null) {
                    Files.createDirectory(memory);
                    write(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
                    Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
                    if (Files.exists(memsw)) {
                        // Without this a program swaps instead of being stopped at the limit.
                        write(memsw, Long.toString(memoryBytes));
                    }
                }
                if (pids != null) {
                    Files.createDirectory(pids);
                    write(pids.resolve("pids.max"), Integer.toString(pidLimit));
                }
                if (cpuacct != null) {
                    Files.createDirectory(cpuacct);
                }
                return group;
            } catch (IOException | RuntimeException e) {
                group.remove();
                throw e;
            }
        }

        @Override
        void close() {
            if (memoryDir != null) {
                rmdir(memoryDir);
            }
            if (pidsDir != null) {
                rmdir(pidsDir);
            }
            if (cpuacctDir != null) {
                rmdir(cpuacctDir);
            }
        }

        @Override
        List<Path> instanceDirs() {
            var dirs = new ArrayList<Path>(2);
            if (memoryDir != null) {
                dirs.add(memoryDir);
            }
            if (pidsDir != null) {
                dirs.add(pidsDir);
            }
            if (cpuacctDir != null) {
                dirs.add(cpuacctDir);
            }
            return dirs;
        }

        @Override
        void reapStale(Function<String, Owner> owners) {
            if (memoryDir != null) {
                reapUnder(memoryDir.getParent(), instanceId, owners);
            }
            if (pidsDir != null) {
                reapUnder(pidsDir.getParent(), instanceId, owners);
            }
            if (cpuacctDir != null) {
                reapUnder(cpuacctDir.getParent(), instanceId, owners);
            }
        }

        static final class V1Run implements RunGroup {
            private final @Nullable Path memory;
            private final @Nullable Path pids;
            private final @Nullable Path cpuacct;

            V1Run(@Nullable Path memory, @Nullable Path pids, @Nullable Path cpuacct) {
                this.memory = memory;
                this.pids = pids;
                this.cpuacct = cpuacct;
            }

            @Override
            public List<Path> procsFiles() {
                var files = new ArrayList<Path>(3);
                if (memory != null) {
                    files.add(memory.resolve("cgroup.procs"));
                }
                if (pids != null) {
                    files.add(pids.resolve("cgroup.procs"));
                }
                if (cpuacct != null) {
                    files.add(cpuacct.resolve("cgroup.procs"));
                }
                return files;
            }

            @Override
            public @Nullable ResourceUsage usage() {
                if (memory == null || cpuacct == null) {
                    return null;
                }
                // Hierarchical: the counters include every descendant that was ever in the group.
                return usageOf(
                        readLong(cpuacct.resolve("cpuacct.usage")),
                        readLong(memory.resolve("memory.max_usage_in_bytes")));
            }

            @Override
            public void killAll() {
                // v1 has no cgroup.kill; the pids group holds the same processes as the memory group.
                for (Path procs : procsFiles()) {
                    killUntilDying(procs, 10);
                }
            }

            @Override
            public boolean oomKilled() {
                return memory != null && eventCount(memory.resolve("memory.oom_control"), "oom_kill") > 0;
            }

            @Override
            public void limitMemory(long bytes) throws IOException {
                if (memory == null) {
                    return;
                }
                // The memory limit first: memsw may never be below it.
                write(memory.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
                if (Files.exists(memsw)) {
                    write(memsw, Long.toString(bytes));
                }
            }

            @Override
            public void remove() {
                if (memory != null) {
                    rmdir(memory);
                }
                if (pids != null) {
                    rmdir(pids);
                }
                if (cpuacct != null) {
                    rmdir(cpuacct);
                }
            }
        }
    }

    /** cgroup v2: one hierarchy; this instance's group is made where memory and pids can be delegated. */
    static final class V2 extends Cgroups {
        private final Path instanceDir;
        private final String instanceId;

        private V2(Path instanceDir, String instanceId, String reason) {
            super(reason);
            this.instanceDir = instanceDir;
            this.instanceId = instanceId;
        }

        static @Nullable Cgroups setUp(Mount unified, String ownPath, String instanceId, List<String> reasons) {
            String controllers;
            try {
                controllers = Files.readString(unified.mountPoint.resolve("cgroup.controllers"));
            } catch (IOException e) {
                reasons.add("cgroup v2 not readable");
                return null;
            }
            var available = Set.of(controllers.trim().split("\\s+"));
            if (!available.contains("memory") || !available.contains("pids")) {
                reasons.add(
                        "cgroup v2 at " + unified.mountPoint + " lacks memory/pids (has: " + controllers.trim() + ")");
                return null;
            }
            // Candidates, best first: the hierarchy's root (root may always enable controllers there), the
            // parent of our own group (a systemd-delegated slice), our own group.
            var candidates = new LinkedHashMap<Path, Boolean>();
            candidates.put(unified.mountPoint, true);
            Path own = unified.dirOf(ownPath);
            if (own != null) {
                if (own.getParent() != null && own.startsWith(unified.mountPoint)) {
                    candidates.putIfAbsent(own.getParent(), true);
                }
                candidates.putIfAbsent(own, true);
            }
            for (Path parent : candidates.keySet()) {
                if (!parent.startsWith(unified.mountPoint)) {
                    continue;
                }
                Path dir = parent.resolve(PREFIX + instanceId);
                try {
                    String enabled = Files.readString(parent.resolve("cgroup.subtree_control"));
                    var on = Set.of(enabled.trim().split("\\s+"));
                    if (!on.contains("memory") || !on.contains("pids")) {
                        write(parent.resolve("cgroup.subtree_control"), "+memory +pids");
                    }
                    Files.createDirectories(dir);
                    write(dir.resolve("cgroup.subtree_control"), "+memory +pids");
                    Path probe = dir.resolve("probe");
                    Files.createDirectory(probe);
                    try {
                        write(probe.resolve("memory.max"), Long.toString(64L << 20));
                        write(probe.resolve("pids.max"), "64");
                    } finally {
                        rmdir(probe);
                    }
                    return new V2(dir, instanceId, "cgroup v2 in " + parent);
                } catch (IOException | RuntimeException e) {
                    reasons.add("cgroup v2 in " + parent + " not usable (" + e.getMessage() + ")");
                    if (Files.exists(dir)) {
                        rmdir(dir);
                    }
                }
            }
            return null;
        }

        @Override
        String kind() {
            return "cgroup-v2";
        }

        @Override
        boolean memory() {
            return true;
        }

        @Override
        boolean pids() {
            return true;
        }

        @Override
        boolean usage() {
            // cpu.stat's usage_usec is core (no cpu controller needed); memory.peak or polling for memory.
            return true;
        }

        @Override
        RunGroup newRun(String name, long memoryBytes, int pids) throws IOException {
            Path dir = instanceDir.resolve(name);
            Files.createDirectory(dir);
            var group = new V2Run(dir);
            try {
                write(dir.resolve("memory.max"), Long.toString(memoryBytes));
                Path swap = dir.resolve("memory.swap.max");
                if (Files.exists(swap)) {
                    write(swap, "0");
                }
                Path oomGroup = dir.resolve("memory.oom.group");
                if (Files.exists(oomGroup)) {
                    // An OOM kill takes the whole run, not one random process of it.
                    write(oomGroup, "1");
                }
                write(dir.resolve("pids.max"), Integer.toString(pids));
                return group;
            } catch (IOException | RuntimeException e) {
                group.remove();
                throw e;
            }
        }

        @Override
        void close() {
            rmdir(instanceDir);
        }

        @Override
        List<Path> instanceDirs() {
            return List.of(instanceDir);
        }

        @Override
        void reapStale(Function<String, Owner> owners) {
            reapUnder(instanceDir.getParent(), instanceId, owners);
        }

        static final class V2Run implements RunGroup {
            private final Path dir;
            private final @Nullable PeakPoller poller;

            V2Run(Path dir) {
                this.dir = dir;
                // memory.peak exists from Linux 5.19; before it, memory.current is sampled.
                this.poller = Files.exists(dir.resolve("memory.peak")) ? null : PeakPoller.start(dir);
            }

            /** The peak the poller has seen so far (-1 without a poller or before a sample), for tests. */
            long sampledPeak() {
                return poller != null ? poller.peak : -1;
            }

            @Override
            public @Nullable ResourceUsage usage() {
                long cpuMicros = keyed(dir.resolve("cpu.stat"), "usage_usec");
                long peak = poller != null ? poller.stop() : readLong(dir.resolve("memory.peak"));
                return usageOf(cpuMicros < 0 ? -1 : cpuMicros * 1000, peak);
            }

            @Override
            public List<Path> procsFiles() {
                return List.of(dir.resolve("cgroup.procs"));
            }

            @Override
            public void killAll() {
                Path kill = dir.resolve("cgroup.kill");
                if (Files.exists(kill)) {
                    try {
                        write(kill, "1");
                    } catch (IOException e) {
                        log.debug("cgroup.kill failed for {}: {}", dir, e.toString());
                    }
                }
                killUntilDying(dir.resolve("cgroup.procs"), 10);
            }

            @Override
            public boolean oomKilled() {
                return eventCount(dir.resolve("memory.events"), "oom_kill") > 0;
            }

            @Override
            public void limitMemory(long bytes) throws IOException {
                write(dir.resolve("memory.max"), Long.toString(bytes));
            }

            @Override
            public void remove() {
                if (poller != null) {
                    poller.stop();
                }
                rmdir(dir);
            }
        }
    }

    /**
     * The peak of {@code memory.current}, sampled every few milliseconds, for cgroup v2 kernels without
     * {@code memory.peak}: a lower bound of the true peak (a spike shorter than the period can be missed),
     * and exact for memory a program holds, such as an allocation it keeps.
     */
    static final class PeakPoller {
        private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
        private final Path current;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long peak = -1;

        private PeakPoller(Path dir) {
            this.current = dir.resolve("memory.current");
            this.thread = new Thread(this::poll, "ranna-cgroup-peak-" + dir.getFileName());
            thread.setDaemon(true);
        }

        static PeakPoller start(Path dir) {
            var poller = new PeakPoller(dir);
            poller.thread.start();
            return poller;
        }

        private void poll() {
            while (running) {
                sample();
                LockSupport.parkNanos(PERIOD_NANOS);
            }
        }

        private void sample() {
            long now = readLong(current);
            if (now > peak) {
                peak = now;
            }
        }

        /** Stops sampling and returns the peak seen (-1 if nothing could be read). Idempotent. */
        long stop() {
            if (running) {
                running = false;
                LockSupport.unpark(thread);
                try {
                    thread.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return peak;
        }
    }
}
