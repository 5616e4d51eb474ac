package dev.ranna.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Facts about the host, read from {@code /proc}, the file system and the docker CLI: no mocks. */
final class Host {
    private Host() {}

    /** The process sandbox's default per-run uids: {@code sandbox.process.uidbase}, {@code uidcount} 4 x 256 slots. */
    static final long RUN_UID_BASE = 2_000_000_000L;

    static final long RUN_UID_END = RUN_UID_BASE + 1024;

    record Result(int exitCode, String output) {}

    /** Runs a host command to completion (60 s at most), output and error merged. */
    static Result run(String... command) {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "timed out: " + Arrays.toString(command));
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[0].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Polls every 20 ms; external state (processes, containers, files) has no events to wait on. */
    static boolean poll(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return true;
    }

    /**
     * Whether {@code path} (an entry of a process sandbox instance's work directory) is a pooled sandbox's
     * directory while it waits for a run: {@code warm-N}. Taken by a run it is renamed {@code run-N}.
     */
    static boolean isPooledSandboxDirectory(String path) {
        return Path.of(path).getFileName().toString().startsWith("warm-");
    }

    /**
     * The last word of a waiting pooled process sandbox's command lines ({@code Launcher.POOLED}; its stub
     * renames itself when a run takes it).
     */
    static final String POOLED_SANDBOX = "ranna-pooled-sandbox";

    /**
     * Live (non-zombie) processes running as one of the process sandbox's run uids, or matching a marker;
     * not the sandboxes the server keeps waiting for runs.
     */
    static List<String> sandboxProcesses(String marker) {
        var found = new ArrayList<String>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    if (proc.getFileName().toString().equals(Long.toString(self))) {
                        continue;
                    }
                    long uid = -1;
                    boolean zombie = false;
                    for (String line : Files.readAllLines(proc.resolve("status"))) {
                        if (line.startsWith("State:")) {
                            zombie = line.contains("Z");
                        } else if (line.startsWith("Uid:")) {
                            uid = Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                        }
                    }
                    if (zombie) {
                        continue;
                    }
                    String cmdline = cmdline(proc);
                    if (cmdline.endsWith(" " + POOLED_SANDBOX + " ")) {
                        // A process sandbox set up ahead of its run, waiting: the server's own, not a run's.
                        continue;
                    }
                    if ((uid >= RUN_UID_BASE && uid < RUN_UID_END)
                            || (marker != null && !marker.isEmpty() && cmdline.contains(marker))) {
                        found.add(proc.getFileName() + " uid " + uid + " " + cmdline);
                    }
                } catch (IOException | RuntimeException e) {
                    // Exited while we looked.
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }

    /** Live processes whose command line contains {@code marker} (any uid, this JVM excluded). */
    static List<String> processesMatching(String marker) {
        var all = sandboxProcesses(marker);
        all.removeIf(line -> !line.contains(marker));
        return all;
    }

    private static String cmdline(Path proc) throws IOException {
        return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
    }

    /** Live descendants of this JVM (sandbox helpers, bwrap, docker CLI calls in flight). */
    static List<String> descendants() {
        var found = new ArrayList<String>();
        ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .forEach(p -> found.add(p.pid() + " " + p.info().commandLine().orElse("?")));
        return found;
    }

    static int openFileDescriptors() {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int liveThreads() {
        return Thread.getAllStackTraces().size();
    }

    /** Heap in use after a full collection (best effort: a few GCs until it settles). */
    static long heapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            long now = runtime.totalMemory() - runtime.freeMemory();
            if (now >= used - 256 * 1024) {
                return Math.min(now, used);
            }
            used = Math.min(used, now);
        }
        return used;
    }

    /** Entries directly under {@code dir} (none if it does not exist). */
    static List<String> entries(Path dir) {
        var found = new ArrayList<String>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(p -> found.add(p.toString()));
        } catch (IOException e) {
            // Removed while we looked.
        }
        return found;
    }

    /** Files and directories below {@code dir}, recursively (none if it does not exist). */
    static List<String> tree(Path dir) {
        var found = new ArrayList<String>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (var walk = Files.walk(dir)) {
            walk.filter(p -> !p.equals(dir)).forEach(p -> found.add(p.toString()));
        } catch (IOException | java.io.UncheckedIOException e) {
            // Removed while we looked.
        }
        return found;
    }

    /** Containers (any state) with this label filter, e.g. {@code dev.ranna.instance=<id>}, as "id name". */
    static List<String> containers(String labelFilter) {
        Result r = run("docker", "ps", "-a", "--filter", "label=" + labelFilter, "--format", "{{.ID}} {{.Names}}");
        if (r.exitCode() != 0) {
            throw new IllegalStateException("docker ps failed: " + r.output());
        }
        return lines(r.output());
    }

    static List<String> volumes() {
        Result r = run("docker", "volume", "ls", "-q");
        if (r.exitCode() != 0) {
            throw new IllegalStateException("docker volume ls failed: " + r.output());
        }
        return lines(r.output());
    }

    static List<String> lines(String text) {
        var out = new ArrayList<String>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }
}
