package dev.ranna.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.InlineTemplate;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import org.junit.jupiter.api.Test;

class SpecMapReaderTest {
    private static final SpecMapReader READER = SpecMapReader.create();

    @Test
    void readsYamlStraightIntoTheRecordsKeepingOrderAndAliases() {
        SpecMap specs = READER.read("""
                golang:
                  image:      'golang:alpine'
                  entrypoint: 'go run'
                  filename:   'main.go'
                  language:   go
                  example: |
                    package main
                  inline:
                    import_regex: 'import\\s+"[\\w/]+"'
                    template: |-
                      $${IMPORTS}
                      $${CODE}
                go:
                  use: golang
                """);
        assertThat(READER.readsYaml()).isTrue();
        assertThat(specs.entries().keySet()).containsExactly("golang", "go");
        assertThat(specs.get("go")).contains(SpecEntry.alias("golang"));
        assertThat(specs.get("golang"))
                .contains(SpecEntry.builder()
                        .image("golang:alpine")
                        .entrypoint("go run")
                        .filename("main.go")
                        .language("go")
                        .example("package main\n")
                        .inline(new InlineTemplate("import\\s+\"[\\w/]+\"", "$${IMPORTS}\n$${CODE}"))
                        .build());
    }

    @Test
    void yamlScalarsThatAreNotStringsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> READER.read("x:\n  filename: 5\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("x.filename: expected a string, got an integer");
        assertThatThrownBy(() -> READER.read("x:\n  cmd: true\n"))
                .hasMessage("x.cmd: expected a string, got a boolean");
        assertThatThrownBy(() -> READER.read("x:\n  inline: {template: [a]}\n"))
                .hasMessage("x.inline.template: expected a string, got an array");
        assertThatThrownBy(() -> READER.read("- a\n- b\n"))
                .hasMessage("spec map: expected an object of language specs, got an array");
        assertThatThrownBy(() -> READER.read("x: {\n")).hasMessageStartingWith("spec file is not valid YAML or JSON: ");
    }

    @Test
    void anEmptyOrNullDocumentIsTheEmptyMap() {
        assertThat(READER.read("")).isEqualTo(SpecMap.EMPTY);
        assertThat(READER.read("# only a comment\n")).isEqualTo(SpecMap.EMPTY);
        assertThat(READER.read("~\n")).isEqualTo(SpecMap.EMPTY);
        assertThat(READER.read("null")).isEqualTo(SpecMap.EMPTY);
    }

    @Test
    void withoutTheYamlDataformatJsonIsReadAndYamlIsRefusedSayingWhatToAdd() {
        var jsonOnly = new SpecMapReader(null);
        assertThat(jsonOnly.readsYaml()).isFalse();
        assertThat(jsonOnly.read("{\"sh\": {\"entrypoint\": \"sh\", \"filename\": \"main.sh\"}}")
                        .get("sh")
                        .orElseThrow()
                        .filename())
                .isEqualTo("main.sh");
        assertThat(jsonOnly.read("")).isEqualTo(SpecMap.EMPTY);
        assertThatThrownBy(() -> jsonOnly.read("sh:\n  entrypoint: sh\n  filename: main.sh\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("spec file is not valid JSON: ")
                .hasMessageEndingWith(
                        "(YAML spec files need com.fasterxml.jackson.dataformat:jackson-dataformat-yaml on the class"
                                + " path)");
    }

    @Test
    void aResourceIsReadByTheSameParserAndItsErrorsNameIt() {
        SpecMap specs = READER.readResource(SpecMapReaderTest.class, "/golden/rest/spec-map.json");
        assertThat(specs.entries().keySet()).containsExactly("python3", "python", "go");
        assertThatThrownBy(() -> READER.readResource(SpecMapReaderTest.class, "missing.yaml"))
                .hasMessageContaining("missing.yaml");
        assertThatThrownBy(() -> READER.readResource(SpecMapReaderTest.class, "/golden/ops/exec-full.json"))
                .hasMessageStartingWith("/golden/ops/exec-full.json: ");
    }

    @Test
    void theBuilderCopiesEveryFieldBack() {
        SpecEntry full = SpecEntry.builder()
                .image("i")
                .registry("r")
                .entrypoint("e")
                .cmd("c")
                .filename("f")
                .language("l")
                .example("x")
                .inline(new InlineTemplate(null, "t"))
                .compile("cc -o main main.c")
                .build();
        assertThat(full.toBuilder().build()).isEqualTo(full);
        assertThat(full.toBuilder().build().compile()).isEqualTo("cc -o main main.c");
        assertThat(full.toBuilder().use("y").build().isAlias()).isTrue();
        assertThat(SpecEntry.builder().build())
                .isEqualTo(new SpecEntry(null, null, null, null, null, null, null, null, null, null));
    }
}
