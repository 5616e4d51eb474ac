package dev.ranna.protocol;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The identifier of one run, as sent in SPAWN, LOG and STOP and accepted by KILL.
 *
 * <p>Ids minted by the server ({@link #random()}) are 256 random bits in lowercase hex, never reused
 * and unrelated to any container id. Ids received from a client (KILL) may be any non-empty string;
 * they simply match no run when they are not one of the caller's.
 */
public record RunId(String value) {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    /** @throws IllegalArgumentException if {@code value} is empty */
    public RunId {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("run id must not be empty");
        }
    }

    /** A fresh id: 256 bits from a {@link SecureRandom}, as 64 lowercase hex digits. */
    public static RunId random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new RunId(HEX.formatHex(bytes));
    }

    @Override
    public String toString() {
        return value;
    }
}
