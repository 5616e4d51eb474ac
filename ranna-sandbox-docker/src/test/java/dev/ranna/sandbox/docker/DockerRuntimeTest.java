package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.RUNSC;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeRunsc;
import static dev.ranna.sandbox.docker.DockerTestSupport.client;
import static dev.ranna.sandbox.docker.DockerTestSupport.config;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sandbox.runtime}: checked against the engine's runtimes at start, reported by {@code info()}, and on
 * gVisor ({@code runsc}, registered by .ci/run with {@code --oci-seccomp}) ranna's seccomp profile still
 * filters, inside gVisor's kernel, in fresh and warm-pool containers alike.
 */
class DockerRuntimeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SandboxConfig config;
    private DockerSandbox sandbox;

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
        }
    }

    @Test
    void runtimesAreReadFromTheEnginesInfo() throws Exception {
        var info = JSON.readTree("""
                {"DefaultRuntime": "runc",
                 "Runtimes": {"runc": {"path": "runc"},
                              "runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none", "--oci-seccomp"]},
                              "gvisor-plain": {"path": "/opt/gvisor/runsc"}}}
                """);
        OciRuntime runc = OciRuntime.resolve(Optional.empty(), info, "unix:///x");
        assertThat(runc.name()).isEqualTo("runc");
        assertThat(runc.gvisor()).isFalse();
        assertThat(runc.isolation()).isEqualTo("shared host kernel");
        assertThat(runc.describe()).isEqualTo("runc (runc), the engine's default");

        OciRuntime runsc = OciRuntime.resolve(Optional.of("runsc"), info, "unix:///x");
        assertThat(runsc.gvisor()).isTrue();
        assertThat(runsc.gvisorLoadsSeccomp()).isTrue();
        assertThat(runsc.isolation()).isEqualTo("gVisor user-space kernel");
        assertThat(runsc.describe()).isEqualTo("runsc (/usr/bin/runsc --network=none --oci-seccomp)");

        OciRuntime plain = OciRuntime.resolve(Optional.of("gvisor-plain"), info, "unix:///x");
        assertThat(plain.gvisor()).as("recognised by its binary").isTrue();
        assertThat(plain.gvisorLoadsSeccomp()).isFalse();

        assertThatThrownBy(() -> OciRuntime.resolve(Optional.of("kata"), info, "unix:///x"))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("no runtime \"kata\"")
                .hasMessageContaining("it has gvisor-plain, runc, runsc");
    }

    @Test
    void anUnknownRuntimeIsRefusedAtStartNamingTheEnginesRuntimes() {
        assumeDocker();
        config = config(SandboxConfig.RUNTIME, "no-such-runtime");
        assertThatThrownBy(() -> DockerTestSupport.create(config))
                .isInstanceOfSatisfying(
                        SandboxException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .hasMessageContaining("has no runtime \"no-such-runtime\" (sandbox.runtime)")
                .hasMessageContaining("it has ")
                .hasMessageContaining("runc");
        DockerTestSupport.assertNoContainers(config);
    }

    @Test
    void onGvisorRannasProfileFiltersInsideGvisorsKernelInFreshAndPooledContainers() throws Exception {
        assumeRunsc();
        config = config(DockerSandboxConfig.POOL_SIZE, "1", SandboxConfig.RUNTIME, RUNSC);
        sandbox = DockerTestSupport.create(config);
        assertThat(sandbox.runtime().gvisorLoadsSeccomp())
                .as(
                        "runsc registered with --oci-seccomp (.ci/run): %s",
                        sandbox.runtime().describe())
                .isTrue();
        assertThat(sandbox.info().get("syscalls"))
                .startsWith("served by gVisor's user-space kernel, filtered inside it by seccomp x86_64: ")
                .endsWith(" (EPERM under gVisor), 32-bit and x32 calls refused by gVisor")
                .doesNotContain("kill");
        // Twice: with a pool of one, the second run is served by a container the pool started.
        for (int i = 0; i < 2; i++) {
            assertThat(probe())
                    .containsEntry("getpid", "ok")
                    .containsEntry("clone_plain", "ok")
                    // gVisor implements io_uring itself and the engine's default profile lets it through
                    // (io_uring_setup=ok there), so a refusal is ranna's profile answering. gVisor
                    // (2022-12-19) applies an OCI profile's rules but not their errnoRet: every denied call
                    // gets EPERM where runc gives ranna's ENOSYS; the 32-bit and x32 entry points are not
                    // killed, gVisor refuses them itself.
                    .containsEntry("io_uring_setup", "EPERM")
                    .containsEntry("io_uring_enter", "EPERM")
                    .containsEntry("io_uring_register", "EPERM")
                    .containsEntry("clone3", "EPERM")
                    .containsEntry("userfaultfd", "EPERM")
                    .containsEntry("bpf", "EPERM")
                    .containsEntry("keyctl", "EPERM")
                    .containsEntry("unshare_newuser", "EPERM")
                    .doesNotContainEntry("int80_getpid", "ok")
                    .doesNotContainEntry("x32_getpid", "ok")
                    .containsEntry("mount", "EPERM");
        }
        DockerTestSupport.await(
                Duration.ofSeconds(20),
                "a warm container",
                () -> !sandbox.ownContainers().isEmpty());
        for (var container : sandbox.ownContainers()) {
            var host = client().inspectContainerCmd(container.getId()).exec().getHostConfig();
            assertThat(host.getRuntime()).isEqualTo(RUNSC);
            assertThat(host.getSecurityOpts())
                    .anySatisfy(opt -> assertThat(opt).startsWith("seccomp=").contains("io_uring_setup"));
        }
    }

    /**
     * The boot script reads the header in one {@code head -c}, not with the shell's byte-at-a-time {@code
     * read}: on gVisor every system call goes through its kernel, and 20,000 arguments took 4.8 s to read
     * byte by byte (more than the exploit suite's 5 s timeout with the rest). Both runtimes, real containers:
     * a full payload runs, a header cut short runs nothing and exits 125.
     */
    @Test
    void theBootHeaderIsReadInOneGoAndACutHeaderRunsNothing() throws Exception {
        assumeDocker();
        byte[] payload = Boot.payload(
                "/tmp",
                "main.sh",
                "echo ran $#",
                java.util.stream.Stream.concat(
                                java.util.stream.Stream.of("/bin/sh", "main.sh"),
                                java.util.Collections.nCopies(20_000, "a").stream())
                        .toList(),
                Map.of());
        String text = new String(payload, java.nio.charset.StandardCharsets.UTF_8);
        // the header without its end line: a complete, valid script that must still not run
        byte[] cut = java.util.Arrays.copyOf(payload, text.indexOf(Boot.END) - 1);

        bootsQuicklyAndRefusesACutHeader("runc", payload, cut);

        // An image whose dd lacks iflag=fullblock (busybox before 1.33): a function shadows the applet and
        // fails as such a dd does, and the script falls back to reading the header line by line.
        String oldDd = "dd() { echo 'dd: invalid oflag' >&2; return 1; }; ";
        var fallback = bootInContainer("runc", oldDd, payload);
        assertThat(fallback.getValue()).as("fallback: %s", fallback.getKey()).isZero();
        assertThat(fallback.getKey()).isEqualTo("ran 20000\n");
        var cutFallback = bootInContainer("runc", oldDd, cut);
        assertThat(cutFallback.getValue())
                .as("fallback, cut: %s", cutFallback.getKey())
                .isEqualTo(125);

        assumeRunsc();
        bootsQuicklyAndRefusesACutHeader(RUNSC, payload, cut);
    }

    private static void bootsQuicklyAndRefusesACutHeader(String runtime, byte[] payload, byte[] cut) throws Exception {
        long start = System.nanoTime();
        var full = bootInContainer(runtime, "", payload);
        assertThat(full.getValue()).as("%s: %s", runtime, full.getKey()).isZero();
        assertThat(full.getKey()).isEqualTo("ran 20000\n");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("%s: boot with 20,000 arguments", runtime)
                .isLessThan(Duration.ofSeconds(3));
        var truncated = bootInContainer(runtime, "", cut);
        assertThat(truncated.getValue())
                .as("%s: %s", runtime, truncated.getKey())
                .isEqualTo(125);
        assertThat(truncated.getKey()).doesNotContain("ran");
    }

    /** {@code docker run -i} of {@code prelude} and the boot script, fed {@code payload}; stdout, exit status. */
    private static Map.Entry<String, Integer> bootInContainer(String runtime, String prelude, byte[] payload)
            throws Exception {
        Process p = new ProcessBuilder(
                        "docker",
                        "run",
                        "--rm",
                        "-i",
                        "--runtime",
                        runtime,
                        "--network",
                        "none",
                        "--user",
                        "65534",
                        DockerTestSupport.IMAGE,
                        "/bin/sh",
                        "-c",
                        prelude + Boot.SCRIPT)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (var in = p.getOutputStream()) {
            in.write(payload);
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return Map.entry(out, p.exitValue());
    }

    private Map<String, String> probe() throws Exception {
        var sink = new RecordingSink();
        Execution run = sandbox.start(
                request(
                        "test -x /bin/syscall-probe || { echo 'no probe: rebuild the image with .ci/run' >&2; exit 3; }\n"
                                + "syscall-probe\n"),
                sink);
        ExitStatus status = run.exit().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertThat(status.exitCode()).as("%s %s", sink.stdout(), sink.stderr()).isZero();
        var results = new LinkedHashMap<String, String>();
        sink.stdout().lines().map(line -> line.split("=", 2)).forEach(kv -> results.put(kv[0], kv[1]));
        return results;
    }
}
