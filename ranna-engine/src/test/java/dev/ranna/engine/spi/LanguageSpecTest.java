package dev.ranna.engine.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.InlineTemplate;
import java.util.List;
import org.junit.jupiter.api.Test;

class LanguageSpecTest {

    @Test
    void theBuilderSplitsRannaCommandsAndDefaultsTheCommandToTheFilename() {
        LanguageSpec spec = LanguageSpec.builder("c", "main.c")
                .image("gcc:14")
                .entrypoint("/bin/sh -c \"gcc main.c && ./a.out\"")
                .language("c")
                .build();
        assertThat(spec.entrypoint()).containsExactly("/bin/sh", "-c", "gcc main.c && ./a.out");
        assertThat(spec.cmd()).containsExactly("main.c");
        assertThat(spec.image()).isEqualTo("gcc:14");
        assertThat(spec.example()).isNull();
        assertThat(LanguageSpec.builder("x", "x.sh").cmd("  ").build().cmd()).containsExactly("x.sh");
    }

    @Test
    void argumentListsAreTakenAsTheyAre() {
        LanguageSpec spec = LanguageSpec.builder("py", "main.py")
                .entrypoint(List.of("python3", "-c", "a \"b\""))
                .cmd(List.of("main.py", ""))
                .build();
        assertThat(spec.entrypoint()).containsExactly("python3", "-c", "a \"b\"");
        assertThat(spec.cmd()).containsExactly("main.py", "");
    }

    @Test
    void toBuilderKeepsEveryFieldAndValidationStillNamesTheKey() {
        LanguageSpec spec = LanguageSpec.builder("go", "main.go")
                .entrypoint("go run")
                .language("go")
                .example("package main")
                .inline(new InlineTemplate(null, "$${CODE}"))
                .build();
        assertThat(spec.toBuilder().build()).isEqualTo(spec);
        assertThatThrownBy(() -> LanguageSpec.builder("x", "../x").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("x.filename: must be a plain file name, got '../x'");
    }
}
