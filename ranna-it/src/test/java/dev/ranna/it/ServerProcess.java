package dev.ranna.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The standalone server jar ({@code ranna-netty/target/ranna-server.jar}) in its own JVM, with the
 * process sandbox, on a free loopback port; its output goes to {@code target/it-<name>.log}.
 */
final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private ServerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts the server and waits until {@code /healthz} answers.
     *
     * @param wrapper a command that execs the JVM (e.g. {@code prlimit --nofile=...}), or empty
     * @param jvmOptions options for the JVM, e.g. {@code -Xmx256m}
     * @param settings configuration as {@code key=value}, passed with {@code --set}
     */
    static ServerProcess start(String name, List<String> wrapper, List<String> jvmOptions, List<String> settings)
            throws IOException {
        Requirements.bubblewrap();
        Path jar = Path.of(System.getProperty("ranna.it.serverJar", "../ranna-netty/target/ranna-server.jar"));
        Requirements.check(
                Files.isRegularFile(jar),
                "the server jar " + jar + " is missing: mvn -q -pl ranna-netty package -DskipTests");
        if (!wrapper.isEmpty()) {
            Requirements.check(
                    Host.run(wrapper.get(0), "--version").exitCode() == 0, wrapper.get(0) + " is not installed");
        }
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path log = Path.of("target", "it-" + name + ".log");
        var command = new ArrayList<>(wrapper);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-jar",
                jar.toString(),
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--sandbox",
                "process"));
        for (String setting : settings) {
            command.add("--set");
            command.add(setting);
        }
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        var server = new ServerProcess(process, port, log);
        if (!Host.poll(Duration.ofSeconds(60), () -> DescriptorExhaustionTest.healthz(port) == 200)) {
            server.close();
            throw new AssertionError("the server did not come up; log " + log + ":\n" + server.log());
        }
        return server;
    }

    int port() {
        return port;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** User plus system CPU time of the server, from /proc/<pid>/stat (clock ticks of 10 ms). */
    long cpuMillis() {
        try {
            // A wrapper such as prlimit execs the JVM, so the process is the JVM.
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
