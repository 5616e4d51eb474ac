package dev.ranna.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.SandboxSelection;
import dev.ranna.engine.access.ApiKeys;
import dev.ranna.engine.spi.SandboxProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The auto-configuration in application contexts of its own (no web server): the engine from {@code
 * ranna.*} properties with ranna's names and defaults, unknown keys refused, backing off for an
 * application's own engine or sandbox, metrics, health and the engine's close with the context. The
 * engine runs on the real process sandbox.
 */
class RannaAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RannaAutoConfiguration.class))
            .withPropertyValues(TestApplication.sandboxProperties().entrySet().stream()
                    .map(entry -> entry.getKey() + "=" + entry.getValue())
                    .toArray(String[]::new))
            .withPropertyValues("server.address=127.0.0.1");

    @Test
    void theEngineTakesRannasKeysWithRannasDefaults() {
        runner.withPropertyValues("ranna.sandbox.timeoutseconds=7", "ranna.api.maxoutputlen=64k")
                .run(context -> {
                    RannaEngine engine = context.getBean(RannaEngine.class);
                    assertThat(engine.sandboxName()).isEqualTo("process");
                    assertThat(engine.limits().timeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(engine.limits().maxOutputBytes()).isEqualTo(64 * 1024);
                    // Not set: the standalone server's default.
                    assertThat(engine.limits().maxRunsPerSession()).isEqualTo(4);
                });
    }

    @Test
    void rannasOwnEnvironmentVariablesWork() {
        runner.withInitializer(context -> context.getEnvironment()
                        .getPropertySources()
                        .addFirst(new SystemEnvironmentPropertySource(
                                "test-environment", Map.of("RANNA_SANDBOX_TIMEOUTSECONDS", "9"))))
                .run(context -> assertThat(
                                context.getBean(RannaEngine.class).limits().timeout())
                        .isEqualTo(Duration.ofSeconds(9)));
    }

    @Test
    void aYamlListIsTheCommaSeparatedList() {
        runner.withPropertyValues("ranna.api.tokens[0]=one", "ranna.api.tokens[1]=two")
                .run(context -> assertThat(context.getBean(RannaSettings.class).find(ApiKeys.TOKENS))
                        .contains(List.of("one", "two")));
    }

    @Test
    void anUnknownKeyFailsTheStartNamingTheClosest() {
        runner.withPropertyValues("ranna.sandbox.timeoutsecond=5")
                .run(context -> assertThat(context)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("unknown configuration key 'sandbox.timeoutsecond'")
                        .hasMessageContaining("did you mean sandbox.timeoutseconds?"));
    }

    @Test
    void aBadValueFailsTheStartNamingTheKey() {
        runner.withPropertyValues("ranna.api.maxoutputlen=lots")
                .run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("api.maxoutputlen"));
    }

    @Test
    void anApplicationEngineReplacesTheStartersOwn() {
        runner.withBean(
                        "myEngine",
                        RannaEngine.class,
                        () -> RannaEngine.builder().sandboxName("process").build())
                .run(context -> {
                    assertThat(context).hasSingleBean(RannaEngine.class);
                    assertThat(context).hasBean("myEngine");
                    assertThat(context).doesNotHaveBean(SandboxSelection.class);
                });
    }

    @Test
    void anApplicationSandboxProviderIsUsedInsteadOfDiscovery() {
        SandboxProvider mine = RannaEngine.discoverSandboxes(getClass().getClassLoader()).stream()
                .filter(provider -> provider.name().equals("process"))
                .findFirst()
                .orElseThrow();
        runner.withBean(SandboxProvider.class, () -> mine)
                .run(context -> assertThat(
                                context.getBean(SandboxSelection.class).provider())
                        .isSameAs(mine));
    }

    @Test
    void theEngineClosesWithTheContext() {
        RannaEngine[] engine = new RannaEngine[1];
        runner.run(context -> engine[0] = context.getBean(RannaEngine.class));

        assertThatThrownBy(() -> engine[0].openSession(event -> {}, "client"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theEnginesMetersGoToTheApplicationsRegistry() {
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            assertThat(context).hasSingleBean(RannaEngine.class);
            assertThat(context.getBean(MeterRegistry.class)
                            .find("ranna.runs.active")
                            .gauge())
                    .isNotNull();
        });
    }

    @Test
    void theHealthComponentReportsTheSandbox() {
        runner.run(context -> {
            Health health = context.getBean(RannaHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("sandbox", "process");
        });
    }

    @Test
    void disabledMeansNothingOfRanna() {
        runner.withPropertyValues("ranna.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(RannaEngine.class));
    }
}
