package dev.ranna.engine.spi;

/**
 * Something optional a sandbox can do, declared by {@link Sandbox#capabilities()}. The engine advertises
 * the protocol features these enable in {@code /v1/info}'s {@code "features"} (by {@link #feature()}), so a
 * sandbox that lacks one is never asked for it and clients can tell.
 *
 * <p>Every switch over this enum is exhaustive, so a new constant is handled everywhere or the build breaks.
 */
public enum Capability {
    /**
     * The sandbox pumps {@link SandboxRequest#stdin()} into the program and ends the program's input exactly
     * when the source ends. Features {@code "stdin"} (EXEC {@code stdin} and {@code interactive}, op STDIN).
     * Without it the engine refuses an EXEC with stdin ({@code ERROR 400}).
     */
    STDIN("stdin"),
    /**
     * The sandbox delivers {@link Execution#signal} to the program and reports a program a signal ended by
     * that signal. Feature {@code "signals"} (op SIGNAL).
     */
    SIGNALS("signals"),
    /**
     * The sandbox runs a {@link SandboxRequest#tty()} request on a pseudo-terminal and applies {@link
     * Execution#resize}. Feature {@code "tty"} (EXEC {@code tty}, op RESIZE).
     */
    TTY("tty"),
    /**
     * The sandbox measures the run's whole process tree and reports it as {@link ExitStatus#usage()} on
     * every run it can measure (CPU time and peak memory), and reports {@link ExitStatus#oomKilled()} when
     * the memory limit ended the program. Feature {@code "usage"}.
     */
    USAGE("usage"),
    /**
     * The sandbox writes {@link SandboxRequest#files()} beside the code: directories created as needed,
     * no symbolic link followed, owned by the run's user, inside the run's own working directory. Feature
     * {@code "files"}. Without it the engine refuses an EXEC with {@code files} ({@code ERROR 400}).
     */
    FILES("files"),
    /**
     * The sandbox runs a spec's {@link LanguageSpec#compile()} stage before the program, in the same
     * working directory, under the compile limits ({@link SandboxRequest#compileTimeout()}, the {@code
     * sandbox.compile.memory} memory limit), reports its end with {@link OutputSink#compiled} and starts
     * the program only after a clean compile. Feature {@code "compile"}. Without it a spec map with a
     * compile stage is refused at start.
     */
    COMPILE("compile"),
    /**
     * The sandbox applies {@link SandboxRequest#memoryLimit()}, a run's own memory limit below the
     * server's. Feature {@code "limits"} (the engine enforces a run's own timeout and output limit
     * itself). Without it the engine refuses {@code limits.memorybytes} ({@code ERROR 400}).
     */
    LIMITS("limits");

    private final String feature;

    Capability(String feature) {
        this.feature = feature;
    }

    /** The name of the protocol feature this capability enables, as listed in {@code /v1/info}. */
    public String feature() {
        return feature;
    }
}
