package dev.ranna.engine.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.config.ConfigType;
import dev.ranna.engine.spi.config.InvalidValueException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxConfigTest {

    @Test
    void sharedKeysReadThroughTheirDeclarationWithItsDefault() {
        SandboxConfig defaults = SandboxConfig.defaults();
        assertThat(defaults.memoryBytes()).isEqualTo(100L << 20);
        assertThat(defaults.networking()).isFalse();
        assertThat(defaults.skipStartupPrep()).isFalse();
        assertThat(defaults.find(SandboxConfig.Keys.UID_LEASE_DIR)).isEmpty();

        SandboxConfig set = SandboxConfig.of(Map.of(
                "sandbox.memory", "1G",
                "sandbox.enablenetworking", "yes",
                "skipstartupprep", " ",
                "sandbox.uidleasedir", "/srv/uids"));
        assertThat(set.memoryBytes()).isEqualTo(1L << 30);
        assertThat(set.networking()).isTrue();
        assertThat(set.skipStartupPrep()).as("blank is unset").isFalse();
        assertThat(set.get(SandboxConfig.Keys.UID_LEASE_DIR)).isEqualTo(Path.of("/srv/uids"));
    }

    @Test
    void aBadValueNamesTheKeyAndTheValue() {
        SandboxConfig config = SandboxConfig.of(Map.of("sandbox.enablenetworking", "perhaps"));
        assertThatThrownBy(config::networking)
                .isInstanceOf(InvalidValueException.class)
                .hasMessageStartingWith("sandbox.enablenetworking: expected true or false")
                .hasMessageEndingWith("got 'perhaps'");
        assertThatThrownBy(() -> SandboxConfig.of(Map.of("sandbox.x.spec.c++.size", "huge"))
                        .parse("sandbox.x.spec.c++.size", ConfigType.SIZE))
                .hasMessage("sandbox.x.spec.c++.size: expected a size such as 100M, 1G or 512k, got 'huge'");
    }

    @Test
    void withKeepsTheInstanceId() {
        SandboxConfig config = SandboxConfig.defaults();
        assertThat(config.with("sandbox.memory", "1G").instanceId()).isEqualTo(config.instanceId());
    }
}
