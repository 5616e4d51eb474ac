package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Availability means "can run the operator's languages here": a real engine, and a spec map whose images
 * are, or are not, on it.
 */
class DockerAvailabilityTest {
    private static final LanguageSpec MISSING = LanguageSpec.builder("missing", "main.sh")
            .image("ranna-test/none:missing")
            .entrypoint("/bin/sh")
            .build();
    private static final LanguageSpec NO_IMAGE =
            LanguageSpec.builder("noimage", "main.sh").entrypoint("/bin/sh").build();

    private final DockerSandboxProvider provider = new DockerSandboxProvider();

    @BeforeEach
    void docker() {
        DockerTestSupport.assumeDocker();
    }

    @Test
    void anEngineWithOneOfTheImagesIsAvailable() {
        Availability availability =
                provider.availability(SandboxConfig.defaults(), List.of(MISSING, DockerTestSupport.SH));

        assertThat(availability.available()).as(availability.reason()).isTrue();
        assertThat(availability.reason()).contains("image " + DockerTestSupport.IMAGE + " is present");
        assertThat(availability.details()).containsKeys("docker.host", "docker.version");
    }

    @Test
    void anEngineWithNoneOfTheImagesAndNoRegistryIsUnavailableAndSaysWhichImage() {
        long start = System.nanoTime();
        Availability availability = provider.availability(
                SandboxConfig.of(Map.of(DockerSandboxConfig.PROBE_TIMEOUT, "2")), List.of(MISSING));

        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("bounded by the probe timeout")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(availability.available()).isFalse();
        assertThat(availability.reason())
                .contains("image ranna-test/none:missing is not on the Docker host")
                .contains("pulling ranna-test/none:missing");
    }

    @Test
    void withSkipStartupPrepNoPullIsTriedAndTheEngineIsTakenAtItsWord() {
        Availability availability = provider.availability(
                SandboxConfig.of(Map.of(SandboxConfig.SKIP_STARTUP_PREP, "true")), List.of(MISSING));

        assertThat(availability.available()).as(availability.reason()).isTrue();
        assertThat(availability.reason()).contains("not trying a pull (skipstartupprep)");
    }

    @Test
    void aSpecMapWithoutImagesCannotRunInContainers() {
        Availability availability = provider.availability(SandboxConfig.defaults(), List.of(NO_IMAGE));

        assertThat(availability.available()).isFalse();
        assertThat(availability.reason()).contains("names an image");
    }

    @Test
    void isolationFollowsTheConfiguredRuntime() {
        assertThat(provider.isolation(SandboxConfig.defaults()).level()).isEqualTo(Isolation.Level.SHARED_KERNEL);
        assertThat(provider.isolation(SandboxConfig.of(Map.of(SandboxConfig.RUNTIME, "runsc")))
                        .level())
                .isEqualTo(Isolation.Level.SEPARATE_KERNEL);
    }

    @Test
    void aMissingLocalSocketIsNotApplicableWithoutAProbe() {
        assertThat(provider.notApplicable(
                        SandboxConfig.of(Map.of(DockerSandboxConfig.HOST, "unix:///nonexistent/docker.sock"))))
                .hasValueSatisfying(reason -> assertThat(reason).contains("/nonexistent/docker.sock"));
        assertThat(provider.notApplicable(SandboxConfig.defaults()))
                .as("this host has Docker")
                .isEmpty();
    }
}
