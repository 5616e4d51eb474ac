package dev.ranna.engine;

import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.json.RestResponseEncoder;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The result of {@link RannaEngine#exec}: the run's output, or the error that ended it. */
public sealed interface ExecOutcome {

    /**
     * The HTTP answer to {@code POST /v1/exec} for this outcome, the same from every transport: 200 with the
     * run's output; for a failure the error's code as the status, except that a timeout is 400 with code 400
     * as ranna's own server answers it (browsers silently re-send a request answered 408 on a reused
     * connection, which would run the program again). A run that started carries its output so far and the
     * STOP fields ({@code "timedout": true}).
     *
     * @param encoder the REST body writer
     */
    default RestAnswer restAnswer(RestResponseEncoder encoder) {
        if (this instanceof Completed completed) {
            return new RestAnswer(200, encoder.encode(completed.response()));
        }
        Failed failed = (Failed) this;
        ErrorResponse error = failed.error();
        boolean timeout = error.code() == ErrorCode.TIMEOUT.code();
        int status = timeout ? 400 : error.code();
        var answer = new ErrorResponse(error.error(), status);
        ExecutionResponse run = failed.run();
        if (run != null) {
            return new RestAnswer(status, encoder.encode(answer, run));
        }
        String body = encoder.encode(answer);
        if (timeout) {
            // The codec writes a JSON object; the STOP field that says what happened goes inside it.
            body = body.substring(0, body.lastIndexOf('}')) + ",\"timedout\":true}";
        }
        return new RestAnswer(status, body);
    }

    /**
     * An HTTP answer: status and JSON body.
     *
     * @param status the HTTP status
     * @param body the JSON body
     */
    record RestAnswer(int status, String body) {
        public RestAnswer {
            Objects.requireNonNull(body, "body");
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
