package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.protocol.InlineTemplate;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InlineExpanderTest {
    /** A Go-style spec whose import regex repeats a group once per imported package. */
    static final String GO_SPEC = """
            go:
              entrypoint: go run
              filename: main.go
              inline:
                import_regex: 'import\\s*\\((\\s*"[^"]*")*\\s*\\)'
                template: "package main\\n$${IMPORTS}\\nfunc main() {\\n$${CODE}\\n}"
            """;

    static final InlineTemplate GO =
            SpecRegistry.parse(GO_SPEC).find("go").orElseThrow().inline();

    static String hostileImports(int lines) {
        return "import (" + "\n\t\"a\"".repeat(lines) + "\n)";
    }

    @Test
    void importsMoveOutOfTheCodeIntoTheTemplate() {
        assertThat(InlineExpander.expand(GO, "import (\n\t\"fmt\"\n)\nfmt.Println(1)"))
                .isEqualTo("package main\nimport (\n\t\"fmt\"\n)\nfunc main() {\n\nfmt.Println(1)\n}");
    }

    @Test
    void aHostileImportListIsMatchedInLinearTimeWithoutRecursion() {
        String code = hostileImports(50_000) + "\nx()";
        String expanded = InlineExpander.expand(GO, code);
        assertThat(expanded).startsWith("package main\nimport (").endsWith("func main() {\n\nx()\n}");
        assertThat(expanded).hasSize(code.length() + "package main\n\nfunc main() {\n\n}".length());
    }

    @Test
    void theSameInputOverflowsABacktrackingRegexWhichIsWhyItIsNotUsed() {
        // The control: shows the input above is hostile, so the test above could fail.
        var backtracking = java.util.regex.Pattern.compile(GO.importRegex());
        String code = hostileImports(50_000);
        assertThatThrownBy(() -> backtracking.matcher(code).find()).isInstanceOf(StackOverflowError.class);
    }

    @Test
    void utf8LengthCountsLikeTheEncoderWithoutEncoding() {
        var random = new Random(11);
        String[] pieces = {"a", "é", "€", "😀", "\uD800", "\uDC00", "\u0000", "\u07FF", "\u0800", "\uFFFF"};
        for (int round = 0; round < 2_000; round++) {
            var text = new StringBuilder();
            int length = random.nextInt(12);
            for (int i = 0; i < length; i++) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            String value = text.toString();
            assertThat(DefaultEngineSession.utf8Length(value))
                    .as("%s", value.chars().mapToObj(Integer::toHexString).toList())
                    .isEqualTo(value.getBytes(StandardCharsets.UTF_8).length);
        }
    }
}
