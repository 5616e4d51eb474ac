package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import dev.ranna.sandbox.tck.Infrastructure;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/** Shared pieces of the Docker tests: the gate, the test image's specs, a recording sink, polling. */
final class DockerTestSupport {

    /** Built by .ci/run from the host's busybox-static; never pulled. */
    static final String IMAGE = "ranna-test/busybox:local";

    static final LanguageSpec SH = LanguageSpec.builder("sh", "main.sh")
            .image(IMAGE)
            .entrypoint("/bin/sh")
            .language("shell")
            .build();

    /**
     * Built by .ci/run with debootstrap from the machine's Debian mirror: python3, gcc and libc6-dev on
     * bookworm (minbase), WORKDIR /work; never pulled.
     */
    static final String TOOLCHAIN = "ranna-test/toolchain:local";

    private static volatile Availability availability;

    /** Skips (or, under CI, fails) the calling test when {@value #TOOLCHAIN} is not on the engine. */
    static void assumeToolchain() {
        assumeDocker();
        boolean present;
        try {
            client().inspectImageCmd(TOOLCHAIN).exec();
            present = true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            present = false;
        }
        Infrastructure.require(present, "image " + TOOLCHAIN + " is missing; .ci/run builds it");
    }

    /**
     * Records output with the stage it arrived in (before or after {@link OutputSink#compiled}) and the
     * compile's status; thread-safe.
     */
    static final class StagedSink extends RecordingSink {
        private final RecordingSink compile = new RecordingSink();
        private volatile ExitStatus compiled;
        private final java.util.concurrent.atomic.AtomicInteger compiledCalls =
                new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public synchronized void write(StdStream stream, byte[] data, int offset, int length) {
            if (compiled == null) {
                compile.write(stream, data, offset, length);
            } else {
                super.write(stream, data, offset, length);
            }
        }

        @Override
        public synchronized void compiled(ExitStatus status) {
            compiledCalls.incrementAndGet();
            compiled = status;
        }

        /** The compile stage's output. */
        RecordingSink compile() {
            return compile;
        }

        /** The compile's status, or null if {@link #compiled} was not called. */
        ExitStatus compiledStatus() {
            return compiled;
        }

        int compiledCalls() {
            return compiledCalls.get();
        }
    }

    private DockerTestSupport() {}

    /** Skips (or, under CI, fails) the calling test when no Docker engine answers: the shared gate. */
    static void assumeDocker() {
        Availability a = availability;
        if (a == null) {
            a = new DockerSandboxProvider().availability(SandboxConfig.defaults(), java.util.List.of());
            availability = a;
        }
        Infrastructure.require(a.available(), "no Docker engine: " + a.reason());
    }

    /** gVisor's runtime, as .ci/run registers it with the engine. */
    static final String RUNSC = "runsc";

    /**
     * Skips (or, under CI, fails) the calling test when the engine has no {@value #RUNSC} runtime; .ci/run
     * installs and registers it.
     */
    static void assumeRunsc() {
        assumeDocker();
        var runtimes = client().infoCmd().exec().getRuntimes();
        Infrastructure.require(
                runtimes != null && runtimes.containsKey(RUNSC),
                "the Docker engine has no " + RUNSC + " runtime (gVisor; .ci/run registers it), only "
                        + (runtimes == null ? "(none listed)" : runtimes.keySet()));
    }

    /** A config for tests: no start-up pulls, no schedule, the given extra keys. */
    static SandboxConfig config(String... keyValues) {
        var map = new HashMap<String, String>();
        map.put(SandboxConfig.SKIP_STARTUP_PREP, "true");
        map.put(DockerSandboxConfig.UPDATE_IMAGES, "off");
        map.put(DockerSandboxConfig.IMAGES, IMAGE);
        map.put(SandboxConfig.MEMORY, "64M");
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return SandboxConfig.of(map);
    }

    static DockerSandbox create(SandboxConfig config) throws Exception {
        return (DockerSandbox) new DockerSandboxProvider().create(config);
    }

    static SandboxRequest request(String code) {
        return request(SH, code, List.of(), Map.of(), Duration.ofSeconds(20));
    }

    static SandboxRequest request(
            LanguageSpec spec, String code, List<String> args, Map<String, String> env, Duration timeout) {
        return new SandboxRequest(RunId.random(), spec, code, args, env, timeout);
    }

    /** Polls {@code condition} every 20 ms until it holds or {@code timeout} passes. */
    static void await(Duration timeout, String what, BooleanSupplier condition) {
        Awaitility.await(what)
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }

    /** Records output; thread-safe. */
    static class RecordingSink implements OutputSink {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private long bytes;

        @Override
        public synchronized void write(StdStream stream, byte[] data, int offset, int length) {
            (stream == StdStream.STDOUT ? out : err).write(data, offset, length);
            bytes += length;
        }

        synchronized String stdout() {
            return out.toString(StandardCharsets.UTF_8);
        }

        synchronized String stderr() {
            return err.toString(StandardCharsets.UTF_8);
        }

        synchronized long bytes() {
            return bytes;
        }
    }

    private static volatile DockerClient testClient;

    /** A client of the tests' own, independent of any sandbox. */
    static synchronized DockerClient client() {
        if (testClient == null) {
            var cfg = DockerSandboxProvider.clientConfig(java.util.Optional.empty());
            testClient = DockerClientImpl.getInstance(
                    cfg,
                    new ApacheDockerHttpClient.Builder()
                            .dockerHost(cfg.getDockerHost())
                            .sslConfig(cfg.getSSLConfig())
                            .maxConnections(20)
                            .build());
        }
        return testClient;
    }

    /** Containers (any state) labelled with engine instance {@code instanceId}. */
    static List<Container> containersOf(String instanceId) {
        return client().listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(Labels.INSTANCE, instanceId))
                .exec();
    }

    /** Asserts that nothing labelled with the instance of {@code config} is left. */
    static void assertNoContainers(SandboxConfig config) {
        assertThat(containersOf(config.instanceId())).isEmpty();
    }
}
