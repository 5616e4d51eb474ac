package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import java.util.List;
import org.junit.jupiter.api.Test;

class SandboxSelectorTest {

    record Fake(String name, int priority, Availability availability) implements SandboxProvider {
        @Override
        public Sandbox create(SandboxConfig config) {
            return new ScriptedSandbox();
        }
    }

    static final Fake DOCKER_DOWN =
            new Fake("docker", 100, Availability.unavailable("cannot connect to unix:///var/run/docker.sock"));
    static final Fake DOCKER_UP = new Fake("docker", 100, Availability.available("engine 20.10"));
    static final Fake PROCESS = new Fake("process", 50, Availability.available("bubblewrap 0.8.0"));

    @Test
    void highestPriorityAvailableProviderWins() {
        assertThat(SandboxSelector.select(List.of(PROCESS, DOCKER_UP), null)).isSameAs(DOCKER_UP);
        assertThat(SandboxSelector.select(List.of(PROCESS, DOCKER_DOWN), null)).isSameAs(PROCESS);
    }

    @Test
    void tiesAreBrokenByName() {
        var b = new Fake("b", 1, Availability.available("ok"));
        var a = new Fake("a", 1, Availability.available("ok"));
        assertThat(SandboxSelector.select(List.of(b, a), null)).isSameAs(a);
    }

    @Test
    void aConfiguredNameMustExistAndBeAvailable() {
        assertThat(SandboxSelector.select(List.of(DOCKER_UP, PROCESS), "process"))
                .isSameAs(PROCESS);
        assertThatThrownBy(() -> SandboxSelector.select(List.of(DOCKER_DOWN, PROCESS), "docker"))
                .hasMessage("No usable sandbox provider. Tried:\n"
                        + "  docker: unavailable: cannot connect to unix:///var/run/docker.sock");
        assertThatThrownBy(() -> SandboxSelector.select(List.of(DOCKER_UP, PROCESS), "gvisor"))
                .hasMessage("no sandbox provider named 'gvisor'; found: [docker, process]");
    }

    @Test
    void noneAvailableFailsWithOneLinePerProvider() {
        var processDown =
                new Fake("process", 50, Availability.unavailable("bwrap not found; apt-get install bubblewrap"));
        assertThatThrownBy(() -> SandboxSelector.select(List.of(processDown, DOCKER_DOWN), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("No usable sandbox provider. Tried:\n"
                        + "  docker: unavailable: cannot connect to unix:///var/run/docker.sock\n"
                        + "  process: unavailable: bwrap not found; apt-get install bubblewrap");
        assertThatThrownBy(() -> SandboxSelector.select(List.of(), null))
                .hasMessageStartingWith("No sandbox provider on the class path");
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
            public Availability availability() {
                throw new IllegalStateException("probe exploded");
            }

            @Override
            public Sandbox create(SandboxConfig config) {
                throw new AssertionError("must not be created");
            }
        };
        assertThat(SandboxSelector.select(List.of(throwing, PROCESS), null)).isSameAs(PROCESS);
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
}
