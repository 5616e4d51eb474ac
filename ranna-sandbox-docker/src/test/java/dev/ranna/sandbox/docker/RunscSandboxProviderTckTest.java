package dev.ranna.sandbox.docker;

import dev.ranna.engine.spi.SandboxConfig;

/**
 * The conformance kit a second time, every run container on gVisor ({@code sandbox.runtime=runsc}), warm
 * pool on as in {@link DockerSandboxProviderTckTest}. Skipped (failed under CI) without the runtime.
 */
class RunscSandboxProviderTckTest extends DockerSandboxProviderTckTest {

    @Override
    protected SandboxConfig config() {
        DockerTestSupport.assumeRunsc();
        return DockerTestSupport.config(
                DockerSandboxConfig.POOL_SIZE, "2", SandboxConfig.RUNTIME, DockerTestSupport.RUNSC);
    }
}
