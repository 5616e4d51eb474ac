package dev.ranna.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return Main.run(
                args,
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpPrintsTheOptionsAndKeysAndExitsZero() {
        assertThat(run(Map.of(), "--help")).isZero();

        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("--port", "--sandbox", "--spec-file", "--config", "api.bindaddress", "sandbox.memory")
                .contains("flags > environment > config file > defaults")
                .as("the providers' own keys, generated from what they declare")
                .contains(
                        "sandbox.docker.host",
                        "RANNA_SANDBOX_DOCKER_PIDS",
                        "sandbox.process.isolation (default bubblewrap)");
    }

    @Test
    void versionExitsZero() {
        assertThat(run(Map.of(), "--version")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("ranna for the JVM ");
    }

    @Test
    void anInvalidValueIsAClearErrorWithExitCodeTwo() {
        assertThat(run(Map.of("RANNA_SANDBOX.MEMORY", "much"))).isEqualTo(2);

        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("sandbox.memory")
                .contains("env RANNA_SANDBOX.MEMORY")
                .contains("'much'")
                .contains("--help");
    }

    @Test
    void aTypoUnderASandboxsPrefixIsAConfigurationError() {
        assertThat(run(Map.of("RANNA_SANDBOX_DOCKER_TYOP", "1"), "--port", "0", "--host", "127.0.0.1"))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("unknown configuration key 'sandbox.docker.tyop': the docker sandbox has no such key");
    }

    @Test
    void anUnknownSandboxIsAConfigurationError() {
        assertThat(run(Map.of(), "--sandbox", "nosuchsandbox", "--port", "0", "--host", "127.0.0.1"))
                .isEqualTo(2);
    }
}
