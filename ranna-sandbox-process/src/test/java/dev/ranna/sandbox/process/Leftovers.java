package dev.ranna.sandbox.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What a process sandbox left on the host: run processes, work directories, mounts, cgroups. */
final class Leftovers {
    private Leftovers() {}

    /**
     * What is left, once the host has caught up: a run's last process may still be in its exit path (no
     * command line, not yet a zombie) for a moment after its end was reported, so the look is repeated for
     * up to {@link #SETTLE} until nothing is left. A real leak outlives that and is returned.
     */
    static List<String> of(ProcessSandbox sandbox, boolean closed) {
        var left = new ArrayList<List<String>>(List.of(snapshot(sandbox, closed)));
        TestSupport.poll(SETTLE, () -> {
            left.set(0, snapshot(sandbox, closed));
            return left.get(0).isEmpty();
        });
        return left.get(0);
    }

    /** How long {@link #of} lets the host catch up before it reports what is left. */
    static final Duration SETTLE = Duration.ofSeconds(3);

    private static List<String> snapshot(ProcessSandbox sandbox, boolean closed) {
        var left = new ArrayList<String>();
        var config = sandbox.config();
        // The idle launcher kept for the next run is the sandbox's own while it is open (close() ends it).
        TestSupport.poll(Duration.ofSeconds(10), () -> !sandbox.prestarting());
        ProcessSandbox.Prestarted idle = closed ? null : sandbox.prestarted();
        long idlePid = idle == null ? -1 : idle.process().pid();
        var idleGroups = new ArrayList<Path>();
        if (idle != null) {
            idle.group().procsFiles().forEach(procs -> idleGroups.add(procs.getParent()));
        }
        // So are the pooled sandboxes waiting for a run: their groups and directories, and their processes,
        // which say so on their command lines (this sandbox's or another's of this JVM; the pool test checks
        // that close() ends them, and a live one would keep its cgroup, checked below).
        TestSupport.poll(Duration.ofSeconds(10), () -> !sandbox.filling());
        List<ProcessSandbox.Warm> pooled = closed ? List.of() : sandbox.pooled();
        var pooledDirs = new ArrayList<Path>();
        for (var warm : pooled) {
            pooledDirs.add(warm.runDir());
            warm.group().procsFiles().forEach(procs -> idleGroups.add(procs.getParent()));
        }
        if (HostTools.isRoot()) {
            TestSupport.processesWithUids(config.uidBase(), (long) config.uidBase() + config.slots()).stream()
                    .filter(p -> !p.contains(Launcher.POOLED))
                    .forEach(p -> left.add("process " + p));
        }
        // Without root there are no run uids to look for; the JVM's own descendants are the runs' trees.
        ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.pid() != idlePid)
                .filter(p -> !p.info().commandLine().orElse("").contains(Launcher.POOLED))
                .forEach(p -> left.add("descendant process " + p.pid() + " "
                        + p.info().commandLine().orElse("?")));
        Path base = sandbox.workDirs().base();
        // A terminal run's own devpts (Ptys), mounted on the host.
        Ptys.mountsUnder(base).forEach(mount -> left.add("mount " + mount));
        if (closed && Files.exists(base)) {
            left.add("work directory " + base);
        }
        if (Files.isDirectory(base)) {
            list(base).stream()
                    .filter(path -> !path.getFileName().toString().equals("owner"))
                    .filter(path -> !path.getFileName().toString().equals(SeccompBpf.FILE_NAME))
                    .filter(path -> !pooledDirs.contains(path))
                    .forEach(path -> left.add("run directory " + path));
        }
        for (Path dir : sandbox.cgroups().instanceDirs()) {
            if (closed && Files.exists(dir)) {
                left.add("cgroup " + dir);
            }
            if (Files.isDirectory(dir)) {
                list(dir).stream()
                        .filter(Files::isDirectory)
                        .filter(path -> !idleGroups.contains(path))
                        .forEach(path -> left.add("cgroup " + path));
            }
        }
        return left;
    }

    private static List<Path> list(Path dir) {
        var paths = new ArrayList<Path>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(paths::add);
        } catch (IOException e) {
            // Removed while we looked: nothing left there.
        }
        return paths;
    }
}
