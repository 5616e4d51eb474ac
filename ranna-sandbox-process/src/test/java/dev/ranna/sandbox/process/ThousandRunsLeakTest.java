package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.SandboxConfig;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** 1,000 short runs, four at a time: every output complete, and nothing leaks. */
class ThousandRunsLeakTest {
    private static final int RUNS = 1000;
    private static final int CONCURRENCY = 4;

    @Test
    void thousandRunsLeaveNoProcessDirectoryDescriptorOrThread() throws Exception {
        TestSupport.assumeBubblewrap();
        var threads = ManagementFactory.getThreadMXBean();
        ExecutorService clients = Executors.newFixedThreadPool(CONCURRENCY);
        ProcessSandbox sandbox = (ProcessSandbox) new ProcessSandboxProvider().create(SandboxConfig.defaults());
        try {
            // Warm-up at the same concurrency, so lazily made JDK threads (process reapers) exist before counting.
            runAll(sandbox, clients, 2 * CONCURRENCY);
            int fdsBefore = TestSupport.openFileDescriptors();

            long started = System.nanoTime();
            runAll(sandbox, clients, RUNS);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            System.out.printf(
                    "%d runs, %d at a time, took %d ms: %.1f ms per run, %.0f runs/s%n",
                    RUNS,
                    CONCURRENCY,
                    took.toMillis(),
                    took.toMillis() / (double) RUNS,
                    RUNS / (took.toMillis() / 1000.0));

            // A run is tracked until it has released what it held, just after its end was reported.
            assertThat(TestSupport.poll(TestSupport.PROMPTLY, () -> sandbox.running() == 0))
                    .as("runs still tracked: %d", sandbox.running())
                    .isTrue();
            assertThat(Leftovers.of(sandbox, false))
                    .as("left behind while open")
                    .isEmpty();
            assertThat(TestSupport.openFileDescriptors())
                    .as("open file descriptors of this JVM after %d runs", RUNS)
                    .isLessThanOrEqualTo(fdsBefore + 2);
        } finally {
            sandbox.close();
            clients.shutdownNow();
            clients.awaitTermination(10, TimeUnit.SECONDS);
        }
        assertThat(Leftovers.of(sandbox, true)).as("left behind after close").isEmpty();
        assertThat(TestSupport.poll(
                        Duration.ofSeconds(20), () -> sandboxThreads().isEmpty()))
                .as("sandbox threads after close: %s", sandboxThreads())
                .isTrue();
        assertThat(threads.getThreadCount()).isLessThan(100);
    }

    private static List<String> sandboxThreads() {
        var names = new ArrayList<String>();
        Thread.getAllStackTraces().keySet().forEach(thread -> {
            if (thread.getName().startsWith("ranna-process-")) {
                names.add(thread.getName());
            }
        });
        return names;
    }

    private static void runAll(ProcessSandbox sandbox, ExecutorService clients, int count) throws Exception {
        var futures = new ArrayList<Future<?>>();
        for (int i = 0; i < count; i++) {
            String n = Integer.toString(i);
            futures.add(clients.submit(() -> {
                var run = TestSupport.sh(sandbox, "echo \"$1\"; echo \"e$1\" >&2\n", n);
                assertThat(run.status().exitCode())
                        .as("run %s: %s", n, run.stderr())
                        .isZero();
                assertThat(run.stdout()).isEqualTo(n + "\n");
                assertThat(run.stderr()).isEqualTo("e" + n + "\n");
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get(2, TimeUnit.MINUTES);
        }
    }
}
