package dev.ranna.engine;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import java.util.Objects;

/**
 * The outcome of {@link SandboxSelector#select()}: which provider runs the code, with which configuration,
 * what its one availability probe found, how strongly it isolates, the languages it was judged on, and why
 * it was chosen. Hand it to {@link RannaEngine.Builder#sandbox(SandboxSelection)} so the engine creates
 * exactly this, without probing again.
 *
 * @param provider the chosen provider
 * @param config the configuration to create it with: the operator's, or for the development fallback the
 *     provider's {@linkplain SandboxProvider#withoutIsolation unisolated} variant of it
 * @param availability what the probe found (its details go to {@code /v1/info})
 * @param isolation the provider's isolation under {@code config}
 * @param specs the languages the engine will offer: the operator's, or the provider's default map
 * @param reason one line for the log: why this provider, and why not the ones passed over
 */
public record SandboxSelection(
        SandboxProvider provider,
        SandboxConfig config,
        Availability availability,
        Isolation isolation,
        SpecRegistry specs,
        String reason) {

    public SandboxSelection {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(availability, "availability");
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(specs, "specs");
        Objects.requireNonNull(reason, "reason");
    }
}
