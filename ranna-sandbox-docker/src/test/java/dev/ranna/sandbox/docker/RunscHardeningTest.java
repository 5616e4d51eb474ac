package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.client;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import dev.ranna.sandbox.tck.Deadline;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link DockerHardeningTest} on gVisor ({@code sandbox.runtime=runsc}): the same profile read back from a
 * live run container (whose {@code docker inspect} names runsc), the same hostile programs (fork bomb, pids
 * limit, memory bomb reported as OOM, output flood and timeout, file size limit, read-only root, no
 * network), and a kernel that is gVisor's: {@code uname -r} is the 4.4.0 that gVisor reports, not the host's.
 */
class RunscHardeningTest extends DockerHardeningTest {

    @Override
    void assumeRuntime() {
        DockerTestSupport.assumeRunsc();
    }

    @Override
    Optional<String> runtime() {
        return Optional.of(DockerTestSupport.RUNSC);
    }

    @Override
    String inspectedRuntime() {
        return DockerTestSupport.RUNSC;
    }

    /** gVisor's Sentry reports Linux 4.4.0 whatever the host runs. */
    @Override
    String expectedKernelRelease() {
        return "4.4.0";
    }

    /** Measured: about 8 host tasks per guest process, 56 for gVisor itself (see OciRuntime). */
    @Override
    long expectedHostPidsLimit(long pids) {
        return 64 + 8 * pids;
    }

    /**
     * Adapted: on gVisor the cgroup counts gVisor's host tasks, so a program does not see a fork fail with
     * EAGAIN at the limit as on runc; gVisor itself fails (or the memory limit, which also counts gVisor's
     * per-process stubs, is hit first) and the run ends. What must hold: the run ends promptly, not by the
     * timeout, and if it did finish it saw no more processes than the limit allows.
     */
    @Override
    @Test
    void forkingStopsAtThePidsLimit() throws Exception {
        var sink = new RecordingSink();
        long start = System.nanoTime();
        var request = request("(n=0; while [ $n -lt 200 ]; do sleep 30 & n=$((n+1)); done) 2>/dev/null\n"
                + "c=0; for p in /proc/[0-9]*; do c=$((c+1)); done; echo \"$c\"");
        Execution run = sandbox().start(request, sink);
        ExitStatus status;
        try (Deadline deadline = Deadline.kill(run, request.timeout())) {
            status = run.exit().toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(deadline.fired()).as("ended by the timeout: %s", status).isFalse();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        if (Integer.valueOf(0).equals(status.exitCode())) {
            assertThat(Integer.parseInt(sink.stdout().trim())).isBetween(2, 64);
        } else {
            assertThat(sink.stdout()).as("ended before counting: %s", status).isEmpty();
        }
        DockerTestSupport.await(
                Duration.ofSeconds(20),
                "the run's container removed",
                () -> client().listContainersCmd()
                        .withShowAll(true)
                        .withIdFilter(List.of(((DockerExecution) run).containerId()))
                        .exec()
                        .isEmpty());
    }

    /**
     * gVisor's {@code /proc/self/status} (2022-12-19) has no NoNewPrivs line; the flag is still asked for
     * ({@code no-new-privileges} in the inspected SecurityOpts, asserted for every runtime).
     */
    @Override
    boolean statusShowsNoNewPrivs() {
        return false;
    }

    @Override
    String expectedIsolation() {
        return "gVisor user-space kernel";
    }
}
