package dev.ranna.engine;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;

/** Listed in test META-INF/services; its constructor fails, as a provider with a missing dependency would. */
public final class BrokenTestProvider implements SandboxProvider {
    public BrokenTestProvider() {
        throw new IllegalStateException("missing native library");
    }

    @Override
    public String name() {
        return "broken";
    }

    @Override
    public Availability availability(SandboxConfig config, java.util.Collection<LanguageSpec> languages) {
        return Availability.available("never reached");
    }

    @Override
    public Sandbox create(SandboxConfig config) {
        throw new IllegalStateException("never reached");
    }
}
