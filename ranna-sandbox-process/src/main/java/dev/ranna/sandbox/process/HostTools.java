package dev.ranna.sandbox.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** The host programs the sandbox needs, found once, and small helpers to run them. */
final class HostTools {

    /** Result of a short helper command. */
    record Result(int exitCode, String output) {}

    private static final List<String> SYSTEM_DIRS =
            List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    final @Nullable Path bwrap;
    final @Nullable Path setpriv;
    final @Nullable Path prlimit;
    final Path shell;
    final boolean root;

    private HostTools(@Nullable Path bwrap, @Nullable Path setpriv, @Nullable Path prlimit, Path shell, boolean root) {
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.prlimit = prlimit;
        this.shell = shell;
        this.root = root;
    }

    /** Finds the tools; a configured bwrap path is used as given (null when it is not executable). */
    static HostTools find(Optional<Path> configuredBwrap) {
        Path bwrap = configuredBwrap.isPresent()
                ? configuredBwrap.filter(Files::isExecutable).orElse(null)
                : which("bwrap");
        Path shell = which("sh");
        return new HostTools(
                bwrap, which("setpriv"), which("prlimit"), shell == null ? Path.of("/bin/sh") : shell, isRoot());
    }

    /**
     * Finds {@code name} in the system directories first, then on the server's PATH: a sandbox helper runs
     * as root before any isolation, so a system copy wins over whatever an operator's PATH puts first.
     */
    static @Nullable Path which(String name) {
        var dirs = new LinkedHashSet<String>(SYSTEM_DIRS);
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty() && dir.startsWith("/")) {
                    dirs.add(dir);
                }
            }
        }
        for (String dir : dirs) {
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** util-linux {@code script}, which runs a terminal run's program on a pseudo-terminal. */
    Path script() {
        Path found = which("script");
        return found == null ? Path.of("/usr/bin/script") : found;
    }

    /** perl (Essential on Debian and Ubuntu), for the exit status waiter; null when missing. */
    @Nullable
    Path perl() {
        return which("perl");
    }

    /** util-linux {@code setsid}. */
    Path setsid() {
        Path found = which("setsid");
        return found == null ? Path.of("/usr/bin/setsid") : found;
    }

    /** Whether {@code script} and {@code stty} are here (and, under /usr, inside the sandbox too). */
    static boolean terminalTools() {
        return which("script") != null && which("stty") != null && which("setsid") != null;
    }

    /** Whether this JVM's effective uid is 0, from {@code /proc/self/status}. */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return ids.length > 1 && ids[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux or no procfs: treat as unprivileged, which only disables the uid drop.
        }
        return false;
    }

    /** The first line of {@code bwrap --version}, e.g. {@code "bubblewrap 0.8.0"}. */
    String bwrapVersion() {
        if (bwrap == null) {
            return "bubblewrap (not installed)";
        }
        try {
            Result result = run(List.of(bwrap.toString(), "--version"), null, Duration.ofSeconds(5));
            String line = result.output().strip().lines().findFirst().orElse("");
            return line.isEmpty() ? "bubblewrap" : line;
        } catch (IOException e) {
            return "bubblewrap";
        }
    }

    /**
     * Runs a short helper with a clean environment and returns its exit code and combined output. The
     * helper is killed at {@code timeout}. {@code stdin} is written and closed first, when given.
     */
    static Result run(List<String> argv, byte @Nullable [] stdin, Duration timeout) throws IOException {
        var builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8"));
        Process process = builder.start();
        try {
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            } catch (IOException e) {
                // The helper exited before reading: its exit code says why.
            }
            var output = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(process.getInputStream(), output), "ranna-process-probe");
            reader.setDaemon(true);
            reader.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new IOException(argv.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
            String text;
            synchronized (output) {
                text = output.toString(StandardCharsets.UTF_8);
            }
            return new Result(process.exitValue(), text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while running " + argv.get(0), e);
        } finally {
            process.toHandle().destroyForcibly();
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (out) {
                    if (out.size() < 64 * 1024) {
                        out.write(buffer, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            // The helper's output ends here; what was read is kept.
        }
    }

    /** The argv that drops from root to {@code uid}, with no groups, capabilities or way back. */
    List<String> setprivArgs(int uid) {
        if (setpriv == null) {
            throw new IllegalStateException("setpriv not found");
        }
        var args = new ArrayList<String>();
        args.add(setpriv.toString());
        args.add("--reuid=" + uid);
        args.add("--regid=" + uid);
        args.add("--clear-groups");
        args.add("--inh-caps=-all");
        args.add("--bounding-set=-all");
        args.add("--no-new-privs");
        args.add("--");
        return args;
    }
}
