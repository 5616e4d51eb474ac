package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.SandboxSelection;
import dev.ranna.engine.access.IpLiterals;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The launcher's sandbox choice is the engine's selection, fed from the standalone configuration. */
class StandaloneLauncherTest {

    /** A provider with an isolating mode that may be unavailable, and (like the process sandbox) one without. */
    static SandboxProvider provider(String name, int priority, boolean available, boolean hasUnisolatedMode) {
        String modeKey = "sandbox." + name + ".mode";
        ConfigKey<String> mode = ConfigKey.builder(modeKey, ConfigType.choice("isolated", "isolated", "none", "none"))
                .defaultValue("isolated")
                .description("how " + name + " runs programs")
                .build();
        return new SandboxProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int priority() {
                return priority;
            }

            @Override
            public List<ConfigKey<?>> configKeys() {
                return List.of(mode);
            }

            @Override
            public Isolation isolation(SandboxConfig config) {
                return config.get(mode).equals("none")
                        ? new Isolation(Isolation.Level.NONE, "plain processes")
                        : new Isolation(Isolation.Level.SHARED_KERNEL, name + " namespaces");
            }

            @Override
            public Availability availability(SandboxConfig config, Collection<LanguageSpec> languages) {
                if (config.get(mode).equals("none")) {
                    return Availability.available(name + " without isolation");
                }
                return available ? Availability.available(name + " ok") : Availability.unavailable(name + " missing");
            }

            @Override
            public Optional<SandboxConfig> withoutIsolation(SandboxConfig config) {
                return hasUnisolatedMode ? Optional.of(config.with(modeKey, "none")) : Optional.empty();
            }

            @Override
            public Sandbox create(SandboxConfig config) {
                throw new AssertionError("selection never creates a sandbox");
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    private static SandboxSelection select(List<SandboxProvider> providers, Map<String, String> env) {
        return StandaloneLauncher.select(StandaloneConfig.load(List.of(), env, providers), null);
    }

    @Test
    void theAvailableProviderOfHighestPriorityIsChosen() {
        var selection =
                select(List.of(provider("process", 50, true, true), provider("docker", 100, true, false)), Map.of());

        assertThat(selection.provider().name()).isEqualTo("docker");
        assertThat(selection.isolation().none()).isFalse();
    }

    @Test
    void theNextProviderWhenDockerIsAbsentAndTheReasonSaysWhy() {
        var selection =
                select(List.of(provider("docker", 100, false, false), provider("process", 50, true, true)), Map.of());

        assertThat(selection.provider().name()).isEqualTo("process");
        assertThat(selection.isolation().none()).isFalse();
        assertThat(selection.reason()).contains("docker: unavailable: docker missing");
    }

    @Test
    void withNothingIsolatingAProviderRunsUnisolatedInItsOwnWay() {
        var selection =
                select(List.of(provider("docker", 100, false, false), provider("process", 50, false, true)), Map.of());

        assertThat(selection.provider().name()).isEqualTo("process");
        assertThat(selection.isolation().none()).isTrue();
        assertThat(selection.config().get("sandbox.process.mode")).contains("none");
        assertThat(selection.reason()).contains("WITHOUT isolation").contains("process missing");
    }

    @Test
    void aConfiguredTypeWinsAndMustBeAvailableUnlessConfiguredUnisolated() {
        var providers = List.of(provider("docker", 100, true, false), provider("process", 50, false, true));

        assertThatThrownBy(() -> select(providers, Map.of("RANNA_SANDBOX_TYPE", "process")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("process missing");
        var unisolated =
                select(providers, Map.of("RANNA_SANDBOX_TYPE", "process", "RANNA_SANDBOX_PROCESS_MODE", "none"));
        assertThat(unisolated.isolation().none()).isTrue();
        assertThatThrownBy(() -> select(providers, Map.of("RANNA_SANDBOX_TYPE", "gvisor")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gvisor")
                .hasMessageContaining("docker");
    }

    @Test
    void noProviderAtAllIsAClearStartFailure() {
        assertThatThrownBy(() -> select(List.of(), Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ranna-sandbox-process");
    }

    @Test
    void loopbackHosts() {
        assertThat(IpLiterals.isLoopback("127.0.0.1")).isTrue();
        assertThat(IpLiterals.isLoopback("localhost")).isTrue();
        assertThat(IpLiterals.isLoopback("::1")).isTrue();
        assertThat(IpLiterals.isLoopback("0.0.0.0")).isFalse();
        assertThat(IpLiterals.isLoopback("10.0.0.1")).isFalse();
    }
}
