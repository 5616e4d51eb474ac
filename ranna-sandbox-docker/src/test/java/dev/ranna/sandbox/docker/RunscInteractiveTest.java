package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.SandboxConfig;

/** {@link DockerInteractiveTest} on gVisor ({@code sandbox.runtime=runsc}); failed under CI without it. */
class RunscInteractiveTest extends DockerInteractiveTest {

    @Override
    protected SandboxConfig config() {
        DockerTestSupport.assumeRunsc();
        return DockerTestSupport.config(
                DockerSandboxConfig.POOL_SIZE, "2", SandboxConfig.RUNTIME, DockerTestSupport.RUNSC);
    }
}
