package dev.ranna.engine.spi;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a program ended, as far as the sandbox knows: its exit code or signal, whether the kernel killed it
 * for memory, and how long it ran. Why it ended (a timeout, a KILL, the output limit) is the engine's
 * record, not the sandbox's: a run the engine killed simply ends by {@code SIGKILL} here.
 *
 * <p>Construct through the factories ({@link #exited}, {@link #signalled}, {@link #killed}, then {@link
 * #withOomKilled}, {@link #withUsage}): facts a sandbox may report later join as new components with
 * defaults in those factories, so sandboxes that do not report them do not change.
 *
 * @param exitCode the exit code, or null when the program was ended by a signal
 * @param signal the signal's name ({@code "SIGKILL"}), or null when it exited by itself
 * @param oomKilled the sandbox knows it was killed for exceeding its memory limit
 * @param elapsed the program's own wall time, from start to exit
 * @param usage what the run's whole process tree consumed, or null when the sandbox did not measure it
 *     (a sandbox with {@link Capability#USAGE} reports it whenever it can; a null then means this one run
 *     could not be measured, and the STOP says nothing rather than something wrong)
 */
public record ExitStatus(
        @Nullable Integer exitCode,
        @Nullable String signal,
        boolean oomKilled,
        Duration elapsed,
        @Nullable ResourceUsage usage) {

    public ExitStatus {
        Objects.requireNonNull(elapsed, "elapsed");
        if (elapsed.isNegative()) {
            throw new IllegalArgumentException("elapsed must be >= 0: " + elapsed);
        }
    }

    /** A status without usage. */
    public ExitStatus(@Nullable Integer exitCode, @Nullable String signal, boolean oomKilled, Duration elapsed) {
        this(exitCode, signal, oomKilled, elapsed, null);
    }

    /** The program exited by itself. */
    public static ExitStatus exited(int exitCode, Duration elapsed) {
        return new ExitStatus(exitCode, null, false, elapsed);
    }

    /** The program was ended by {@code signal} (e.g. {@code "SIGSEGV"}). */
    public static ExitStatus signalled(String signal, Duration elapsed) {
        return new ExitStatus(null, Objects.requireNonNull(signal, "signal"), false, elapsed);
    }

    /** The program was ended by {@code SIGKILL}: typically {@link Execution#kill()}. */
    public static ExitStatus killed(Duration elapsed) {
        return signalled("SIGKILL", elapsed);
    }

    /** This status with the sandbox's knowledge of an OOM kill. */
    public ExitStatus withOomKilled(boolean oom) {
        return new ExitStatus(exitCode, signal, oom, elapsed, usage);
    }

    /** This status with what the run consumed (null: not measured). */
    public ExitStatus withUsage(@Nullable ResourceUsage measured) {
        return new ExitStatus(exitCode, signal, oomKilled, elapsed, measured);
    }

    /** Whether the program was ended by {@code SIGKILL}. */
    public boolean killedBySigkill() {
        return "SIGKILL".equals(signal);
    }

    /**
     * The conventional name of signal {@code number} on Linux ({@code 9} is {@code "SIGKILL"}), or
     * {@code "SIG" + number} for one without a name here.
     */
    public static String signalName(int number) {
        switch (number) {
            case 1:
                return "SIGHUP";
            case 2:
                return "SIGINT";
            case 3:
                return "SIGQUIT";
            case 4:
                return "SIGILL";
            case 5:
                return "SIGTRAP";
            case 6:
                return "SIGABRT";
            case 7:
                return "SIGBUS";
            case 8:
                return "SIGFPE";
            case 9:
                return "SIGKILL";
            case 10:
                return "SIGUSR1";
            case 11:
                return "SIGSEGV";
            case 12:
                return "SIGUSR2";
            case 13:
                return "SIGPIPE";
            case 14:
                return "SIGALRM";
            case 15:
                return "SIGTERM";
            case 24:
                return "SIGXCPU";
            case 25:
                return "SIGXFSZ";
            default:
                return "SIG" + number;
        }
    }
}
