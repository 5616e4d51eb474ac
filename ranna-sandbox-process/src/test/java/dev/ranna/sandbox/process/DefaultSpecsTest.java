package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(specs.get("c").orElseThrow().entrypoint()).startsWith("/bin/sh -c");
    }
}
