package dev.ranna.protocol;

import java.util.Objects;

/**
 * An operation sent by a client: {@code {"op": int, "nonce"?: int|string, "args"?: object}}.
 *
 * <p>The closed set is {@link Ping}, {@link Exec} and {@link Kill}. Dispatch with an exhaustive switch
 * over {@link #opCode()}.
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
}
