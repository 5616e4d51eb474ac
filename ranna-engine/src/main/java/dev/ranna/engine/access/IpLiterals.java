package dev.ranna.engine.access;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * IP address literals, parsed without name resolution and without touching Netty (whose static
 * initialisation creates loggers, which must wait until the standalone server has configured logging).
 */
public final class IpLiterals {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

    private IpLiterals() {}

    /** The address bytes (4 or 16) of an IPv4 or IPv6 literal, or null if {@code text} is not one. */
    static byte @Nullable [] parse(String text) {
        String value = text.trim();
        if (value.startsWith("[") && value.endsWith("]")) {
            value = value.substring(1, value.length() - 1);
        }
        if (IPV4.matcher(value).matches()) {
            byte[] bytes = new byte[4];
            String[] parts = value.split("\\.");
            for (int i = 0; i < 4; i++) {
                int part = Integer.parseInt(parts[i]);
                if (part > 255) {
                    return null;
                }
                bytes[i] = (byte) part;
            }
            return bytes;
        }
        if (value.indexOf(':') >= 0 && IPV6.matcher(value).matches()) {
            try {
                // With a colon the JDK parses an IPv6 literal and never asks a resolver.
                return InetAddress.getByName("[" + value + "]").getAddress();
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return null;
    }

    /** Whether {@code host} is {@code localhost} or a loopback literal ({@code 127.0.0.0/8}, {@code ::1}). */
    public static boolean isLoopback(String host) {
        String value = host.trim();
        if (value.equalsIgnoreCase("localhost")
                || value.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost")) {
            return true;
        }
        byte[] bytes = parse(value);
        if (bytes == null) {
            return false;
        }
        if (bytes.length == 4) {
            return bytes[0] == 127;
        }
        for (int i = 0; i < 15; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[15] == 1;
    }

    /** The canonical text of an address (IPv6 compressed). */
    static String format(byte[] bytes) {
        try {
            String text = InetAddress.getByAddress(bytes).getHostAddress();
            return bytes.length == 16 ? compress(text) : text;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + bytes.length + " bytes", e);
        }
    }

    /** "0:0:0:0:0:0:0:1" to "::1": the longest run of zero groups becomes "::". */
    private static String compress(String full) {
        String[] groups = full.split(":");
        int bestStart = -1;
        int bestLength = 0;
        for (int i = 0; i < groups.length; ) {
            if (groups[i].equals("0")) {
                int j = i;
                while (j < groups.length && groups[j].equals("0")) {
                    j++;
                }
                if (j - i > bestLength && j - i > 1) {
                    bestStart = i;
                    bestLength = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestStart < 0) {
            return full;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail;
    }
}
