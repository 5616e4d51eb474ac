package dev.ranna.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BenchServer} in a child JVM: started through {@code sh -c 'ulimit -n ...; exec java ...'} (so
 * the pid is the JVM's), with its log in {@code target/bench-logs}. Heap figures come from the server
 * itself (after two full GCs), RSS from {@code /proc/<pid>/status}.
 */
final class ServerProcess implements AutoCloseable {

    /** The JVM options of every bench server; reported in docs/benchmarks.md. */
    static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx1g", "-XX:+UseG1GC");

    private final Process process;
    private final BufferedReader out;
    private final PrintStream in;
    private final int port;
    final String name;

    private ServerProcess(String name, Process process) throws IOException {
        this.name = name;
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        String line = out.readLine();
        while (line != null && !line.startsWith("PORT ")) {
            line = out.readLine(); // e.g. JFR's startup message
        }
        if (line == null) {
            process.destroyForcibly();
            throw new IOException(
                    "bench server '" + name + "' did not start (see target/bench-logs/" + name + ".log): " + line);
        }
        this.port = Integer.parseInt(line.substring(5).trim());
    }

    static ServerProcess start(String name, List<String> extraJvmOptions, String... args) throws IOException {
        Path logs = Path.of("target", "bench-logs");
        Files.createDirectories(logs);
        var cmd = new ArrayList<String>();
        cmd.add("sh");
        cmd.add("-c");
        cmd.add("ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"");
        cmd.add("bench-server");
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(extraJvmOptions);
        // For profiling: e.g. RANNA_BENCH_SERVER_JVM_OPTS="-XX:StartFlightRecording=filename=/tmp/s.jfr".
        String env = System.getenv("RANNA_BENCH_SERVER_JVM_OPTS");
        if (env != null && !env.isBlank()) {
            cmd.addAll(List.of(env.trim().split("\\s+")));
        }
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BenchServer.class.getName());
        cmd.addAll(List.of(args));
        // For experiments: extra BenchServer arguments, e.g. "sandbox.process.cgroups=off".
        String extra = System.getenv("RANNA_BENCH_SERVER_ARGS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        Process p = new ProcessBuilder(cmd)
                .redirectError(logs.resolve(name + ".log").toFile())
                .start();
        return new ServerProcess(name, p);
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** Heap used after two full GCs, in bytes. */
    synchronized long heapAfterGc() throws IOException {
        in.println("heap");
        String line = out.readLine();
        if (line == null || !line.startsWith("HEAP ")) {
            throw new IOException("unexpected answer: " + line);
        }
        return Long.parseLong(line.split(" ")[1]);
    }

    synchronized int connections() throws IOException {
        in.println("conns");
        String line = out.readLine();
        if (line == null || !line.startsWith("CONNS ")) {
            throw new IOException("unexpected answer: " + line);
        }
        return Integer.parseInt(line.substring(6).trim());
    }

    /** Resident set size of the server JVM, bytes. */
    long rss() {
        return statusKb("VmRSS:") * 1024;
    }

    private long statusKb(String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (l.startsWith(key)) {
                    return Long.parseLong(l.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    @Override
    public void close() {
        try {
            in.println("quit");
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
