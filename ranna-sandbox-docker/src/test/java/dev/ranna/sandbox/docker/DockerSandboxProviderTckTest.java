package dev.ranna.sandbox.docker;

import com.github.dockerjava.api.model.Container;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.sandbox.tck.SandboxProviderTck;
import java.util.Arrays;
import java.util.List;

/**
 * The conformance kit against the real engine, with the warm pool on (the production path): the shell
 * spec runs {@code /bin/sh main.sh} in the offline busybox image built by {@code .ci/run}.
 */
class DockerSandboxProviderTckTest extends SandboxProviderTck {

    @Override
    protected SandboxProvider provider() {
        return new DockerSandboxProvider();
    }

    @Override
    protected SandboxConfig config() {
        return DockerTestSupport.config(DockerSandboxConfig.POOL_SIZE, "2");
    }

    /** Docker's init reports a death by signal n as exit code 128+n; see the module README. */
    @Override
    protected boolean reportsHighExitCodesExactly() {
        return false;
    }

    @Override
    protected LanguageSpec shellSpec() {
        return DockerTestSupport.SH;
    }

    /**
     * Containers labelled with this sandbox's instance. While the sandbox is open, the idle warm-pool
     * containers (started, waiting for a run, not yet named {@code ranna-run-*}) are kept on purpose and
     * not counted; once it is closed, everything counts, the usage cgroups included. A tty run's devpts
     * mount counts at any time.
     */
    @Override
    protected List<String> leftovers() {
        DockerSandbox docker = (DockerSandbox) sandbox();
        boolean open = !docker.isClosed();
        var left = new java.util.ArrayList<String>();
        DockerTestSupport.containersOf(sandboxConfig().instanceId()).stream()
                .filter(c -> !open || isRunContainer(c))
                .map(c -> "container " + String.join(",", c.getNames()) + " (" + c.getState() + ", image "
                        + c.getImage() + ")")
                .forEach(left::add);
        if (!open) {
            docker.usageLeftovers().forEach(dir -> left.add("usage cgroup " + dir));
        }
        left.addAll(docker.ptyLeftovers()); // tty containers are never pooled: a mount left is a leak, open or not
        return left;
    }

    private static boolean isRunContainer(Container c) {
        return c.getNames() != null
                && Arrays.stream(c.getNames()).anyMatch(n -> n.startsWith("/" + Containers.RUN_NAME_PREFIX));
    }
}
