package dev.ranna.protocol;

import java.util.Optional;

/** The event codes the server sends, with their wire values ({@code "code"}). */
public enum EventCode {
    /** {@code 0}: the answer to a PING; data is the string {@code "Pong!"}. */
    PONG(0),
    /** {@code 1}: an error; data is {@code {"code": int, "message": string}}. */
    ERROR(1),
    /** {@code 2}: a run was spawned; data is {@code {"runid"}}. */
    SPAWN(2),
    /** {@code 3}: a chunk of a run's output; data is {@code {"runid", "stdout"|"stderr"}}. */
    LOG(3),
    /** {@code 4}: a run ended; data is {@code {"runid", "exectimems", ...}}. */
    STOP(4);

    private final int code;

    EventCode(int code) {
        this.code = code;
    }

    /** The wire value of this event. */
    public int code() {
        return code;
    }

    /** The event with the given wire value, or empty if there is none. */
    public static Optional<EventCode> fromCode(long code) {
        for (EventCode event : values()) {
            if (event.code == code) {
                return Optional.of(event);
            }
        }
        return Optional.empty();
    }
}
