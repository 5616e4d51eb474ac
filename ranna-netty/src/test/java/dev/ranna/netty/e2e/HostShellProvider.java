package dev.ranna.netty.e2e;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.StdStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A test-scope sandbox that runs programs as plain host processes, without any isolation. The end-to-end
 * tests use it only when the real process sandbox is not on the test class path; it exists so the
 * server's behaviour can be tested end to end with real processes, real timing and real kills.
 */
final class HostShellProvider implements SandboxProvider {

    @Override
    public String name() {
        return "hostshell";
    }

    @Override
    public Availability availability() {
        return Availability.available("runs plain host processes (tests only)");
    }

    @Override
    public Sandbox create(SandboxConfig config) {
        return new HostShellSandbox();
    }

    static final class HostShellSandbox implements Sandbox {
        private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "hostshell-timer");
            thread.setDaemon(true);
            return thread;
        });

        @Override
        public Execution start(SandboxRequest request, OutputSink sink) throws SandboxException {
            Path dir;
            Process process;
            try {
                dir = Files.createTempDirectory("ranna-netty-e2e-");
                Files.writeString(dir.resolve(request.spec().filename()), request.code(), StandardCharsets.UTF_8);
                var builder = new ProcessBuilder(request.command()).directory(dir.toFile());
                builder.environment().putAll(request.environment());
                process = builder.start();
                process.getOutputStream().close();
            } catch (IOException e) {
                throw new SandboxException("cannot start: " + e.getMessage(), e);
            }
            long started = System.nanoTime();
            var killed = new AtomicBoolean();
            var timedOut = new AtomicBoolean();
            CompletableFuture<Void> out = pump(process.getInputStream(), StdStream.STDOUT, sink);
            CompletableFuture<Void> err = pump(process.getErrorStream(), StdStream.STDERR, sink);
            Runnable kill = () -> {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            };
            var timer = timers.schedule(
                    () -> {
                        timedOut.set(true);
                        kill.run();
                    },
                    request.timeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            CompletableFuture<ExitStatus> exit = process.onExit()
                    .thenCompose(p -> CompletableFuture.allOf(out, err))
                    .thenApply(ignored -> {
                        timer.cancel(false);
                        deleteQuietly(dir);
                        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
                        int code = process.exitValue();
                        if (killed.get() || timedOut.get()) {
                            return new ExitStatus(null, "SIGKILL", timedOut.get(), killed.get(), false, elapsed);
                        }
                        return code > 128
                                ? ExitStatus.signalled(ExitStatus.signalName(code - 128), elapsed)
                                : ExitStatus.exited(code, elapsed);
                    });
            return new Execution() {
                @Override
                public CompletionStage<ExitStatus> exit() {
                    return exit;
                }

                @Override
                public void kill() {
                    killed.set(true);
                    kill.run();
                }
            };
        }

        private static CompletableFuture<Void> pump(InputStream in, StdStream stream, OutputSink sink) {
            var done = new CompletableFuture<Void>();
            Thread thread = new Thread(
                    () -> {
                        byte[] buffer = new byte[8192];
                        try (in) {
                            for (int n; (n = in.read(buffer)) >= 0; ) {
                                sink.write(stream, buffer, 0, n);
                            }
                        } catch (IOException e) {
                            // The process is gone; its output ends here.
                        } finally {
                            done.complete(null);
                        }
                    },
                    "hostshell-" + stream);
            thread.setDaemon(true);
            thread.start();
            return done;
        }

        private static void deleteQuietly(Path dir) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder())
                        .forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // Temporary files of a test; the OS reaps them.
            }
        }

        @Override
        public String version() {
            return "hostshell 1";
        }

        @Override
        public void close() {
            timers.shutdownNow();
        }
    }
}
