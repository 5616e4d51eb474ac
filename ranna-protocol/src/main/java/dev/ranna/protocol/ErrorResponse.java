package dev.ranna.protocol;

import java.util.Objects;

/** The body of a REST error: {@code {"error": text, "code": int}}, as ranna's web app reads it. */
public record ErrorResponse(String error, int code) {
    public ErrorResponse {
        Objects.requireNonNull(error, "error");
    }

    /** An error with one of this server's codes. */
    public static ErrorResponse of(ErrorCode code, String error) {
        return new ErrorResponse(error, code.code());
    }
}
