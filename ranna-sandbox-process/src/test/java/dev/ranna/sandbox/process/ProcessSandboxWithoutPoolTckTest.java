package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.SandboxConfig;

/**
 * The whole sandbox TCK against the process sandbox without its pool ({@value ProcessSandboxConfig#POOL}
 * 0): every plain run starts cold, through the prestarted launcher or one of its own, and must hold to the
 * same contract as a run in a pooled sandbox ({@link ProcessSandboxProviderTckTest}, the default).
 */
class ProcessSandboxWithoutPoolTckTest extends ProcessSandboxProviderTckTest {

    @Override
    protected SandboxConfig config() {
        return super.config().with(ProcessSandboxConfig.POOL, "0");
    }
}
