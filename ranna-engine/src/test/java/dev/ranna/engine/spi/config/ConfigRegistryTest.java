package dev.ranna.engine.spi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigRegistryTest {
    static final ConfigKey<Long> MEMORY = ConfigKey.builder("sandbox.memory", ConfigType.POSITIVE_SIZE)
            .defaultValue("100M")
            .description("memory limit of one run")
            .ranna()
            .build();
    static final ConfigKey<Integer> PIDS = ConfigKey.builder("sandbox.docker.pids", ConfigType.positiveInteger())
            .defaultValue("128")
            .description("pids limit per container")
            .build();
    static final ConfigKey<Integer> SPEC_POOL = ConfigKey.builder(
                    "sandbox.docker.spec.<key>.pool.size", ConfigType.nonNegativeInteger())
            .defaultHelp("sandbox.docker.pool.size")
            .description("warm containers for one spec")
            .build();

    static ConfigRegistry registry() {
        return ConfigRegistry.builder()
                .group("Engine", List.of(MEMORY))
                .group("Sandbox 'docker'", List.of(PIDS, SPEC_POOL))
                .owner("sandbox.docker.", "the docker sandbox")
                .build();
    }

    @Test
    void findsDeclaredKeysAndConcreteNamesOfTemplates() {
        ConfigRegistry registry = registry();
        assertThat(registry.find("sandbox.memory")).containsSame(MEMORY);
        assertThat(registry.find("sandbox.docker.spec.node.pool.size")).containsSame(SPEC_POOL);
        assertThat(registry.find("sandbox.docker.tyop")).isEmpty();
        assertThat(registry.keys()).containsExactly(MEMORY, PIDS, SPEC_POOL);
    }

    @Test
    void unknownKeysUnderAnOwnedPrefixNameTheOwnerAndTheClosestKey() {
        ConfigRegistry registry = registry();
        assertThat(registry.owner("sandbox.docker.tyop")).contains("the docker sandbox");
        assertThat(registry.owner("sandbox.foo.bar")).isEmpty();
        assertThat(registry.unknownKeyMessage("sandbox.docker.pdis"))
                .isEqualTo("unknown configuration key 'sandbox.docker.pdis': the docker sandbox has no such key"
                        + " (did you mean sandbox.docker.pids?)");
        assertThat(registry.unknownKeyMessage("foo.bar")).isEqualTo("unknown configuration key 'foo.bar'");
    }

    @Test
    void aKeyDeclaredTwiceIsListedOnceAndADifferentOneWithTheSameNameIsRefused() {
        ConfigRegistry registry = ConfigRegistry.builder()
                .group("A", List.of(MEMORY))
                .group("B", List.of(MEMORY, PIDS))
                .build();
        assertThat(registry.groups().get(1).keys()).containsExactly(PIDS);
        ConfigKey<String> impostor =
                ConfigKey.builder("sandbox.memory", ConfigType.STRING).build();
        assertThatThrownBy(() ->
                        ConfigRegistry.builder().group("A", List.of(MEMORY)).group("B", List.of(impostor)))
                .hasMessageContaining("sandbox.memory");
    }

    @Test
    void describeListsEveryKeyWithDefaultEnvironmentVariableAndDescription() {
        String help = registry().describe();
        assertThat(help)
                .contains(
                        "Engine:\n  sandbox.memory (default 100M)\n      RANNA_SANDBOX_MEMORY: memory limit of one run\n")
                .contains("  sandbox.docker.pids (default 128) [ranna-jvm]\n"
                        + "      RANNA_SANDBOX_DOCKER_PIDS: pids limit per container\n")
                .contains("  sandbox.docker.spec.<key>.pool.size (default sandbox.docker.pool.size) [ranna-jvm]\n"
                        + "      warm containers for one spec\n");
    }
}
