package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.SandboxConfig;

/** {@link DockerProjectTest} on gVisor ({@code sandbox.runtime=runsc}); failed under CI without it. */
class RunscProjectTest extends DockerProjectTest {

    @Override
    protected SandboxConfig config() {
        DockerTestSupport.assumeRunsc();
        return DockerTestSupport.config(
                DockerSandboxConfig.POOL_SIZE,
                "2",
                SandboxConfig.MEMORY,
                "256M",
                SandboxConfig.RUNTIME,
                DockerTestSupport.RUNSC);
    }
}
