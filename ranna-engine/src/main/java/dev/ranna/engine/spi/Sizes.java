package dev.ranna.engine.spi;

import java.util.Locale;

/** Sizes in ranna's syntax: a number with an optional unit {@code k}, {@code M}, {@code G} (powers of 1024). */
public final class Sizes {
    private Sizes() {}

    /**
     * Parses {@code value} ({@code 100M}, {@code 1G}, {@code 512k}, {@code 1024}, {@code 2MB}, {@code 1Mi}).
     *
     * @param key the configuration key, named in the error message
     * @throws IllegalArgumentException naming {@code key} and {@code value} if it is not a size
     */
    public static long parse(String key, String value) {
        String text = value.trim();
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.endsWith("ib")) {
            lower = lower.substring(0, lower.length() - 2);
        } else if (lower.endsWith("b") || lower.endsWith("i")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        long multiplier = 1;
        if (!lower.isEmpty()) {
            switch (lower.charAt(lower.length() - 1)) {
                case 'k':
                    multiplier = 1024L;
                    break;
                case 'm':
                    multiplier = 1024L * 1024;
                    break;
                case 'g':
                    multiplier = 1024L * 1024 * 1024;
                    break;
                case 't':
                    multiplier = 1024L * 1024 * 1024 * 1024;
                    break;
                default:
                    break;
            }
            if (multiplier != 1) {
                lower = lower.substring(0, lower.length() - 1).trim();
            }
        }
        try {
            long number = Long.parseLong(lower);
            if (number < 0) {
                throw new NumberFormatException("negative");
            }
            return Math.multiplyExact(number, multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(
                    key + ": expected a size such as 100M, 1G or 512k, got '" + value + "'", e);
        }
    }
}
