package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.fail;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.tck.Deadline;
import dev.ranna.sandbox.tck.Infrastructure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Shared helpers of this module's tests: real processes, real bubblewrap, no mocks. */
final class TestSupport {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final Duration PROMPTLY = Duration.ofSeconds(10);

    private TestSupport() {}

    /** Skips (or under CI fails) unless bubblewrap works here: the gate every test module uses. */
    static void assumeBubblewrap() {
        Availability availability = new ProcessSandboxProvider()
                .availability(dev.ranna.engine.spi.SandboxConfig.defaults(), java.util.List.of());
        Infrastructure.require(
                availability.available(), "the process sandbox is not available here: " + availability.reason());
    }

    /** Skips (or under CI fails) unless the tests run as root, as the default production server does. */
    static void assumeRoot() {
        Infrastructure.require(HostTools.isRoot(), "needs a root server (per-run uids)");
    }

    static LanguageSpec sh() {
        return LanguageSpec.builder("sh", "main.sh")
                .entrypoint("/bin/sh")
                .language("shell")
                .build();
    }

    static LanguageSpec python() {
        return LanguageSpec.builder("python3", "main.py")
                .entrypoint("/usr/bin/python3")
                .language("python")
                .build();
    }

    static SandboxRequest request(LanguageSpec spec, String code, Duration timeout, String... arguments) {
        return new SandboxRequest(RunId.random(), spec, code, List.of(arguments), Map.of(), timeout);
    }

    /**
     * A finished run.
     *
     * @param timedOut the request's timeout passed and the test's {@link Deadline} (the engine's part)
     *     killed the run
     */
    record Finished(ExitStatus status, String stdout, String stderr, boolean timedOut) {}

    /** Runs {@code request} to its end, killing it at its timeout as the engine would. */
    static Finished run(Sandbox sandbox, SandboxRequest request) throws Exception {
        var sink = CollectingSink.create();
        Execution execution = sandbox.start(request, sink);
        sink.attach(execution);
        try (Deadline deadline = Deadline.kill(execution, request.timeout())) {
            ExitStatus status = await(execution, request.timeout().plus(PROMPTLY));
            return new Finished(status, sink.stdout(), sink.stderr(), deadline.fired());
        }
    }

    static Finished sh(Sandbox sandbox, String script, String... arguments) throws Exception {
        return run(sandbox, request(sh(), script, TIMEOUT, arguments));
    }

    static ExitStatus await(Execution execution, Duration timeout) throws InterruptedException {
        try {
            return execution.exit().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return fail("exit() did not complete within " + timeout);
        } catch (ExecutionException e) {
            return fail("exit() failed", e.getCause());
        }
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; external state has no events. */
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

    /** Live (non-zombie) host processes whose real uid is in [from, to), as "pid uid cmdline". */
    static List<String> processesWithUids(long from, long to) {
        var found = new ArrayList<String>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    long uid = -1;
                    boolean zombie = false;
                    for (String line : Files.readAllLines(proc.resolve("status"))) {
                        if (line.startsWith("State:")) {
                            zombie = line.contains("Z");
                        } else if (line.startsWith("Uid:")) {
                            uid = Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                        }
                    }
                    if (!zombie && uid >= from && uid < to) {
                        found.add(proc.getFileName() + " uid " + uid + " " + cmdline(proc));
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

    /**
     * Live processes of {@code sandbox}'s run uids, but for pooled sandboxes waiting for a run (the sandbox's
     * own until close(); their command lines say so).
     */
    static List<String> runProcesses(ProcessSandbox sandbox) {
        var config = sandbox.config();
        return processesWithUids(config.uidBase(), (long) config.uidBase() + config.uidCount()).stream()
                .filter(p -> !p.contains(Launcher.POOLED))
                .toList();
    }

    /**
     * {@code sandbox}'s run directories once the runs that ended have released theirs (right after their
     * end is reported), but for those of its pooled sandboxes: empty unless one leaked.
     */
    static List<Path> runDirectoriesLeft(ProcessSandbox sandbox) {
        var left = new ArrayList<Path>();
        poll(PROMPTLY, () -> {
            left.clear();
            try {
                left.addAll(sandbox.workDirs().runDirs());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            left.removeAll(
                    sandbox.pooled().stream().map(ProcessSandbox.Warm::runDir).toList());
            return left.isEmpty();
        });
        return left;
    }

    /** Live host processes whose command line contains {@code marker}. */
    static List<String> processesMatching(String marker) {
        var found = new ArrayList<String>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    if (proc.getFileName().toString().equals(Long.toString(self))) {
                        continue;
                    }
                    String cmdline = cmdline(proc);
                    if (cmdline.contains(marker)) {
                        found.add(proc.getFileName() + " " + cmdline);
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

    private static String cmdline(Path proc) throws IOException {
        return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
    }

    static int openFileDescriptors() {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
