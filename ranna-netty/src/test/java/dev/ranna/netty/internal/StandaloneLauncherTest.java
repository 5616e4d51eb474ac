package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StandaloneLauncherTest {

    private static SandboxProvider provider(String name, int priority, boolean available) {
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
            public Availability availability() {
                return available ? Availability.available(name + " ok") : Availability.unavailable(name + " missing");
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

    @Test
    void dockerIsPreferredWhenItAnswers() {
        var selection = StandaloneLauncher.select(
                List.of(provider("process", 100, true), provider("docker", 0, true)), Optional.empty(), Map.of());

        assertThat(selection.provider().name()).isEqualTo("docker");
        assertThat(selection.unisolated()).isFalse();
    }

    @Test
    void processSandboxWhenDockerIsAbsentAndTheReasonSaysWhy() {
        var selection = StandaloneLauncher.select(
                List.of(provider("docker", 10, false), provider("process", 5, true)), Optional.empty(), Map.of());

        assertThat(selection.provider().name()).isEqualTo("process");
        assertThat(selection.unisolated()).isFalse();
        assertThat(selection.reason()).contains("docker: docker missing");
    }

    @Test
    void withNothingIsolatingTheProcessSandboxRunsUnisolated() {
        var selection = StandaloneLauncher.select(
                List.of(provider("docker", 10, false), provider("process", 5, false)), Optional.empty(), Map.of());

        assertThat(selection.provider().name()).isEqualTo("process");
        assertThat(selection.unisolated()).isTrue();
        assertThat(selection.reason()).contains("WITHOUT isolation").contains("process missing");
    }

    @Test
    void configuredTypeWinsAndMustBeAvailableUnlessExplicitlyUnisolated() {
        var providers = List.of(provider("docker", 10, true), provider("process", 5, false));

        assertThatThrownBy(() -> StandaloneLauncher.select(providers, Optional.of("process"), Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("process missing");
        var unisolated = StandaloneLauncher.select(
                providers, Optional.of("process"), Map.of("sandbox.process.isolation", "none"));
        assertThat(unisolated.unisolated()).isTrue();
        assertThatThrownBy(() -> StandaloneLauncher.select(providers, Optional.of("gvisor"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gvisor")
                .hasMessageContaining("docker");
    }

    @Test
    void noProviderAtAllIsAClearStartFailure() {
        assertThatThrownBy(() -> StandaloneLauncher.select(List.of(), Optional.empty(), Map.of()))
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
