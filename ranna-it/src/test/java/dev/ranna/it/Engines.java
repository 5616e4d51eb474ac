package dev.ranna.it;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.sandbox.docker.DockerSandboxProvider;
import dev.ranna.sandbox.process.ProcessSandboxProvider;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Real engines and servers for the suites: the real sandboxes, configured as in production but smaller. */
final class Engines {
    static final String DOCKER_IMAGE = "ranna-test/busybox:local";

    private Engines() {}

    /** {@code sh}: the code is {@code /bin/sh main.sh}, in whichever sandbox. */
    static SpecRegistry shSpecs(String image) {
        var entries = new LinkedHashMap<String, SpecEntry>();
        entries.put(
                "sh",
                SpecEntry.builder()
                        .image(image)
                        .entrypoint("/bin/sh")
                        .filename("main.sh")
                        .language("shell")
                        .example("echo hi")
                        .build());
        return SpecRegistry.of(new SpecMap(entries));
    }

    /**
     * Limits small enough that every limit is reached quickly. No per-client run cap: every suite's
     * clients share the loopback address; {@code CapacityAttackTest} sets it to test it.
     */
    static RunLimits.Builder limits() {
        return RunLimits.builder()
                .maxRunsPerClient(0)
                .timeout(Duration.ofSeconds(5))
                .maxOutputBytes(256 * 1024)
                .maxCodeBytes(64 * 1024)
                .maxArgumentBytes(64 * 1024)
                .maxRunsPerSession(4)
                .maxConcurrentRuns(8)
                .maxQueuedRuns(64);
    }

    static Map<String, String> processConfig() {
        var config = new HashMap<String, String>();
        config.put(SandboxConfig.MEMORY, "64M");
        config.put("sandbox.process.pids", "64");
        config.put("sandbox.process.worksize", "8M");
        config.put("sandbox.process.tmpsize", "8M");
        return config;
    }

    static RannaEngine process(RunLimits limits, Map<String, String> config) {
        Requirements.bubblewrap();
        return RannaEngine.builder()
                .sandbox(new ProcessSandboxProvider())
                .sandboxConfig(SandboxConfig.of(config))
                .specs(shSpecs(null))
                .limits(limits)
                .shutdownTimeout(Duration.ofSeconds(10))
                .build();
    }

    static Map<String, String> dockerConfig() {
        var config = new HashMap<String, String>();
        config.put(SandboxConfig.SKIP_STARTUP_PREP, "true");
        config.put(SandboxConfig.MEMORY, "64M");
        config.put("scheduler.updateimages", "off");
        config.put("sandbox.docker.images", DOCKER_IMAGE);
        config.put("sandbox.docker.pids", "64");
        config.put("sandbox.docker.tmpfs.size", "8M");
        return config;
    }

    static RannaEngine docker(RunLimits limits, Map<String, String> config) {
        return docker(limits, SandboxConfig.of(config));
    }

    /** With a config of the caller's, whose {@link SandboxConfig#instanceId()} labels the containers. */
    static RannaEngine docker(RunLimits limits, SandboxConfig config) {
        Requirements.docker();
        return RannaEngine.builder()
                .sandbox(new DockerSandboxProvider())
                .sandboxConfig(config)
                .specs(shSpecs(DOCKER_IMAGE))
                .limits(limits)
                .shutdownTimeout(Duration.ofSeconds(20))
                .build();
    }

    static RannaServer server(RannaEngine engine, ServerOptions options) {
        return RannaServer.builder()
                .engine(engine)
                .host("127.0.0.1")
                .port(0)
                .options(options)
                .build()
                .start();
    }
}
