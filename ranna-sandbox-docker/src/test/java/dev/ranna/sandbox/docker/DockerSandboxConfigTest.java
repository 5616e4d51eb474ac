package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.SandboxConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerSandboxConfigTest {

    @Test
    void defaultsAreHardened() {
        var config = DockerSandboxConfig.from(SandboxConfig.defaults());
        assertThat(config.memoryBytes()).isEqualTo(100L * 1024 * 1024);
        assertThat(config.compileMemoryBytes()).isEqualTo(512L * 1024 * 1024);
        assertThat(config.networking()).isFalse();
        assertThat(config.user())
                .as("no fixed user: each container leases its own uid")
                .isEmpty();
        assertThat(config.user("python3")).isEmpty();
        assertThat(config.uidBase()).isEqualTo(1_900_000_000);
        assertThat(config.uidCount()).isEqualTo(4096);
        assertThat(config.readOnlyRootfs()).isTrue();
        assertThat(config.poolSize()).isEqualTo(2);
        assertThat(config.pids()).isEqualTo(128);
        assertThat(config.cpus()).isEqualTo(1.0);
        assertThat(config.workdir()).isEqualTo("/work");
        assertThat(config.updateImages()).map(Object::toString).contains("0 3 * * *");
        assertThat(config.host()).isEmpty();
    }

    @Test
    void perSpecKeysOverrideTheDefaults() {
        var config = DockerSandboxConfig.from(SandboxConfig.of(Map.of(
                DockerSandboxConfig.USER,
                "1000",
                "sandbox.docker.spec.python3.user",
                "2000:3000",
                DockerSandboxConfig.POOL_SIZE,
                "1",
                "sandbox.docker.spec.python3.pool.size",
                "4",
                DockerSandboxConfig.POOL_WARM,
                "python3, sh",
                DockerSandboxConfig.UPDATE_IMAGES,
                "off")));
        assertThat(config.user()).contains("1000:1000");
        assertThat(config.user("python3")).contains("2000:3000");
        assertThat(config.user("sh")).contains("1000:1000");
        var onlyOne = DockerSandboxConfig.from(SandboxConfig.of(Map.of("sandbox.docker.spec.python3.user", "2000")));
        assertThat(onlyOne.user("python3")).contains("2000:2000");
        assertThat(onlyOne.user("sh")).isEmpty();
        assertThat(config.poolSize("python3")).isEqualTo(4);
        assertThat(config.poolSize("sh")).isEqualTo(1);
        assertThat(config.poolWarm()).isEqualTo(List.of("python3", "sh"));
        assertThat(config.updateImages()).isEmpty();
    }

    @Test
    void rannasSeccompProfileUnlessTheEnginesIsAskedFor() {
        assertThat(DockerSandboxConfig.from(SandboxConfig.defaults()).rannaSeccomp())
                .isTrue();
        assertThat(DockerSandboxConfig.from(SandboxConfig.of(Map.of(DockerSandboxConfig.SECCOMP, "Docker")))
                        .rannaSeccomp())
                .isFalse();
        assertThatThrownBy(() ->
                        DockerSandboxConfig.from(SandboxConfig.of(Map.of(DockerSandboxConfig.SECCOMP, "unconfined"))))
                .hasMessageContaining(DockerSandboxConfig.SECCOMP)
                .hasMessageContaining("'unconfined'");
    }

    @Test
    void invalidValuesNameTheKeyAndTheValue() {
        assertThatThrownBy(() -> DockerSandboxConfig.from(SandboxConfig.of(Map.of(DockerSandboxConfig.CPUS, "lots"))))
                .hasMessageContaining(DockerSandboxConfig.CPUS)
                .hasMessageContaining("lots");
        assertThatThrownBy(() ->
                        DockerSandboxConfig.from(SandboxConfig.of(Map.of(DockerSandboxConfig.WORKDIR, "relative/dir"))))
                .hasMessageContaining(DockerSandboxConfig.WORKDIR);
        assertThatThrownBy(
                        () -> DockerSandboxConfig.from(SandboxConfig.of(Map.of(DockerSandboxConfig.POOL_SIZE, "-1"))))
                .hasMessageContaining(DockerSandboxConfig.POOL_SIZE);
        assertThatThrownBy(() -> DockerSandboxConfig.from(SandboxConfig.of(Map.of(SandboxConfig.MEMORY, "1M"))))
                .hasMessageContaining(SandboxConfig.MEMORY);
    }

    @Test
    void theUidRangeIsValidated() {
        var config = DockerSandboxConfig.from(
                SandboxConfig.of(Map.of(DockerSandboxConfig.UID_BASE, "300000", DockerSandboxConfig.UID_COUNT, "64")));
        assertThat(config.uidBase()).isEqualTo(300000);
        assertThat(config.uidCount()).isEqualTo(64);
        assertThatThrownBy(
                        () -> DockerSandboxConfig.from(SandboxConfig.of(Map.of(DockerSandboxConfig.UID_BASE, "999"))))
                .hasMessageContaining(DockerSandboxConfig.UID_BASE);
        assertThatThrownBy(() -> DockerSandboxConfig.from(SandboxConfig.of(Map.of(DockerSandboxConfig.UID_COUNT, "0"))))
                .hasMessageContaining(DockerSandboxConfig.UID_COUNT);
        assertThatThrownBy(() -> DockerSandboxConfig.from(SandboxConfig.of(
                        Map.of(DockerSandboxConfig.UID_BASE, "2147483000", DockerSandboxConfig.UID_COUNT, "1000"))))
                .hasMessageContaining(DockerSandboxConfig.UID_COUNT);
        assertThatThrownBy(() -> DockerSandboxConfig.from(SandboxConfig.of(Map.of("sandbox.uidleasedir", "x"))))
                .hasMessageContaining("sandbox.uidleasedir");
        assertThatThrownBy(() -> DockerSandboxConfig.from(SandboxConfig.of(Map.of(SandboxConfig.COMPILE_MEMORY, "5M"))))
                .hasMessageContaining(SandboxConfig.COMPILE_MEMORY);
    }

    @Test
    void defaultSpecsAreRannaLikeAndUseRealImages() {
        var specs = DefaultSpecs.map().entries();
        assertThat(specs).containsKeys("python3", "python", "node", "js", "go", "bash", "sh", "rust", "java");
        assertThat(specs.get("python3").image()).isEqualTo("python:3-alpine");
        assertThat(specs.get("go").use()).isEqualTo("golang");
        // every compiled language has a compile stage, and only those
        var compiled = new java.util.TreeSet<String>();
        for (var spec : dev.ranna.engine.SpecRegistry.of(DefaultSpecs.map()).specs()) {
            if (spec.hasCompileStage()) {
                compiled.add(spec.key());
            }
        }
        assertThat(compiled).containsExactly("c", "cpp", "golang", "java", "rust");
        assertThat(dev.ranna.engine.SpecRegistry.of(DefaultSpecs.map()).specs())
                .allSatisfy(spec -> assertThat(spec.image()).isNotBlank());
        // The same greeting as the process sandbox's examples, which its tests run.
        assertThat(dev.ranna.engine.SpecRegistry.of(DefaultSpecs.map()).specs())
                .allSatisfy(spec -> assertThat(spec.example()).contains("Hello, World!"));
        assertThat(specs.keySet())
                .containsExactly(
                        "python3",
                        "python",
                        "py",
                        "node",
                        "javascript",
                        "js",
                        "golang",
                        "go",
                        "bash",
                        "ash",
                        "sh",
                        "rust",
                        "java",
                        "cpp",
                        "c++",
                        "c",
                        "php",
                        "ruby",
                        "elixir",
                        "deno",
                        "typescript",
                        "ts");
    }

    @Test
    void imageReferencesSplitIntoRepositoryAndTag() {
        assertThat(Images.split("python:3-alpine")).containsExactly("python", "3-alpine");
        assertThat(Images.split("alpine")).containsExactly("alpine", "latest");
        assertThat(Images.split("localhost:5000/team/img")).containsExactly("localhost:5000/team/img", "latest");
        assertThat(Images.split("localhost:5000/img:1")).containsExactly("localhost:5000/img", "1");
        assertThat(Images.split("img@sha256:abc")).containsExactly("img", "sha256:abc");
    }
}
