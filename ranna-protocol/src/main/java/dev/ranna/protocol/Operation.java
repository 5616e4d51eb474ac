package dev.ranna.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An operation sent by a client: {@code {"op": int, "nonce"?: int|string, "args"?: object}}.
 *
 * <p>The closed set is ranna's {@link Ping}, {@link Exec} and {@link Kill} and our {@link Stdin}, {@link
 * Signal} and {@link Resize}. Dispatch with an exhaustive switch over {@link #opCode()}.
 */
public sealed interface Operation {

    /** The operation's code. */
    OpCode opCode();

    /** The nonce to echo on every event this operation causes. */
    Nonce nonce();

    /** PING: answered by a PONG with the same nonce. Its {@code args} are ignored, whatever they are. */
    record Ping(Nonce nonce) implements Operation {
        public Ping {
            Objects.requireNonNull(nonce, "nonce");
        }

        @Override
        public OpCode opCode() {
            return OpCode.PING;
        }
    }

    /** EXEC: start a run of {@code request}. */
    record Exec(Nonce nonce, ExecutionRequest request) implements Operation {
        public Exec {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(request, "request");
        }

        @Override
        public OpCode opCode() {
            return OpCode.EXEC;
        }
    }

    /** KILL: kill the caller's run {@code runId}; its STOP follows on the EXEC's nonce. */
    record Kill(Nonce nonce, RunId runId) implements Operation {
        public Kill {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(runId, "runId");
        }

        @Override
        public OpCode opCode() {
            return OpCode.KILL;
        }
    }

    /**
     * STDIN (ours): writes {@code data} to the standard input of the caller's interactive run {@code runId},
     * then ends that input if {@code eof}. Success sends no event.
     *
     * @param data the text to write, UTF-8 on the way to the program; may be empty (e.g. with {@code eof})
     */
    record Stdin(Nonce nonce, RunId runId, String data, boolean eof) implements Operation {
        public Stdin {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(data, "data");
        }

        /** {@code data} as the bytes the program reads. */
        public byte[] bytes() {
            return data.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public OpCode opCode() {
            return OpCode.STDIN;
        }
    }

    /** SIGNAL (ours): sends {@code signal} to the program of the caller's run {@code runId}. Success sends no event. */
    record Signal(Nonce nonce, RunId runId, ProgramSignal signal) implements Operation {
        public Signal {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(signal, "signal");
        }

        @Override
        public OpCode opCode() {
            return OpCode.SIGNAL;
        }
    }

    /**
     * RESIZE (ours): sets the terminal of the caller's {@code tty} run {@code runId} to {@code columns} by
     * {@code rows}, each {@value #MIN_SIZE}..{@value #MAX_SIZE}. Success sends no event.
     */
    record Resize(Nonce nonce, RunId runId, int columns, int rows) implements Operation {
        /** The smallest columns or rows a client may ask for. */
        public static final int MIN_SIZE = 1;

        /** The largest columns or rows a client may ask for. */
        public static final int MAX_SIZE = 1000;

        /** @throws IllegalArgumentException if {@code columns} or {@code rows} is outside 1..1000 */
        public Resize {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(runId, "runId");
            if (columns < MIN_SIZE || columns > MAX_SIZE || rows < MIN_SIZE || rows > MAX_SIZE) {
                throw new IllegalArgumentException("terminal size must be 1..1000 each: " + columns + "x" + rows);
            }
        }

        @Override
        public OpCode opCode() {
            return OpCode.RESIZE;
        }
    }
}
