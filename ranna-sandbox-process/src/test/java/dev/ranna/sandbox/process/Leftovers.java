package dev.ranna.sandbox.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What a process sandbox left on the host: run processes, work directories, cgroups. */
final class Leftovers {
    private Leftovers() {}

    static List<String> of(ProcessSandbox sandbox, boolean closed) {
        var left = new ArrayList<String>();
        var config = sandbox.config();
        if (HostTools.isRoot()) {
            TestSupport.processesWithUids(config.uidBase(), (long) config.uidBase() + config.slots())
                    .forEach(p -> left.add("process " + p));
        }
        // Without root there are no run uids to look for; the JVM's own descendants are the runs' trees.
        ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .forEach(p -> left.add("descendant process " + p.pid() + " "
                        + p.info().commandLine().orElse("?")));
        Path base = sandbox.workDirs().base();
        if (closed && Files.exists(base)) {
            left.add("work directory " + base);
        }
        if (Files.isDirectory(base)) {
            list(base).stream()
                    .filter(path -> !path.getFileName().toString().equals("owner"))
                    .forEach(path -> left.add("run directory " + path));
        }
        for (Path dir : sandbox.cgroups().instanceDirs()) {
            if (closed && Files.exists(dir)) {
                left.add("cgroup " + dir);
            }
            if (Files.isDirectory(dir)) {
                list(dir).stream().filter(Files::isDirectory).forEach(path -> left.add("cgroup " + path));
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
