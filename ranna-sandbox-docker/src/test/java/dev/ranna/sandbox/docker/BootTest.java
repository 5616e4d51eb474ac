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
}
