package dev.ranna.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Latency percentiles (nearest rank) over measured samples, in nanoseconds. */
record Stats(int n, int errors, double p50, double p90, double p99, double mean) {

    static Stats of(List<Long> nanos, int errors) {
        long[] s = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(s);
        if (s.length == 0) {
            return new Stats(0, errors, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = Arrays.stream(s).average().orElse(Double.NaN);
        return new Stats(s.length, errors, rank(s, 0.50), rank(s, 0.90), rank(s, 0.99), mean);
    }

    private static double rank(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static String ms(double nanos) {
        if (Double.isNaN(nanos)) {
            return "n/a";
        }
        double ms = nanos / 1e6;
        return String.format(Locale.ROOT, ms < 10 ? "%.2f" : "%.1f", ms);
    }

    static String ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2fx", a / b);
    }

    static String mib(double bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
