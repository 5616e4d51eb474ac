package dev.ranna.sandbox.process;

import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.sandbox.tck.SandboxProviderTck;
import java.util.List;

/** The whole sandbox TCK against the process sandbox with bubblewrap, as configured by default. */
class ProcessSandboxProviderTckTest extends SandboxProviderTck {

    @Override
    protected SandboxProvider provider() {
        return new ProcessSandboxProvider();
    }

    @Override
    protected LanguageSpec shellSpec() {
        return LanguageSpec.builder("sh", "main.sh")
                .entrypoint("/bin/sh")
                .language("shell")
                .build();
    }

    @Override
    protected List<String> leftovers() {
        var sandbox = (ProcessSandbox) sandbox();
        return Leftovers.of(sandbox, sandbox.isClosed());
    }
}
