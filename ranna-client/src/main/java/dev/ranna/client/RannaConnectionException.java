package dev.ranna.client;

import org.jspecify.annotations.Nullable;

/**
 * A connection to a ranna server could not be opened, or was lost or closed: a refused WebSocket upgrade, a
 * network failure, the server closing the WebSocket, {@link RannaConnection#close()} while runs were in flight,
 * a message larger than the client's bound. A run in flight on a lost connection completes its {@link
 * RannaRun#stop()} with this; the server kills such runs on its side.
 *
 * <p>{@link #code()} is the HTTP status when the server answered the upgrade or a REST call with one and no
 * ranna error body (e.g. 401 without a valid token, 503 over the connection limit), the WebSocket close status
 * when the connection was closed (e.g. 1009 for a message too large, 1000 for a normal close), and 0 when there
 * was no answer at all (refused, reset, timed out).
 */
public class RannaConnectionException extends RannaException {
    private static final long serialVersionUID = 1L;

    /**
     * @param code an HTTP status, a WebSocket close status, or 0 (see the class documentation)
     * @param message what happened
     * @param cause the I/O failure behind it, if any
     */
    public RannaConnectionException(int code, String message, @Nullable Throwable cause) {
        super(code, message, cause);
    }
}
