package dev.ranna.engine.spi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigTypeTest {

    private static <T> ConfigKey<T> key(String name, ConfigType<T> type) {
        return ConfigKey.builder(name, type).build();
    }

    @Test
    void booleansHaveOneGrammarEverywhere() {
        ConfigKey<Boolean> key = key("sandbox.enablenetworking", ConfigType.BOOLEAN);
        for (String yes : List.of("true", "TRUE", "yes", "on", "1", " On ")) {
            assertThat(key.parse(yes)).as(yes).isTrue();
        }
        for (String no : List.of("false", "False", "no", "off", "0")) {
            assertThat(key.parse(no)).as(no).isFalse();
        }
        assertThatThrownBy(() -> key.parse("maybe"))
                .isInstanceOf(InvalidValueException.class)
                .hasMessage("sandbox.enablenetworking: expected true or false (or yes/no, on/off, 1/0), got 'maybe'");
    }

    @Test
    void blankIsNotAValueButUnsetForTheReader() {
        ConfigKey<Boolean> key = ConfigKey.builder("debug", ConfigType.BOOLEAN)
                .defaultValue("false")
                .build();
        assertThatThrownBy(() -> key.parse(" ")).hasMessageContaining("debug").hasMessageContaining("got nothing");
        ConfigValues empty = new ConfigValues() {
            @Override
            public <T> java.util.Optional<T> find(ConfigKey<T> k) {
                return java.util.Optional.empty();
            }
        };
        assertThat(empty.get(key)).isFalse();
        ConfigKey<String> noDefault = key("specfile", ConfigType.STRING);
        assertThatThrownBy(() -> empty.get(noDefault)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sizesAreRannas() {
        ConfigKey<Long> key = key("sandbox.memory", ConfigType.POSITIVE_SIZE);
        assertThat(key.parse("100M")).isEqualTo(100L << 20);
        assertThat(key.parse("1G")).isEqualTo(1L << 30);
        assertThat(key.parse("512k")).isEqualTo(512L << 10);
        assertThat(key.parse("2MB")).isEqualTo(2L << 20);
        assertThat(key.parse("1Mi")).isEqualTo(1L << 20);
        assertThat(key.parse("1024")).isEqualTo(1024);
        assertThatThrownBy(() -> key.parse("lots"))
                .hasMessage("sandbox.memory: expected a size such as 100M, 1G or 512k, got 'lots'");
        assertThatThrownBy(() -> key.parse("0")).hasMessage("sandbox.memory: must be > 0, got '0'");
        assertThatThrownBy(() -> key("api.maxcodesize", ConfigType.INT_SIZE).parse("3G"))
                .hasMessage("api.maxcodesize: must be below 2G, got '3G'");
    }

    @Test
    void wholeNumbersWithTheirRanges() {
        assertThat(key("a.b", ConfigType.positiveInteger()).parse(" 7 ")).isEqualTo(7);
        assertThatThrownBy(() -> key("a.b", ConfigType.positiveInteger()).parse("0"))
                .hasMessage("a.b: must be > 0, got '0'");
        assertThatThrownBy(() -> key("a.b", ConfigType.nonNegativeInteger()).parse("-1"))
                .hasMessage("a.b: must be >= 0, got '-1'");
        assertThatThrownBy(() ->
                        key("api.ipv6prefixlength", ConfigType.integer(1, 128)).parse("129"))
                .hasMessage("api.ipv6prefixlength: must be 1..128, got '129'");
        assertThatThrownBy(() -> key("a.b", ConfigType.positiveInteger()).parse("many"))
                .hasMessage("a.b: expected a whole number, got 'many'");
    }

    @Test
    void durationsListsPathsAndChoices() {
        assertThat(key("sandbox.timeoutseconds", ConfigType.SECONDS).parse("20"))
                .isEqualTo(Duration.ofSeconds(20));
        assertThatThrownBy(
                        () -> key("sandbox.timeoutseconds", ConfigType.SECONDS).parse("soon"))
                .hasMessage("sandbox.timeoutseconds: expected whole seconds, got 'soon'");
        assertThat(key("api.tokens", ConfigType.LIST).parse("a, b c,,d")).containsExactly("a", "b", "c", "d");
        assertThat(key("x.dir", ConfigType.ABSOLUTE_PATH).parse("/srv/../tmp")).isEqualTo(Path.of("/tmp"));
        assertThatThrownBy(() -> key("x.dir", ConfigType.ABSOLUTE_PATH).parse("relative/dir"))
                .hasMessage("x.dir: expected an absolute path, got 'relative/dir'");
        ConfigKey<Boolean> choice = key("x.cgroups", ConfigType.choice("auto", true, "off", false));
        assertThat(choice.parse("AUTO")).isTrue();
        assertThatThrownBy(() -> choice.parse("on")).hasMessage("x.cgroups: expected auto or off, got 'on'");
    }

    @Test
    void aDefaultThatDoesNotParseFailsWhenTheKeyIsDeclared() {
        assertThatThrownBy(() -> ConfigKey.builder("a.b", ConfigType.positiveInteger())
                        .defaultValue("zero")
                        .build())
                .hasMessageContaining("a.b");
        assertThatThrownBy(() -> ConfigKey.builder("Not.Lower", ConfigType.STRING))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void environmentNamesAndTemplates() {
        ConfigKey<Integer> template = ConfigKey.builder(
                        "sandbox.docker.spec.<key>.pool.size", ConfigType.nonNegativeInteger())
                .build();
        assertThat(key("sandbox.memory", ConfigType.SIZE).environmentName()).isEqualTo("RANNA_SANDBOX_MEMORY");
        assertThat(template.isTemplate()).isTrue();
        assertThat(template.matches("sandbox.docker.spec.python3.pool.size")).isTrue();
        assertThat(template.matches("sandbox.docker.spec.c++.pool.size")).isTrue();
        assertThat(template.matches("sandbox.docker.pool.size")).isFalse();
        ConfigKey<Integer> concrete = template.resolve("c++");
        assertThat(concrete.name()).isEqualTo("sandbox.docker.spec.c++.pool.size");
        assertThatThrownBy(() -> concrete.parse("-1")).hasMessageStartingWith("sandbox.docker.spec.c++.pool.size:");
    }
}
