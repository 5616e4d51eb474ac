package dev.ranna.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An event sent by the server: {@code {"code": int, "nonce"?: int|string, "data": ...}}.
 *
 * <p>The closed set is {@link Pong}, {@link Error}, {@link Spawn}, {@link Log} and {@link Stop}.
 * Refer to them qualified ({@code Event.Error}); never single-type-import {@code Event.Error}, which
 * would shadow {@link java.lang.Error}.
 */
public sealed interface Event {

    /** The event's code. */
    EventCode eventCode();

    /** The nonce of the operation that caused this event. */
    Nonce nonce();

    /** PONG: the answer to a PING, data {@code "Pong!"}. */
    record Pong(Nonce nonce) implements Event {
        /** The fixed data of a PONG. */
        public static final String DATA = "Pong!";

        public Pong {
            Objects.requireNonNull(nonce, "nonce");
        }

        @Override
        public EventCode eventCode() {
            return EventCode.PONG;
        }
    }

    /**
     * ERROR: data {@code {"code": int, "message": string}}.
     *
     * @param code an HTTP-like code, see {@link ErrorCode}
     * @param message a human-readable message; never a stack trace or a host path
     */
    record Error(Nonce nonce, int code, String message) implements Event {
        public Error {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(message, "message");
        }

        /** An error with one of this server's codes. */
        public static Error of(Nonce nonce, ErrorCode code, String message) {
            return new Error(nonce, code.code(), message);
        }

        @Override
        public EventCode eventCode() {
            return EventCode.ERROR;
        }
    }

    /** SPAWN: data {@code {"runid"}}; the first event of every run that was started. */
    record Spawn(Nonce nonce, RunId runId) implements Event {
        public Spawn {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(runId, "runId");
        }

        @Override
        public EventCode eventCode() {
            return EventCode.SPAWN;
        }
    }

    /**
     * LOG: data {@code {"runid", "stdout": text}} or {@code {"runid", "stderr": text}}.
     *
     * <p>The output is held as UTF-8 bytes when the server made the event from a program's output (so it goes
     * to the wire without a {@code String}), as a {@code String} when a client decoded it; {@link #text()}
     * gives the {@code String} either way. Equality compares the text.
     *
     * @param stream which stream {@code output} came from
     * @param output a chunk of output, whole characters, in order within its stream
     * @param stage the stage the output comes from ({@code "stage"}), for a spec with a compile stage; null
     *     (absent on the wire) for a spec without one
     */
    record Log(
            Nonce nonce,
            RunId runId,
            StdStream stream,
            Utf8Text output,
            @Nullable Stage stage) implements Event {
        public Log {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(output, "output");
        }

        /** A LOG of {@code text}. */
        public Log(Nonce nonce, RunId runId, StdStream stream, String text, @Nullable Stage stage) {
            this(nonce, runId, stream, Utf8Text.of(Objects.requireNonNull(text, "text")), stage);
        }

        /** A LOG of a run without a compile stage. */
        public Log(Nonce nonce, RunId runId, StdStream stream, String text) {
            this(nonce, runId, stream, text, null);
        }

        /** The output as text, valid UTF-8 on the wire; decoded from the bytes on first use. */
        public String text() {
            return output.text();
        }

        @Override
        public EventCode eventCode() {
            return EventCode.LOG;
        }

        @Override
        public String toString() {
            return "Log[nonce=" + nonce + ", runId=" + runId + ", stream=" + stream + ", text=" + output + ", stage="
                    + stage + "]";
        }
    }

    /** STOP: data {@code {"runid", "exectimems", ...}}; the last event of every run that was spawned. */
    record Stop(Nonce nonce, RunId runId, RunResult result) implements Event {
        public Stop {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(result, "result");
        }

        @Override
        public EventCode eventCode() {
            return EventCode.STOP;
        }
    }
}
