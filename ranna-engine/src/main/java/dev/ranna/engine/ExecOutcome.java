package dev.ranna.engine;

import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.Utf8Text;
import dev.ranna.protocol.json.RestResponseEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The result of {@link RannaEngine#exec}: the run's output, or the error that ended it. */
public sealed interface ExecOutcome {

    /**
     * The HTTP answer to {@code POST /v1/exec} for this outcome, the same from every transport: 200 with the
     * run's output; for a failure the error's code as the status, except that a timeout is 400 with code 400
     * as ranna's own server answers it (browsers silently re-send a request answered 408 on a reused
     * connection, which would run the program again). A run that started carries its output so far and the
     * STOP fields ({@code "timedout": true}). The run's output is written escaped on its UTF-8 bytes.
     *
     * @param encoder the REST body writer
     */
    default RestAnswer restAnswer(RestResponseEncoder encoder) {
        if (this instanceof Completed completed) {
            var body = new RestAnswer.Body(completed.response());
            try {
                encoder.encode(completed.response(), body);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a byte array does not fail
            }
            return new RestAnswer(200, body.text());
        }
        Failed failed = (Failed) this;
        ErrorResponse error = failed.error();
        boolean timeout = error.code() == ErrorCode.TIMEOUT.code();
        int status = timeout ? 400 : error.code();
        var answer = new ErrorResponse(error.error(), status);
        ExecutionResponse run = failed.run();
        if (run != null) {
            var body = new RestAnswer.Body(run);
            try {
                encoder.encode(answer, run, body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new RestAnswer(status, body.text());
        }
        String body = encoder.encode(answer);
        if (timeout) {
            // The codec writes a JSON object; the STOP field that says what happened goes inside it.
            body = body.substring(0, body.lastIndexOf('}')) + ",\"timedout\":true}";
        }
        return new RestAnswer(status, body);
    }

    /**
     * An HTTP answer: status and JSON body, held as UTF-8 (what goes on the wire); {@link #body()} decodes
     * it.
     *
     * @param status the HTTP status
     * @param utf8Body the JSON body
     */
    record RestAnswer(int status, Utf8Text utf8Body) {
        public RestAnswer {
            Objects.requireNonNull(utf8Body, "utf8Body");
        }

        /** An answer with a JSON body given as text. */
        public RestAnswer(int status, String body) {
            this(status, Utf8Text.of(Objects.requireNonNull(body, "body")));
        }

        /** The JSON body. */
        public String body() {
            return utf8Body.text();
        }

        /** A body written by the encoder, sized for the run's output. */
        private static final class Body extends ByteArrayOutputStream {
            Body(ExecutionResponse run) {
                super(run.stdoutUtf8().byteLength() + run.stderrUtf8().byteLength() + 256);
            }

            Utf8Text text() {
                return Utf8Text.copyOf(buf, 0, count);
            }
        }
    }

    /** The run completed (whatever its exit code); its output and how it ended. */
    record Completed(ExecutionResponse response) implements ExecOutcome {
        public Completed {
            Objects.requireNonNull(response, "response");
        }
    }

    /**
     * The run was refused (400, 413, 429, 503) or ended by an error (408 timeout, 413 output limit, 500
     * sandbox failure).
     *
     * @param error what went wrong, with the code the WebSocket's ERROR event carries
     * @param run for a run that started and was then ended by the error: its output up to then and how it
     *     ended (the STOP's fields, e.g. {@code timedout}); null for a refusal
     */
    record Failed(ErrorResponse error, @Nullable ExecutionResponse run) implements ExecOutcome {
        public Failed {
            Objects.requireNonNull(error, "error");
        }

        /** A refusal: the run never started. */
        public Failed(ErrorResponse error) {
            this(error, null);
        }
    }
}
