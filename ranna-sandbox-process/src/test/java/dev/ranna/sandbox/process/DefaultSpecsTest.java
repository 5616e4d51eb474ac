package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.SpecRegistry;
import dev.ranna.protocol.SpecEntry;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DefaultSpecsTest {

    @Test
    void onlyInstalledRuntimesAreOfferedWithTheirAliases() {
        Set<Path> installed = Set.of(Path.of("/usr/bin/sh"), Path.of("/usr/bin/perl"));
        var specs = DefaultSpecs.detect(installed::contains);
        assertThat(specs.entries().keySet()).containsExactly("sh", "perl", "shell");
        assertThat(specs.get("shell")).contains(SpecEntry.alias("sh"));
        assertThat(specs.get("sh").orElseThrow().example()).contains("Hello, World!");
    }

    @Test
    void pythonComesFirstWhenInstalled() {
        Set<Path> installed = Set.of(Path.of("/usr/bin/sh"), Path.of("/usr/bin/python3"), Path.of("/usr/bin/gcc"));
        var specs = DefaultSpecs.detect(installed::contains);
        assertThat(specs.entries().keySet()).startsWith("python3", "sh", "c");
        assertThat(specs.get("python")).contains(SpecEntry.alias("python3"));
        assertThat(specs.get("c").orElseThrow().compile()).startsWith("/bin/sh -c");
        assertThat(specs.get("c").orElseThrow().cmd()).isEqualTo("./main");
    }

    @Test
    void aLanguageNeedsEveryHostProgramItsCommandNamesByAbsolutePath() {
        var all = DefaultSpecs.all();
        assertThat(DefaultSpecs.needs(all.get("sh").orElseThrow())).containsExactly(Path.of("/usr/bin/sh"));
        // The compiler inside the compile stage's sh -c script counts; the run's own ./main does not.
        assertThat(DefaultSpecs.needs(all.get("c").orElseThrow()))
                .containsExactly(Path.of("/usr/bin/sh"), Path.of("/usr/bin/gcc"));
        assertThat(DefaultSpecs.needs(all.get("java").orElseThrow()))
                .containsExactly(Path.of("/usr/bin/javac"), Path.of("/usr/bin/java"));
        // Without its compiler a compiled language is not offered, though its cmd names no host program.
        assertThat(DefaultSpecs.detect(Set.of(Path.of("/usr/bin/sh"))::contains).entries())
                .doesNotContainKeys("c", "cpp", "java");
    }

    @Test
    void theResourceIsRannasSpecFormatAndEveryExamplePrintsTheSameGreeting() {
        var registry = SpecRegistry.of(DefaultSpecs.all());
        assertThat(registry.languages())
                .startsWith("python3", "sh", "bash", "node", "java", "perl", "c", "cpp", "rust", "go", "ruby", "php")
                .contains("python", "py", "shell", "js", "nodejs", "gcc", "c++", "golang", "tclsh");
        assertThat(registry.specs())
                .allSatisfy(spec -> assertThat(spec.example()).contains("Hello, World!"));
        // Without any runtime nothing is offered, aliases included.
        assertThat(DefaultSpecs.detect(path -> false).entries()).isEmpty();
    }
}
