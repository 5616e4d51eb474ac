package dev.ranna.it;

import dev.ranna.engine.spi.Availability;
import dev.ranna.sandbox.docker.DockerSandboxProvider;
import dev.ranna.sandbox.process.ProcessSandboxProvider;
import dev.ranna.sandbox.tck.Infrastructure;
import java.util.List;

/**
 * The suites' gates, on top of the one gate of every test module ({@link Infrastructure}). A missing
 * bubblewrap, Docker engine or root skips a suite with the reason, except under {@code CI=true} (or
 * {@code -Dranna.tck.requireAvailable=true}), where it fails: CI must never pass by skipping what it is
 * there to prove.
 */
final class Requirements {
    private static volatile Availability process;
    private static volatile Availability docker;

    private Requirements() {}

    static void bubblewrap() {
        Availability a = process;
        if (a == null) {
            a = new ProcessSandboxProvider()
                    .availability(dev.ranna.engine.spi.SandboxConfig.defaults(), java.util.List.of());
            process = a;
        }
        check(a.available(), "the process sandbox with bubblewrap is not available: " + a.reason());
    }

    static void docker() {
        Availability a = docker;
        if (a == null) {
            a = new DockerSandboxProvider()
                    .availability(dev.ranna.engine.spi.SandboxConfig.defaults(), java.util.List.of());
            docker = a;
        }
        check(a.available(), "no Docker engine: " + a.reason());
        check(
                Host.run("docker", "image", "inspect", Engines.DOCKER_IMAGE).exitCode() == 0,
                "the test image " + Engines.DOCKER_IMAGE + " is missing (built by .ci/run)");
    }

    /** The Docker engine, the test image, and gVisor's {@code runsc} runtime registered with the engine. */
    static void runsc() {
        docker();
        Host.Result runtimes =
                Host.run("docker", "info", "--format", "{{range $name, $_ := .Runtimes}}{{$name}} {{end}}");
        check(
                runtimes.exitCode() == 0
                        && List.of(runtimes.output().trim().split(" ")).contains("runsc"),
                "the Docker engine has no runsc runtime (gVisor; .ci/run installs and registers it): it has "
                        + runtimes.output().trim());
    }

    static void root() {
        check(Host.isRoot(), "needs root (mounts a tmpfs, reads other uids' processes)");
    }

    static void check(boolean ok, String reason) {
        Infrastructure.require(ok, reason);
    }
}
