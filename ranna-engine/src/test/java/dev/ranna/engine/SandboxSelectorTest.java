package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class SandboxSelectorTest {

    /** A provider whose answers are scripted and whose probes are recorded. */
    static class Fake implements SandboxProvider {
        final String name;
        final int priority;
        final Availability availability;

        @Nullable
        String notApplicable;

        @Nullable
        String unisolatedKey;

        final List<SandboxConfig> probedConfigs = new CopyOnWriteArrayList<>();
        final List<List<String>> probedLanguages = new CopyOnWriteArrayList<>();

        Fake(String name, int priority, Availability availability) {
            this.name = name;
            this.priority = priority;
            this.availability = availability;
        }

        Fake notApplicable(String why) {
            this.notApplicable = why;
            return this;
        }

        Fake unisolatedWith(String key) {
            this.unisolatedKey = key;
            return this;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int priority() {
            return priority;
        }

        @Override
        public Optional<String> notApplicable(SandboxConfig config) {
            return Optional.ofNullable(notApplicable);
        }

        @Override
        public Availability availability(SandboxConfig config, Collection<LanguageSpec> languages) {
            probedConfigs.add(config);
            var keys = new ArrayList<String>();
            languages.forEach(spec -> keys.add(spec.key()));
            probedLanguages.add(keys);
            if (unisolatedKey != null && config.get(unisolatedKey).isPresent()) {
                return Availability.available(name + " without isolation");
            }
            return availability;
        }

        @Override
        public Isolation isolation(SandboxConfig config) {
            return unisolatedKey != null && config.get(unisolatedKey).isPresent()
                    ? new Isolation(Isolation.Level.NONE, "plain processes")
                    : new Isolation(Isolation.Level.SHARED_KERNEL, name + " namespaces");
        }

        @Override
        public SpecMap defaultSpecs(SandboxConfig config) {
            return map(name + "-lang");
        }

        @Override
        public Optional<SandboxConfig> withoutIsolation(SandboxConfig config) {
            return unisolatedKey == null ? Optional.empty() : Optional.of(config.with(unisolatedKey, "none"));
        }

        @Override
        public Sandbox create(SandboxConfig config) {
            return new ScriptedSandbox();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static SpecMap map(String key) {
        return new SpecMap(
                Map.of(key, new SpecEntry(null, null, null, "/bin/sh", null, "main.sh", "sh", "", null, null)));
    }

    static Fake dockerDown() {
        return new Fake("docker", 100, Availability.unavailable("cannot connect to unix:///var/run/docker.sock"));
    }

    static Fake dockerUp() {
        return new Fake("docker", 100, Availability.available("engine 20.10"));
    }

    static Fake process() {
        return new Fake("process", 50, Availability.available("bubblewrap 0.8.0"));
    }

    private static SandboxSelection select(List<SandboxProvider> providers, @Nullable String name) {
        return SandboxSelector.of(providers).name(name).select();
    }

    @Test
    void highestPriorityAvailableProviderWins() {
        Fake up = dockerUp();
        assertThat(select(List.of(process(), up), null).provider()).isSameAs(up);
        Fake process = process();
        SandboxSelection fallback = select(List.of(process, dockerDown()), null);
        assertThat(fallback.provider()).isSameAs(process);
        assertThat(fallback.reason())
                .contains("passed over: docker: unavailable: cannot connect to unix:///var/run/docker.sock");
    }

    @Test
    void tiesAreBrokenByName() {
        var b = new Fake("b", 1, Availability.available("ok"));
        var a = new Fake("a", 1, Availability.available("ok"));
        assertThat(select(List.of(b, a), null).provider()).isSameAs(a);
    }

    @Test
    void aConfiguredNameWinsOverPriorityAndMustExistAndBeAvailable() {
        Fake process = process();
        Fake docker = dockerUp();
        SandboxSelection named = select(List.of(docker, process), "PROCESS");
        assertThat(named.provider()).isSameAs(process);
        assertThat(named.reason()).startsWith("configured by sandbox.type");
        assertThat(docker.probedConfigs).as("the others are not probed").isEmpty();
        assertThatThrownBy(() -> select(List.of(dockerDown(), process()), "docker"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("sandbox 'docker' is unavailable: cannot connect to unix:///var/run/docker.sock");
        assertThatThrownBy(() -> select(List.of(dockerUp(), process()), "gvisor"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sandbox.type: no sandbox provider named 'gvisor'; found: [docker, process]");
    }

    @Test
    void noneAvailableFailsWithOneLinePerProvider() {
        var processDown =
                new Fake("process", 50, Availability.unavailable("bwrap not found; apt-get install bubblewrap"));
        assertThatThrownBy(() -> select(List.of(processDown, dockerDown()), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("No usable sandbox provider. Tried:\n"
                        + "  docker: unavailable: cannot connect to unix:///var/run/docker.sock\n"
                        + "  process: unavailable: bwrap not found; apt-get install bubblewrap");
        assertThatThrownBy(() -> select(List.of(), null))
                .hasMessageStartingWith("No sandbox provider on the class path");
    }

    @Test
    void aNotApplicableProviderIsNotProbedAndSaysWhy() {
        Fake docker = dockerUp().notApplicable("no Docker socket at /var/run/docker.sock");
        Fake process = process();
        SandboxSelection selection = select(List.of(docker, process), null);
        assertThat(selection.provider()).isSameAs(process);
        assertThat(docker.probedConfigs).isEmpty();
        assertThat(selection.reason()).contains("docker: not applicable: no Docker socket at /var/run/docker.sock");
    }

    @Test
    void eachProviderIsProbedOnceWithTheOperatorsConfigAndTheLanguagesItWouldOffer() {
        Fake docker = dockerDown();
        Fake process = process();
        SandboxConfig config = SandboxConfig.of(Map.of("sandbox.docker.host", "tcp://10.0.0.1:2375"));
        SandboxSelection selection =
                SandboxSelector.of(List.of(docker, process)).config(config).select();

        assertThat(docker.probedConfigs).containsExactly(config);
        assertThat(process.probedConfigs).containsExactly(config);
        assertThat(docker.probedLanguages).containsExactly(List.of("docker-lang"));
        assertThat(process.probedLanguages).containsExactly(List.of("process-lang"));
        assertThat(selection.specs().languages()).containsExactly("process-lang");
        assertThat(selection.config()).isSameAs(config);
        assertThat(selection.isolation().level()).isEqualTo(Isolation.Level.SHARED_KERNEL);

        Fake withOperatorSpecs = process();
        SandboxSelector.of(List.of(withOperatorSpecs))
                .specs(SpecRegistry.of(map("operator-lang")))
                .select();
        assertThat(withOperatorSpecs.probedLanguages).containsExactly(List.of("operator-lang"));
    }

    @Test
    void withoutIsolationOnlyWhenAllowedAndNothingIsolatingRuns() {
        Fake process = new Fake("process", 50, Availability.unavailable("bwrap not found"))
                .unisolatedWith("sandbox.process.isolation");
        assertThatThrownBy(() -> select(List.of(dockerDown(), process), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("process: unavailable: bwrap not found");

        SandboxSelection fallback = SandboxSelector.of(List.of(dockerDown(), process))
                .allowUnisolatedFallback(true)
                .select();
        assertThat(fallback.provider()).isSameAs(process);
        assertThat(fallback.isolation().none()).isTrue();
        assertThat(fallback.config().get("sandbox.process.isolation")).contains("none");
        assertThat(fallback.reason())
                .contains("WITHOUT isolation")
                .contains("docker: unavailable: cannot connect")
                .contains("process: unavailable: bwrap not found");

        Fake isolated = process().unisolatedWith("sandbox.process.isolation");
        assertThat(SandboxSelector.of(List.of(dockerDown(), isolated))
                        .allowUnisolatedFallback(true)
                        .select()
                        .isolation()
                        .none())
                .as("an isolating provider that is available is preferred")
                .isFalse();
    }

    @Test
    void aKeyUnderTheChosenProvidersPrefixThatItDoesNotDeclareIsRefused() {
        var pids = dev.ranna.engine.spi.config.ConfigKey.builder(
                        "sandbox.keyed.pids", dev.ranna.engine.spi.config.ConfigType.positiveInteger())
                .build();
        Fake keyed = new Fake("keyed", 1, Availability.available("ok")) {
            @Override
            public List<dev.ranna.engine.spi.config.ConfigKey<?>> configKeys() {
                return List.of(pids);
            }
        };
        assertThatThrownBy(() -> SandboxSelector.of(List.of(keyed))
                        .config(SandboxConfig.of(Map.of("sandbox.keyed.pdis", "64")))
                        .select())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown configuration key 'sandbox.keyed.pdis': the keyed sandbox has no such key"
                        + " (did you mean sandbox.keyed.pids?)");
        assertThat(SandboxSelector.of(List.of(keyed))
                        .config(SandboxConfig.of(Map.of("sandbox.keyed.pids", "64", "sandbox.other.x", "1")))
                        .select()
                        .provider())
                .isSameAs(keyed);
    }

    @Test
    void aProviderWhoseProbeThrowsIsUnavailableNotFatal() {
        SandboxProvider throwing = new SandboxProvider() {
            @Override
            public String name() {
                return "flaky";
            }

            @Override
            public int priority() {
                return 200;
            }

            @Override
            public Availability availability(SandboxConfig config, Collection<LanguageSpec> languages) {
                throw new IllegalStateException("probe exploded");
            }

            @Override
            public Sandbox create(SandboxConfig config) {
                throw new AssertionError("must not be created");
            }
        };
        Fake process = process();
        SandboxSelection selection = select(List.of(throwing, process), null);
        assertThat(selection.provider()).isSameAs(process);
        assertThat(selection.reason()).contains("flaky: unavailable: availability probe failed");
    }

    @Test
    void aGivenProviderIsUsedEvenWhenItsProbeSaysNo() {
        Fake docker = dockerDown();
        SandboxSelection given = SandboxSelector.of(List.of()).given(docker);
        assertThat(given.provider()).isSameAs(docker);
        assertThat(given.availability().available()).isFalse();
        assertThat(docker.probedConfigs).hasSize(1);
    }

    @Test
    void discoverySkipsBrokenProvidersAndKeepsTheRest() {
        List<SandboxProvider> found = SandboxSelector.discover(getClass().getClassLoader());
        assertThat(found).extracting(SandboxProvider::name).containsExactly("working");
    }

    @Test
    void engineBuilderSelectsByNameThroughServiceLoader() {
        try (RannaEngine engine = RannaEngine.builder().sandboxName("working").build()) {
            assertThat(engine.sandboxName()).isEqualTo("working");
            assertThat(engine.sandboxInfo().type()).isEqualTo("working");
            assertThat(engine.sandboxInfo().version()).isEqualTo("scripted 1");
        }
    }

    @Test
    void engineBuilderUsesASelectionWithoutProbingAgain() {
        Fake process = process();
        SandboxSelection selection = SandboxSelector.of(List.of(process)).select();
        try (RannaEngine engine = RannaEngine.builder().sandbox(selection).build()) {
            assertThat(engine.sandboxName()).isEqualTo("process");
            assertThat(engine.specs().languages()).containsExactly("process-lang");
        }
        assertThat(process.probedConfigs).as("probed once, by the selection").hasSize(1);
    }
}
