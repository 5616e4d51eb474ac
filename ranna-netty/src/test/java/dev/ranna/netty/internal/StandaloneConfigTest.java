package dev.ranna.netty.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StandaloneConfigTest {
    @TempDir
    Path dir;

    private static StandaloneConfig load(List<String> args, Map<String, String> env) {
        return StandaloneConfig.load(args, env);
    }

    @Test
    void defaultsAreRannas() {
        StandaloneConfig config = load(List.of(), Map.of());

        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.bindAddressExplicit()).isFalse();
        assertThat(config.limits().timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.limits().maxOutputBytes()).isEqualTo(1024 * 1024);
        assertThat(config.limits().rateLimited()).isFalse();
        assertThat(config.sandboxProperties())
                .as("only what is configured; the keys carry the defaults")
                .isEmpty();
        assertThat(config.get(dev.ranna.engine.spi.SandboxConfig.Keys.MEMORY)).isEqualTo(100L << 20);
        assertThat(config.get(dev.ranna.engine.spi.SandboxConfig.Keys.ENABLE_NETWORKING))
                .isFalse();
        assertThat(config.warnings()).isEmpty();
        assertThat(config.sandboxType()).isEmpty();
        assertThat(config.specFile()).isEmpty();
        assertThat(config.logLevel()).isEqualTo("info");
        assertThat(config.serverOptions().corsAllowedOrigins()).containsExactly("*");
        assertThat(config.serverOptions().tokens()).isEmpty();
    }

    @Test
    void theUidLeaseDirectoryReachesTheSandboxWithoutAWarning() {
        StandaloneConfig config = load(List.of(), Map.of("RANNA_SANDBOX_UIDLEASEDIR", "/srv/ranna/uids"));
        assertThat(config.sandboxProperties()).containsEntry("sandbox.uidleasedir", "/srv/ranna/uids");
        assertThat(config.warnings()).isEmpty();
        assertThat(load(List.of(), Map.of()).sandboxProperties()).doesNotContainKey("sandbox.uidleasedir");
    }

    @Test
    void schedulesAreParsedAndImageUpdatesReachTheSandbox() throws Exception {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, "sh:\n  entrypoint: sh\n  filename: main.sh\n");
        StandaloneConfig config = load(
                List.of(),
                Map.of(
                        "RANNA_SPECFILE", spec.toString(),
                        "RANNA_SCHEDULER_UPDATESPECS", "*/10 * * * *",
                        "RANNA_SCHEDULER_UPDATEIMAGES", "@every 6h"));
        assertThat(config.updateSpecs()).map(Object::toString).contains("*/10 * * * *");
        assertThat(config.sandboxProperties()).containsEntry("scheduler.updateimages", "@every 6h");
        assertThat(load(List.of(), Map.of("RANNA_SCHEDULER_UPDATESPECS", "off")).updateSpecs())
                .isEmpty();
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SCHEDULER_UPDATESPECS", "0 25 * * *")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("scheduler.updatespecs")
                .hasMessageContaining("'0 25 * * *'");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SCHEDULER_UPDATEIMAGES", "hourly")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("scheduler.updateimages");
    }

    @Test
    void bothEnvironmentFormsAreHonouredAndTheDottedOneWins() {
        StandaloneConfig config = load(
                List.of(),
                Map.of(
                        "RANNA_SANDBOX_MEMORY", "200M",
                        "RANNA_API_WS_RATELIMIT_BURST", "5",
                        "RANNA_API_WS_RATELIMIT_LIMITSECONDS", "3",
                        "RANNA_SANDBOX.TIMEOUTSECONDS", "7",
                        "RANNA_API_MAXOUTPUTLEN", "2M",
                        "RANNA_API.MAXOUTPUTLEN", "3M",
                        "RANNA_SANDBOX_PROCESS_PIDS", "64"));

        assertThat(config.sandboxProperties())
                .containsEntry("sandbox.memory", "200M")
                .containsEntry("sandbox.process.pids", "64");
        assertThat(config.limits().rateLimitBurst()).isEqualTo(5);
        assertThat(config.limits().rateLimitInterval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.limits().timeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(config.limits().maxOutputBytes()).isEqualTo(3 * 1024 * 1024);
    }

    @Test
    void precedenceIsFlagsThenEnvironmentThenFileThenDefaults() throws Exception {
        Path file = dir.resolve("config.yaml");
        Files.writeString(
                file,
                "api:\n  bindaddress: \"127.0.0.1:9000\"\n  maxoutputlen: 5M\n  tokens: [a, b]\n"
                        + "sandbox:\n  memory: 300M\n  timeoutseconds: 30\nspecfile: " + file + "\n");

        StandaloneConfig config = load(
                List.of("--config", file.toString(), "--port", "9100", "--sandbox", "process"),
                Map.of("RANNA_SANDBOX_MEMORY", "400M", "RANNA_SANDBOX_TYPE", "docker"));

        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(9100);
        assertThat(config.bindAddressExplicit()).isTrue();
        assertThat(config.limits().maxOutputBytes()).isEqualTo(5 * 1024 * 1024);
        assertThat(config.limits().timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.sandboxProperties()).containsEntry("sandbox.memory", "400M");
        assertThat(config.sandboxType()).contains("process");
        assertThat(config.serverOptions().tokens()).containsExactly("a", "b");
        assertThat(config.specFile()).contains(file);
    }

    @Test
    void configFileComesFromRannaConfigToo() throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"api\":{\"ws\":{\"maxconnectionsperclient\":3}},\"debug\":true}");

        StandaloneConfig config = load(List.of(), Map.of("RANNA_CONFIG", file.toString()));

        assertThat(config.serverOptions().maxConnectionsPerClient()).isEqualTo(3);
        assertThat(config.logLevel()).isEqualTo("debug");
    }

    @Test
    void networkLimitsHavePublicServerDefaultsAndTheirKeys() {
        StandaloneConfig defaults = load(List.of(), Map.of());
        assertThat(defaults.serverOptions().idleTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(defaults.serverOptions().maxConnectionsPerAddress()).isEqualTo(64);
        assertThat(defaults.serverOptions().maxConnections())
                .isEqualTo(dev.ranna.netty.ServerOptions.defaultMaxConnections())
                .isPositive();
        assertThat(defaults.serverOptions().ipv6PrefixLength()).isEqualTo(64);
        assertThat(defaults.serverOptions().writeTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.limits().maxRunsPerClient()).isEqualTo(4);

        StandaloneConfig set = load(
                List.of(
                        "--set", "api.maxconnections=100",
                        "--set", "api.maxconnectionsperclient=5",
                        "--set", "api.ipv6prefixlength=56",
                        "--set", "api.writetimeoutseconds=7",
                        "--set", "api.maxrunsperclient=0"),
                Map.of());
        assertThat(set.serverOptions().maxConnections()).isEqualTo(100);
        assertThat(set.serverOptions().maxConnectionsPerAddress()).isEqualTo(5);
        assertThat(set.serverOptions().ipv6PrefixLength()).isEqualTo(56);
        assertThat(set.serverOptions().writeTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(set.limits().maxRunsPerClient()).isZero();

        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_API_IPV6PREFIXLENGTH", "129")))
                .hasMessageContaining("api.ipv6prefixlength");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_API_MAXCONNECTIONS", "many")))
                .hasMessageContaining("api.maxconnections");
    }

    @Test
    void invalidValuesNameTheKeyTheValueAndTheSource() {
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SANDBOX_TIMEOUTSECONDS", "soon")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sandbox.timeoutseconds")
                .hasMessageContaining("env RANNA_SANDBOX_TIMEOUTSECONDS")
                .hasMessageContaining("'soon'");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SANDBOX_MEMORY", "lots")))
                .hasMessageContaining("sandbox.memory");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_API_BINDADDRESS", "nowhere")))
                .hasMessageContaining("api.bindaddress");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_API_TRUSTEDPROXIES", "proxy.local")))
                .hasMessageContaining("api.trustedproxies");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_LOG_LEVEL", "loud")))
                .hasMessageContaining("log.level");
        assertThatThrownBy(() -> load(List.of("--port", "70000"), Map.of())).hasMessageContaining("--port");
        assertThatThrownBy(() -> load(List.of("--frobnicate"), Map.of())).hasMessageContaining("--frobnicate");
        assertThatThrownBy(() -> load(List.of("--set", "no.such.key=1"), Map.of()))
                .hasMessageContaining("no.such.key");
        assertThatThrownBy(() ->
                        load(List.of("--spec-file", dir.resolve("missing.yaml").toString()), Map.of()))
                .hasMessageContaining("specfile")
                .hasMessageContaining("no such file");
    }

    @Test
    void unknownEnvironmentKeysAreWarningsNotErrors() {
        StandaloneConfig config =
                load(List.of(), Map.of("RANNA_FOO_BAR", "1", "RANNA_SCHEDULER_UPDATESPECS", "@every 1h"));

        assertThat(config.warnings())
                .anySatisfy(w -> assertThat(w).contains("foo.bar"))
                .anySatisfy(w -> assertThat(w).contains("scheduler.updatespecs is set but specfile is not"));
    }

    @Test
    void bindAddressForms() {
        assertThat(load(List.of(), Map.of("RANNA_API_BINDADDRESS", "[::1]:81")).host())
                .isEqualTo("::1");
        assertThat(load(List.of(), Map.of("RANNA_API_BINDADDRESS", "localhost:82"))
                        .port())
                .isEqualTo(82);
        assertThat(load(List.of(), Map.of("RANNA_API_BINDADDRESS", "83")).port())
                .isEqualTo(83);
        assertThat(load(List.of("--host", "127.0.0.2", "--port=0"), Map.of()).port())
                .isZero();
    }

    @Test
    void describeMasksSecretsAndNamesSources() {
        StandaloneConfig config =
                load(List.of("--set", "api.tokens=topsecret,other"), Map.of("RANNA_SANDBOX_MEMORY", "1G"));

        String text = config.describe();

        assertThat(text).doesNotContain("topsecret").contains("api.tokens = ****** (2 set)  [flag --set]");
        assertThat(text).contains("sandbox.memory = 1G  [env RANNA_SANDBOX_MEMORY]");
        assertThat(text).contains("api.bindaddress = 0.0.0.0:8080  [default]");
    }

    @Test
    void helpIsGeneratedFromTheRegistryWithEveryKeyItsEnvironmentVariableAndDefault() {
        StandaloneConfig config = load(List.of("--help"), Map.of());
        String help = StandaloneConfig.helpText(config.registry());

        assertThat(config.help()).isTrue();
        for (var key : config.registry().keys()) {
            assertThat(help).contains(key.name());
            if (!key.isTemplate()) {
                assertThat(help).contains(key.environmentName());
            }
        }
        assertThat(help)
                .contains("flags > environment > config file > defaults")
                .contains("Sandbox 'docker':")
                .contains("Sandbox 'process':")
                .contains("sandbox.docker.host")
                .contains("sandbox.process.pids (default 128) [ranna-jvm]\n      RANNA_SANDBOX_PROCESS_PIDS: ")
                .contains("sandbox.memory (default 100M)\n      RANNA_SANDBOX_MEMORY: memory limit of one run");
    }

    @Test
    void anUnknownKeyUnderAProvidersPrefixStopsTheServerNamingIt() throws Exception {
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SANDBOX_DOCKER_TYOP", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sandbox.docker.tyop")
                .hasMessageContaining("the docker sandbox has no such key")
                .hasMessageContaining("env RANNA_SANDBOX_DOCKER_TYOP");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SANDBOX_PROCESS_PDIS", "64")))
                .hasMessageContaining("did you mean sandbox.process.pids?");
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, "sandbox:\n  docker:\n    hots: tcp://x:2375\n");
        assertThatThrownBy(() -> load(List.of("--config", file.toString()), Map.of()))
                .hasMessageContaining("sandbox.docker.hots")
                .hasMessageContaining("file " + file);
        assertThatThrownBy(() -> load(List.of("--set", "sandbox.docker.tyop=1"), Map.of()))
                .hasMessageContaining("sandbox.docker.tyop");
    }

    @Test
    void unknownKeysElsewhereAreOneWarningEach() {
        StandaloneConfig config =
                load(List.of(), Map.of("RANNA_API_MAXOUTPUTLENN", "1M", "RANNA_SANDBOX_NOSUCH_KEY", "x"));

        assertThat(config.warnings())
                .hasSize(2)
                .anySatisfy(w -> assertThat(w)
                        .contains("unknown configuration key 'api.maxoutputlenn'")
                        .contains("did you mean api.maxoutputlen?")
                        .contains("env RANNA_API_MAXOUTPUTLENN")
                        .endsWith("ignored"))
                .anySatisfy(w -> assertThat(w).contains("sandbox.nosuch.key"));
        assertThat(config.sandboxProperties()).isEmpty();
    }

    @Test
    void providerKeysAreParsedAtLoadInTheOneGrammarAndPassedToTheSandbox() throws Exception {
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SANDBOX_PROCESS_PIDS", "many")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("sandbox.process.pids (env RANNA_SANDBOX_PROCESS_PIDS): expected a whole number, got"
                        + " 'many'");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SANDBOX_DOCKER_SPEC_PYTHON3_POOL_SIZE", "-1")))
                .hasMessageContaining("sandbox.docker.spec.python3.pool.size")
                .hasMessageContaining("must be >= 0");
        assertThatThrownBy(() -> load(List.of(), Map.of("RANNA_SANDBOX_ENABLENETWORKING", "maybe")))
                .hasMessageContaining("sandbox.enablenetworking")
                .hasMessageContaining("expected true or false");

        Path file = dir.resolve("config.yaml");
        Files.writeString(
                file,
                "sandbox:\n  process:\n    prestart: off\n    cgroups: off\n  docker:\n    spec:\n      python3:\n"
                        + "        pool:\n          size: 0\n");
        StandaloneConfig config = load(List.of("--config", file.toString()), Map.of("RANNA_SANDBOX_MEMORY", ""));
        assertThat(config.sandboxProperties())
                .containsEntry("sandbox.process.prestart", "off")
                .containsEntry("sandbox.process.cgroups", "off")
                .containsEntry("sandbox.docker.spec.python3.pool.size", "0")
                .doesNotContainKey("sandbox.memory");
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void emptyMeansUnsetForEveryType() {
        StandaloneConfig config = load(
                List.of(),
                Map.of("RANNA_DEBUG", "", "RANNA_SANDBOX_TIMEOUTSECONDS", " ", "RANNA_API_WS_RATELIMIT_BURST", ""));
        assertThat(config.logLevel()).isEqualTo("info");
        assertThat(config.limits().timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.limits().rateLimited()).isFalse();
    }
}
