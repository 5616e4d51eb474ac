package dev.ranna.engine;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;

/** Listed in test META-INF/services; a provider discovery must still find next to broken ones. */
public final class WorkingTestProvider implements SandboxProvider {
    @Override
    public String name() {
        return "working";
    }

    @Override
    public Availability availability(SandboxConfig config, java.util.Collection<LanguageSpec> languages) {
        return Availability.available("test fixture");
    }

    @Override
    public Sandbox create(SandboxConfig config) {
        return new ScriptedSandbox();
    }
}
