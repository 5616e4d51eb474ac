package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.sandbox.tck.SandboxProviderTck;
import java.util.List;

/**
 * The TCK against {@code sandbox.process.isolation=none}: the development mode must still run, stream,
 * kill, time out and clean up correctly; only run-to-run isolation is declared absent.
 */
class ProcessSandboxWithoutIsolationTckTest extends SandboxProviderTck {

    @Override
    protected SandboxProvider provider() {
        return new ProcessSandboxProvider();
    }

    @Override
    protected SandboxConfig config() {
        return SandboxConfig.defaults().with(ProcessSandboxConfig.ISOLATION, "none");
    }

    @Override
    protected LanguageSpec shellSpec() {
        return LanguageSpec.builder("sh", "main.sh")
                .entrypoint("/bin/sh")
                .language("shell")
                .build();
    }

    @Override
    protected boolean isolatesRuns() {
        return false;
    }

    @Override
    protected List<String> leftovers() {
        var sandbox = (ProcessSandbox) sandbox();
        return Leftovers.of(sandbox, sandbox.isClosed());
    }
}
