package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.IMAGE;
import static dev.ranna.sandbox.docker.DockerTestSupport.client;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How should code reach a container? Measures, with raw docker-java and the sandbox's hardened profile, one
 * run of a one-line script from create to removal, for each safe delivery without a writable host mount.
 * Run with {@code -Dranna.docker.bench=true}; the figures are in the module README.
 */
@EnabledIfSystemProperty(named = "ranna.docker.bench", matches = "true")
class CodeDeliveryBenchmarkTest {

    private static final Logger log = LoggerFactory.getLogger(CodeDeliveryBenchmarkTest.class);
    private static final String CODE = "echo hi\n";
    private static final int WARMUP = 3;
    private static final int RUNS = 20;

    interface Variant {
        /** Untimed preparation (the pool's share); returns a container id or null. */
        default String prepare(DockerClient docker) {
            return null;
        }

        /** The timed part: deliver, run, collect, remove. Returns stdout. */
        String run(DockerClient docker, String prepared) throws Exception;
    }

    @BeforeAll
    static void needDocker() {
        DockerTestSupport.assumeDocker();
    }

    private static HostConfig hardened() {
        return HostConfig.newHostConfig()
                .withNetworkMode("none")
                .withMemory(64L << 20)
                .withMemorySwap(64L << 20)
                .withPidsLimit(64L)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withReadonlyRootfs(true)
                .withInit(true)
                .withTmpFs(Map.of(
                        "/work", "rw,nosuid,nodev,exec,size=16m,uid=65534,gid=65534",
                        "/tmp", "rw,nosuid,nodev,size=16m,uid=65534,gid=65534"));
    }

    private static CreateContainerCmd create(DockerClient docker) {
        return docker.createContainerCmd(IMAGE)
                .withUser("65534:65534")
                .withNetworkDisabled(true)
                .withLabels(Map.of(Labels.SANDBOX, "benchmark"));
    }

    /** Attaches (optionally with stdin), runs {@code start}, and returns stdout once the stream ends. */
    private static String attachAndCollect(DockerClient docker, String id, byte[] stdin, Runnable start)
            throws Exception {
        var out = new ByteArrayOutputStream();
        var callback = new StreamCallback<Frame>(frame -> out.writeBytes(frame.getPayload()));
        var attach =
                docker.attachContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true);
        if (stdin != null) {
            attach.withStdIn(new ByteArrayInputStream(stdin));
        }
        attach.exec(callback);
        callback.started().get(10, TimeUnit.SECONDS);
        start.run();
        callback.done().get(30, TimeUnit.SECONDS);
        docker.inspectContainerCmd(id).exec();
        docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static byte[] tar(String name, byte[] content) throws Exception {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            var entry = new TarArchiveEntry(name);
            entry.setSize(content.length);
            entry.setMode(0644);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    private static final Variant ARCHIVE_INTO_VOLUME = (docker, unused) -> {
        String id = create(docker)
                .withVolumes(new Volume("/code"))
                .withEntrypoint("/bin/sh", "/code/main.sh")
                .withHostConfig(hardened())
                .exec()
                .getId();
        docker.copyArchiveToContainerCmd(id)
                .withRemotePath("/code")
                .withTarInputStream(new ByteArrayInputStream(tar("main.sh", CODE.getBytes(StandardCharsets.UTF_8))))
                .exec();
        return attachAndCollect(
                docker, id, null, () -> docker.startContainerCmd(id).exec());
    };

    private static final Variant ENV_AND_PRINTF = (docker, unused) -> {
        String id = create(docker)
                .withEnv("RANNA_CODE=" + CODE)
                .withEntrypoint(
                        "/bin/sh",
                        "-c",
                        "cd /work && printf '%s' \"$RANNA_CODE\" > main.sh && unset RANNA_CODE"
                                + " && exec /bin/sh main.sh")
                .withHostConfig(hardened())
                .exec()
                .getId();
        return attachAndCollect(
                docker, id, null, () -> docker.startContainerCmd(id).exec());
    };

    private static String createStdinContainer(DockerClient docker) {
        String id = create(docker)
                .withEntrypoint("/bin/sh", "-c", Boot.SCRIPT)
                .withStdinOpen(true)
                .withHostConfig(hardened())
                .exec()
                .getId();
        docker.startContainerCmd(id).exec();
        return id;
    }

    private static byte[] payload() {
        return Boot.payload("/work", "main.sh", CODE, List.of("/bin/sh", "main.sh"), Map.of());
    }

    private static final Variant STDIN_COLD =
            (docker, unused) -> attachAndCollect(docker, createStdinContainer(docker), payload(), () -> {});

    private static final Variant STDIN_POOLED = new Variant() {
        @Override
        public String prepare(DockerClient docker) {
            return createStdinContainer(docker);
        }

        @Override
        public String run(DockerClient docker, String prepared) throws Exception {
            return attachAndCollect(docker, prepared, payload(), () -> {});
        }
    };

    private static String measure(String name, Variant variant) throws Exception {
        DockerClient docker = client();
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < WARMUP + RUNS; i++) {
            String prepared = variant.prepare(docker);
            long start = System.nanoTime();
            String out = variant.run(docker, prepared);
            long elapsed = (System.nanoTime() - start) / 1000;
            assertThat(out).as(name).isEqualTo("hi\n");
            if (i >= WARMUP) {
                micros.add(elapsed);
            }
        }
        Collections.sort(micros);
        String line = String.format(
                "| %s | %.0f | %.0f | %.0f |",
                name, micros.get(RUNS / 2) / 1000.0, micros.get(0) / 1000.0, micros.get(RUNS * 9 / 10) / 1000.0);
        log.info(line);
        return line;
    }

    @Test
    void compareCodeDeliveries() throws Exception {
        var table = new StringBuilder("\n| delivery | median ms | min | p90 |\n");
        table.append(measure(
                        "archive into anonymous volume (create, copy, attach, start, wait, remove)",
                        ARCHIVE_INTO_VOLUME))
                .append('\n');
        table.append(measure("env var + printf (create, attach, start, wait, remove)", ENV_AND_PRINTF))
                .append('\n');
        table.append(measure("stdin, cold (create, start, attach+payload, wait, remove)", STDIN_COLD))
                .append('\n');
        table.append(measure("stdin, pooled (attach+payload, wait, remove)", STDIN_POOLED))
                .append('\n');
        log.info("code delivery, {} runs each after {} warm-up runs:{}", RUNS, WARMUP, table);
    }
}
