package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Utf8Text;
import dev.ranna.protocol.json.RestResponseEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one mapping of a REST run's outcome to its HTTP answer, which the Netty server and the starter share. */
class ExecOutcomeRestAnswerTest {
    private final RestResponseEncoder encoder = RestResponseEncoder.create();

    @Test
    void aCompletedRunIs200WithItsOutput() {
        var response = new ExecutionResponse("hi\n", "", RunResult.exited(5, 3));

        ExecOutcome.RestAnswer answer = new ExecOutcome.Completed(response).restAnswer(encoder);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(encoder.encode(response));
    }

    @Test
    void outputJoinedFromLogBytesIsAnsweredWithTheBytesOfTheStringEncoder() {
        byte[] out = "line \"1\"\n\tünï 😀 \u0001\\".repeat(500).getBytes(StandardCharsets.UTF_8);
        var response = new ExecutionResponse(
                new Utf8Text.Builder(0)
                        .append(Utf8Text.copyOf(out, 0, out.length))
                        .append(Utf8Text.of("end"))
                        .build(),
                Utf8Text.copyOf(out, 0, 7),
                RunResult.exited(5, 0),
                null);

        ExecOutcome.RestAnswer answer = new ExecOutcome.Completed(response).restAnswer(encoder);

        assertThat(answer.utf8Body().toByteArray())
                .isEqualTo(encoder.encode(response).getBytes(StandardCharsets.UTF_8));
        ExecOutcome.RestAnswer failed =
                new ExecOutcome.Failed(new ErrorResponse("output limit exceeded", 413), response).restAnswer(encoder);
        assertThat(failed.status()).isEqualTo(413);
        assertThat(failed.utf8Body().toByteArray())
                .isEqualTo(encoder.encode(new ErrorResponse("output limit exceeded", 413), response)
                        .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRefusalIsItsCode() {
        var refusal = new ErrorResponse("server is at capacity", 503);

        ExecOutcome.RestAnswer answer = new ExecOutcome.Failed(refusal).restAnswer(encoder);

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.body()).isEqualTo(encoder.encode(refusal));
    }

    @Test
    void aTimeoutIs400NeverA408AndSaysItTimedOut() {
        var timeout = ErrorResponse.of(ErrorCode.TIMEOUT, "code execution timed out");

        ExecOutcome.RestAnswer refused = new ExecOutcome.Failed(timeout).restAnswer(encoder);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("\"code\":400").endsWith(",\"timedout\":true}");

        var run = new ExecutionResponse("partial", "", new RunResult(20_000, null, "SIGKILL", true, true, false));
        ExecOutcome.RestAnswer started = new ExecOutcome.Failed(timeout, run).restAnswer(encoder);
        assertThat(started.status()).isEqualTo(400);
        assertThat(started.body())
                .isEqualTo(encoder.encode(new ErrorResponse("code execution timed out", 400), run))
                .contains("\"stdout\":\"partial\"");
    }
}
