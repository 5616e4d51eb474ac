package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.LanguageSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecRegistryTest {

    /** An excerpt of ranna's own spec/spec.yaml, in its format. */
    static final String RANNA_SPEC = """
            golang:
              image:      'golang:alpine'
              entrypoint: 'go run'
              filename:   'main.go'
            go:
              use:        'golang'

            python3:
              image:      'python:alpine'
              entrypoint: 'python3'
              filename:   'main.py'
            python:
              use:        'python3'
            py:
              use:        'python'

            rust:
              image:      'rust:alpine'
              cmd:        '/bin/ash -c "rustc main.rs && ./main"'
              filename:   'main.rs'
            """;

    @Test
    void parsesRannasSpecFileKeepingOrderAndResolvingAliasChains() {
        SpecRegistry registry = SpecRegistry.parse(RANNA_SPEC);
        assertThat(registry.languages()).containsExactly("golang", "go", "python3", "python", "py", "rust");
        assertThat(registry.find("py").orElseThrow().key()).isEqualTo("python3");
        assertThat(registry.find("go").orElseThrow().entrypoint()).containsExactly("go", "run");
        assertThat(registry.find("golang").orElseThrow().cmd()).containsExactly("main.go");
        assertThat(registry.find("rust").orElseThrow().cmd())
                .containsExactly("/bin/ash", "-c", "rustc main.rs && ./main");
        assertThat(registry.find("rust").orElseThrow().entrypoint()).isEmpty();
        assertThat(registry.find("cobol")).isEmpty();
        assertThat(registry.specMap().get("go").orElseThrow().use()).isEqualTo("golang");
    }

    @Test
    void jsonSpecFilesWorkToo() {
        SpecRegistry registry = SpecRegistry.parse("{\"sh\": {\"entrypoint\": \"sh\", \"filename\": \"main.sh\"}}");
        assertThat(registry.find("sh").orElseThrow().entrypoint()).containsExactly("sh");
    }

    @Test
    void useCycleIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> SpecRegistry.parse("a:\n  use: b\nb:\n  use: c\nc:\n  use: a\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a.use: alias cycle a -> b -> c");
        assertThatThrownBy(() -> SpecRegistry.parse("self:\n  use: self\n")).hasMessage("self.use: alias cycle self");
    }

    @Test
    void danglingUseIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> SpecRegistry.parse("py:\n  use: python9\n"))
                .hasMessage("py.use: names 'python9', which is not in the spec map");
    }

    @Test
    void invalidImportRegexIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> SpecRegistry.parse(
                        "go:\n  entrypoint: go run\n  filename: main.go\n  inline:\n    import_regex: '(unclosed'\n"
                                + "    template: '$${CODE}'\n"))
                .hasMessageStartingWith("go.inline.import_regex: invalid regex");
    }

    @Test
    void entryValidationNamesTheKey() {
        assertThatThrownBy(() -> SpecRegistry.parse("x:\n  entrypoint: sh\n")).hasMessage("x.filename: missing");
        assertThatThrownBy(() -> SpecRegistry.parse("x:\n  entrypoint: sh\n  filename: ../etc/passwd\n"))
                .hasMessage("x.filename: must be a plain file name, got '../etc/passwd'");
        assertThatThrownBy(() -> SpecRegistry.parse("x:\n  entrypoint: [sh]\n  filename: main.sh\n"))
                .hasMessage("x.entrypoint: expected a string, got an array");
        assertThatThrownBy(() -> SpecRegistry.parse("x: [1, 2]\n")).hasMessage("x: expected an object, got an array");
        assertThatThrownBy(() -> SpecRegistry.parse("x: {\n")).hasMessageStartingWith("spec file is not valid");
    }

    @Test
    void withoutEntrypointOrCmdTheCodeFileItselfIsRun() {
        assertThat(SpecRegistry.parse("x:\n  filename: main.sh\n")
                        .find("x")
                        .orElseThrow()
                        .cmd())
                .containsExactly("main.sh");
    }

    @Test
    void emptyFileIsAnEmptyRegistry() {
        assertThat(SpecRegistry.parse("").languages()).isEmpty();
    }

    @Test
    void loadNamesTheFileInErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spec.yaml");
        Files.writeString(file, "a:\n  use: missing\n");
        assertThatThrownBy(() -> SpecRegistry.load(file))
                .hasMessageContaining(file.toString())
                .hasMessageContaining("a.use");
        Files.writeString(file, RANNA_SPEC);
        assertThat(SpecRegistry.load(file).languages()).hasSize(6);
    }

    @Test
    void commandSplittingGroupsDoubleQuotes() {
        assertThat(LanguageSpec.split("sh -c \"a && b\"")).containsExactly("sh", "-c", "a && b");
        assertThat(LanguageSpec.split("  go   run  ")).containsExactly("go", "run");
        assertThat(LanguageSpec.split("x \"\" y")).containsExactly("x", "", "y");
        assertThat(LanguageSpec.split(null)).isEqualTo(List.of());
    }
}
