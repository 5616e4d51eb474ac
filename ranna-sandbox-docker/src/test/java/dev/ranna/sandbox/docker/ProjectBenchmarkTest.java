package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerProjectTest.shCompiling;
import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.SourceFile;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.docker.DockerTestSupport.StagedSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What projects cost through the sandbox, {@code start()} to {@code exit()}, sequential runs, warm pool of 2:
 * one code file against 64 files, a run's own memory limit (cgroup write, and {@code docker update}), and an
 * empty compile stage (the boundary: marker, limit, go line). Run with {@code -Dranna.docker.bench=true}
 * (add {@code -Dranna.docker.bench.runsc=true} for gVisor); the figures are in the module README.
 */
@EnabledIfSystemProperty(named = "ranna.docker.bench", matches = "true")
class ProjectBenchmarkTest {

    private static final Logger log = LoggerFactory.getLogger(ProjectBenchmarkTest.class);
    private static final int WARMUP = 3;
    private static final int RUNS = 15;

    @Test
    void measure() throws Exception {
        DockerTestSupport.assumeDocker();
        var results = new LinkedHashMap<String, Double>();
        measure("runc", false, results);
        measure("runc", true, results);
        cold("runc", results);
        if (Boolean.getBoolean("ranna.docker.bench.runsc")) {
            DockerTestSupport.assumeRunsc();
            measure(DockerTestSupport.RUNSC, false, results);
            cold(DockerTestSupport.RUNSC, results);
        }
        var table = new StringBuilder("\n| series | median ms |\n|---|---|\n");
        results.forEach((name, ms) -> table.append(String.format("| %s | %.1f |%n", name, ms)));
        log.info("project benchmark:{}", table);
    }

    private void measure(String runtime, boolean dockerUpdate, Map<String, Double> results) throws Exception {
        var keys = new ArrayList<>(List.of(DockerSandboxConfig.POOL_SIZE, "2", SandboxConfig.MEMORY, "256M"));
        if (!runtime.equals("runc")) {
            keys.addAll(List.of(SandboxConfig.RUNTIME, runtime));
        }
        MemoryLimits.forceDockerUpdateForTests = dockerUpdate;
        DockerSandbox sandbox;
        try {
            sandbox = DockerTestSupport.create(DockerTestSupport.config(keys.toArray(String[]::new)));
        } finally {
            MemoryLimits.forceDockerUpdateForTests = false;
        }
        try {
            String tag = runtime + (dockerUpdate ? " (docker update)" : "");
            var files = new ArrayList<SourceFile>();
            for (int i = 0; i < 64; i++) {
                files.add(new SourceFile("dir" + (i % 8) + "/file" + i + ".txt", new byte[1024]));
            }
            if (!dockerUpdate) {
                results.put(tag + ": one code file", median(sandbox, () -> builder(SH, "echo hi")));
                results.put(
                        tag + ": 64 files of 1 KiB",
                        median(sandbox, () -> builder(SH, "echo hi").files(files)));
                results.put(
                        tag + ": empty compile stage", median(sandbox, () -> builder(shCompiling("true"), "echo hi")));
            }
            results.put(
                    tag + ": own memory limit",
                    median(sandbox, () -> builder(SH, "echo hi").memoryLimit(32L << 20)));
        } finally {
            sandbox.close();
        }
    }

    /** Bypassing the pool, the other way to give a run its own limit: what a cold container costs. */
    private void cold(String runtime, Map<String, Double> results) throws Exception {
        var keys = new ArrayList<>(List.of(DockerSandboxConfig.POOL_SIZE, "0", SandboxConfig.MEMORY, "256M"));
        if (!runtime.equals("runc")) {
            keys.addAll(List.of(SandboxConfig.RUNTIME, runtime));
        }
        DockerSandbox sandbox = DockerTestSupport.create(DockerTestSupport.config(keys.toArray(String[]::new)));
        try {
            results.put(runtime + ": one code file, no pool", median(sandbox, () -> builder(SH, "echo hi")));
        } finally {
            sandbox.close();
        }
    }

    private static SandboxRequest.Builder builder(dev.ranna.engine.spi.LanguageSpec spec, String code) {
        return SandboxRequest.builder(RunId.random(), spec, code).timeout(Duration.ofSeconds(30));
    }

    private static double median(DockerSandbox sandbox, Supplier<SandboxRequest.Builder> request) throws Exception {
        var times = new ArrayList<Double>();
        for (int i = 0; i < WARMUP + RUNS; i++) {
            var sink = new StagedSink();
            long start = System.nanoTime();
            ExitStatus status = sandbox.start(request.get().build(), sink)
                    .exit()
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            double ms = (System.nanoTime() - start) / 1e6;
            assertThat(status.exitCode())
                    .as(sink.compile().stderr() + sink.stderr())
                    .isZero();
            assertThat(sink.compile().stdout() + sink.stdout()).isEqualTo("hi\n");
            if (i >= WARMUP) {
                times.add(ms);
            }
        }
        Collections.sort(times);
        return times.get(times.size() / 2);
    }
}
