package dev.ranna.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BootTest {

    @Test
    void quotingKeepsEveryCharacterLiteral() {
        assertThat(Boot.quote("it's $(x) `y` \\ \"z\"")).isEqualTo("'it'\\''s $(x) `y` \\ \"z\"'");
        assertThat(Boot.quote("")).isEqualTo("''");
        assertThatThrownBy(() -> Boot.quote("a\0b")).hasMessageContaining("NUL");
    }

    @Test
    void payloadIsACountedHeaderThenTheExactCode() {
        byte[] payload =
                Boot.payload("/work", "main.sh", "echo é", List.of("/bin/sh", "main.sh", "a\nb"), Map.of("K", "v"));
        String text = new String(payload, StandardCharsets.UTF_8);
        assertThat(text)
                .isEqualTo("178 7\n"
                        + "unset TINI_KILL_PROCESS_GROUP\n"
                        + "cd '/work' || exit 125\n"
                        + "head -c 7 > 'main.sh' || exit 125\n"
                        + "exec </dev/null\n"
                        + "exec env -- 'K=v' '/bin/sh' 'main.sh' 'a\n"
                        + "b'\n"
                        + "# end of the ranna boot header\n"
                        + "echo é");
        String header = text.substring(text.indexOf('\n') + 1, text.indexOf("echo é"));
        assertThat(header.getBytes(StandardCharsets.UTF_8)).hasSize(178);
    }

    @Test
    void aProjectsFilesComeBeforeTheCodeAndItsCompileStageWaitsForTheGoLine() {
        var project = new Boot.Project(
                List.of(
                        dev.ranna.engine.spi.SourceFile.of("a/-rf", "xy"),
                        dev.ranna.engine.spi.SourceFile.of("a/b/$(x)", ""),
                        dev.ranna.engine.spi.SourceFile.of("it's", "z")),
                List.of("gcc", "-o", "main", "main.c"),
                "M0123456789abcdefM");
        byte[] payload =
                Boot.payload("/work", "main.c", "int main;", List.of("./main"), Map.of(), Boot.Input.NONE, project);
        String text = new String(payload, StandardCharsets.UTF_8);
        String header = text.substring(text.indexOf('\n') + 1, text.indexOf(Boot.END) + Boot.END.length() + 1);
        assertThat(header)
                .isEqualTo("unset TINI_KILL_PROCESS_GROUP\n"
                        + "cd '/work' || exit 125\n"
                        + "set -C\n"
                        + "mkdir -p './a' './a/b' || exit 125\n"
                        + "{ dd bs=2 count=1 iflag=fullblock 2>/dev/null || dd bs=1 count=2 2>/dev/null; } > './a/-rf'"
                        + " || exit 125\n"
                        + ": > './a/b/$(x)' || exit 125\n"
                        + "{ dd bs=1 count=1 iflag=fullblock 2>/dev/null || dd bs=1 count=1 2>/dev/null; } > './it'\\''s'"
                        + " || exit 125\n"
                        + "head -c 9 > 'main.c' || exit 125\n"
                        + "trap : INT TERM HUP QUIT USR1 USR2\n"
                        + "'gcc' '-o' 'main' 'main.c' </dev/null\n"
                        + "ranna_s=$?\n"
                        + "kill -9 -1 2>/dev/null\n"
                        + "printf '%s%03d\\n' 'M0123456789abcdefM' \"$ranna_s\"\n"
                        + "printf '%s%03d\\n' 'M0123456789abcdefM' \"$ranna_s\" >&2\n"
                        + "[ \"$ranna_s\" -eq 0 ] || exit \"$ranna_s\"\n"
                        + "IFS= read -r ranna_s || exit 125\n"
                        + "unset ranna_s\n"
                        + "trap - INT TERM HUP QUIT USR1 USR2\n"
                        + "exec </dev/null\n"
                        + "exec './main'\n"
                        + Boot.END + "\n");
        assertThat(text).startsWith(header.getBytes(StandardCharsets.UTF_8).length + " 21\n");
        assertThat(text).endsWith(Boot.END + "\nxyzint main;");
    }
}
