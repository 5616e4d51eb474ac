package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.client;
import static dev.ranna.sandbox.docker.DockerTestSupport.config;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ranna's seccomp profile on real run containers: the test image's static probe ({@code
 * .ci/probe/syscall-probe.c}) makes each denied call from inside and must see the policy's errno, the
 * 32-bit and x32 entry points must kill, warm-pool containers carry the same profile, and ordinary shell
 * work goes on. With {@value DockerSandboxConfig#SECCOMP}{@code =docker} the same probe sees io_uring
 * succeed: the probe tells the profiles apart.
 */
class DockerSeccompTest {
    private SandboxConfig config;
    private DockerSandbox sandbox;

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
        }
    }

    private void create(String seccomp) throws Exception {
        assumeDocker();
        config = config(DockerSandboxConfig.POOL_SIZE, "1", DockerSandboxConfig.SECCOMP, seccomp);
        sandbox = DockerTestSupport.create(config);
    }

    private String run(String script) throws Exception {
        var sink = new RecordingSink();
        Execution run = sandbox.start(request(script), sink);
        ExitStatus status = run.exit().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertThat(status.exitCode()).as("%s %s", sink.stdout(), sink.stderr()).isZero();
        return sink.stdout();
    }

    private Map<String, String> probe() throws Exception {
        String out =
                run("test -x /bin/syscall-probe || { echo 'no probe: rebuild the image with .ci/run' >&2; exit 3; }\n"
                        + "syscall-probe\n"
                        + "echo status_seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status)\n");
        var results = new LinkedHashMap<String, String>();
        out.lines().map(line -> line.split("=", 2)).forEach(kv -> results.put(kv[0], kv[1]));
        return results;
    }

    @Test
    void deniedCallsFailInsideWithThePolicysErrnoInFreshAndPooledContainers() throws Exception {
        create("ranna");
        assertThat(sandbox.info().get("syscalls")).startsWith("seccomp x86_64: ");
        // Twice: with a pool of one, the second run is served by a container the pool started.
        for (int i = 0; i < 2; i++) {
            assertThat(probe())
                    .containsEntry("getpid", "ok")
                    .containsEntry("clone_plain", "ok")
                    .containsEntry("io_uring_setup", "ENOSYS")
                    .containsEntry("io_uring_enter", "ENOSYS")
                    .containsEntry("io_uring_register", "ENOSYS")
                    .containsEntry("clone3", "ENOSYS")
                    .containsEntry("userfaultfd", "EPERM")
                    .containsEntry("bpf", "EPERM")
                    .containsEntry("perf_event_open", "EPERM")
                    .containsEntry("keyctl", "EPERM")
                    .containsEntry("add_key", "EPERM")
                    .containsEntry("unshare_newuser", "EPERM")
                    .containsEntry("setns", "EPERM")
                    .containsEntry("mount", "EPERM")
                    .containsEntry("open_by_handle_at", "EPERM")
                    .containsEntry("personality_linux32", "EPERM")
                    .containsEntry("clone_newns", "EPERM")
                    .containsEntry("int80_getpid", "killed-SIGSYS")
                    .containsEntry("x32_getpid", "killed-SIGSYS")
                    .containsEntry("status_seccomp", "2");
        }
        DockerTestSupport.await(
                Duration.ofSeconds(20),
                "a warm container",
                () -> !sandbox.ownContainers().isEmpty());
        for (var container : sandbox.ownContainers()) {
            assertThat(client().inspectContainerCmd(container.getId())
                            .exec()
                            .getHostConfig()
                            .getSecurityOpts())
                    .contains("no-new-privileges")
                    .anySatisfy(opt -> assertThat(opt).startsWith("seccomp=").contains("io_uring_setup"));
        }
    }

    @Test
    void ordinaryShellWorkStillRuns() throws Exception {
        create("ranna");
        String out = run("echo a > /tmp/f; cat /tmp/f | tr a b; (sleep 0; echo sub) & wait; "
                + "for i in 1 2 3; do echo $i; done | wc -l; sort -r </dev/null; uname -m\n");
        assertThat(out).isEqualTo("b\nsub\n3\nx86_64\n");
    }

    @Test
    void withTheEnginesDefaultProfileIoUringIsAllowed() throws Exception {
        create("docker");
        assertThat(sandbox.info().get("syscalls")).contains("default");
        Map<String, String> results = probe();
        // Docker 20.10's default profile: io_uring and int 0x80 pass, the namespace calls do not.
        assertThat(results)
                .containsEntry("io_uring_setup", "ok")
                .containsEntry("int80_getpid", "ok")
                .containsEntry("unshare_newuser", "EPERM")
                .containsEntry("status_seccomp", "2");
    }
}
