package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.RunId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-to-exit latency of a hello-world run through the sandbox: without input (warm pool, the common
 * case), with input (warm pool, two attaches), and on a terminal (never pooled) against a plain run
 * without a pool. Run with {@code -Dranna.docker.bench=true} (and {@code -Dranna.docker.bench.runtime=runsc},
 * {@code -Dranna.docker.bench.only=<series name>}); the figures are in the module README.
 */
@EnabledIfSystemProperty(named = "ranna.docker.bench", matches = "true")
class InteractiveLatencyBenchmarkTest {

    private static final Logger log = LoggerFactory.getLogger(InteractiveLatencyBenchmarkTest.class);
    private static final int WARMUP = 3;
    private static final int RUNS = 20;

    @BeforeAll
    static void needDocker() {
        DockerTestSupport.assumeDocker();
    }

    private static SandboxConfig config(int pool) {
        String runtime = System.getProperty("ranna.docker.bench.runtime", "");
        return runtime.isEmpty()
                ? DockerTestSupport.config(DockerSandboxConfig.POOL_SIZE, Integer.toString(pool))
                : DockerTestSupport.config(
                        DockerSandboxConfig.POOL_SIZE, Integer.toString(pool), SandboxConfig.RUNTIME, runtime);
    }

    @Test
    void helloWorld() throws Exception {
        try (DockerSandbox pooled = DockerTestSupport.create(config(2))) {
            measure(pooled, "plain, pool 2", StdinSource.EMPTY, false, true);
            measure(pooled, "stdin 'x', pool 2", StdinSource.of(new byte[] {'x'}), false, true);
        }
        try (DockerSandbox cold = DockerTestSupport.create(config(0))) {
            measure(cold, "plain, no pool", StdinSource.EMPTY, false, false);
            measure(cold, "tty, no pool", StdinSource.EMPTY, true, false);
        }
    }

    private static void measure(DockerSandbox sandbox, String name, StdinSource stdin, boolean tty, boolean warm)
            throws Exception {
        String only = System.getProperty("ranna.docker.bench.only", "");
        if (!only.isEmpty() && !name.equals(only)) {
            return;
        }
        var times = new ArrayList<Double>();
        for (int i = 0; i < WARMUP + RUNS; i++) {
            if (warm && i > 0) {
                DockerTestSupport.await(
                        Duration.ofSeconds(30),
                        "pool refilled",
                        () -> sandbox.warmContainers(DockerTestSupport.SH) == 2);
            }
            var request = SandboxRequest.builder(RunId.random(), DockerTestSupport.SH, "echo hi")
                    .timeout(Duration.ofSeconds(30))
                    .stdin(stdin)
                    .tty(tty)
                    .build();
            var sink = new DockerTestSupport.RecordingSink();
            long start = System.nanoTime();
            ExitStatus status =
                    sandbox.start(request, sink).exit().toCompletableFuture().get(60, TimeUnit.SECONDS);
            long end = System.nanoTime();
            assertThat(status.exitCode()).isZero();
            assertThat(sink.stdout()).isEqualTo(tty ? "hi\r\n" : "hi\n");
            if (i >= WARMUP) {
                times.add((end - start) / 1e6);
            }
        }
        Collections.sort(times);
        String line = String.format(
                "%-20s median %6.1f ms  p90 %6.1f ms  min %6.1f ms  (%d runs, %s)",
                name,
                times.get(times.size() / 2),
                times.get((int) Math.ceil(times.size() * 0.9) - 1),
                times.get(0),
                times.size(),
                sandbox.runtime().describe());
        log.info(line);
        System.out.println("BENCH " + line);
    }
}
