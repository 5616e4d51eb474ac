package dev.ranna.engine.spi;

/**
 * Something optional a sandbox can do, declared by {@link Sandbox#capabilities()}. The engine advertises
 * the protocol features these enable in {@code /v1/info}'s {@code "features"} (by {@link #feature()}), so a
 * sandbox that lacks one is never asked for it and clients can tell.
 *
 * <p>Later features of interactive runs (standard input, signals, terminals) join as new constants; every
 * switch over this enum is exhaustive, so a new one is handled everywhere or the build breaks.
 */
public enum Capability {
    /**
     * The sandbox measures the run's whole process tree and reports it as {@link ExitStatus#usage()} on
     * every run it can measure (CPU time and peak memory), and reports {@link ExitStatus#oomKilled()} when
     * the memory limit ended the program. Feature {@code "usage"}.
     */
    USAGE("usage");

    private final String feature;

    Capability(String feature) {
        this.feature = feature;
    }

    /** The name of the protocol feature this capability enables, as listed in {@code /v1/info}. */
    public String feature() {
        return feature;
    }
}
