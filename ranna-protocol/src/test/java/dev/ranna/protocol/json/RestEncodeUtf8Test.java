package dev.ranna.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.CompileResult;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.Usage;
import dev.ranna.protocol.Utf8Text;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A REST execution response written on bytes is exactly the UTF-8 of the String encoder's. */
class RestEncodeUtf8Test {
    private static final RestResponseEncoder REST = RestResponseEncoder.create();

    private static byte[] utf8(ErrorResponse error, ExecutionResponse run) {
        var out = new ByteArrayOutputStream();
        try {
            if (error == null) {
                REST.encode(run, out);
            } else {
                REST.encode(error, run, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void assertSameBytes(ExecutionResponse run) {
        assertThat(utf8(null, run)).as("%s", run).isEqualTo(REST.encode(run).getBytes(StandardCharsets.UTF_8));
        var error = new ErrorResponse("output limit exceeded \"x\"\n", 413);
        assertThat(utf8(error, run))
                .as("%s", run)
                .isEqualTo(REST.encode(error, run).getBytes(StandardCharsets.UTF_8));
    }

    /** The engine's form: the output joined from LOG bytes, never held as a String. */
    private static Utf8Text bytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return Utf8Text.copyOf(b, 0, b.length);
    }

    private static ExecutionResponse response(String stdout, String stderr, RunResult result, CompileResult compile) {
        return new ExecutionResponse(bytes(stdout), bytes(stderr), result, compile);
    }

    @Test
    void goldenShapesWriteTheSameBytes() {
        assertSameBytes(response("hi\n", "", RunResult.exited(15, 3), null));
        assertSameBytes(response(
                "hi\n", "", new RunResult(15, 3, null, false, false, false, new Usage(4, 52428800), false), null));
        assertSameBytes(response(
                "1\n",
                "",
                RunResult.exited(3, 0).withStage(Stage.RUN, 640),
                new CompileResult(bytes(""), bytes("main.c:1: warning\n"), 0, null, 640)));
        assertSameBytes(response(
                "partial",
                "",
                new RunResult(20_000, null, "SIGKILL", true, true, false),
                new CompileResult(bytes("é"), bytes("\u0001"), null, "SIGKILL", 7)));
    }

    @Test
    void randomOutputWritesTheSameBytes() {
        var random = new Random(3);
        for (int n = 0; n < 500; n++) {
            String out = text(random);
            String err = text(random);
            assertSameBytes(response(out, err, RunResult.exited(n, n % 3), null));
            assertSameBytes(response(
                    err,
                    out,
                    RunResult.exited(n, 0).withStage(Stage.RUN, 1),
                    new CompileResult(bytes(out), bytes(err), 0, null, 1)));
        }
    }

    @Test
    void aLoneSurrogateInAStringOutputBecomesAQuestionMarkAsOnTheStringPath() {
        for (String text : List.of("\ud800", "a\udc00b", "ok 😀 then \ud83d")) {
            assertSameBytes(new ExecutionResponse(text, "", RunResult.exited(1, 0)));
            assertSameBytes(new ExecutionResponse("", "", new RunResult(1, null, text, false, true, false)));
        }
    }

    private static String text(Random random) {
        var text = new StringBuilder();
        int length = random.nextInt(random.nextInt(10) == 0 ? 20_000 : 50);
        for (int i = 0; i < length; i++) {
            text.appendCodePoint(JsonBytesTest.codePoint(random));
        }
        return text.toString();
    }
}
