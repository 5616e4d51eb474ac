package dev.ranna.engine.spi;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a program ended.
 *
 * @param exitCode the exit code, or null when the program was ended by a signal
 * @param signal the signal's name ({@code "SIGKILL"}), or null when it exited by itself
 * @param timedOut the sandbox killed it at the request's timeout
 * @param killed it was killed through {@link Execution#kill()}
 * @param oomKilled the sandbox knows it was killed for exceeding its memory limit
 * @param elapsed the program's own wall time, from start to exit
 */
public record ExitStatus(
        @Nullable Integer exitCode,
        @Nullable String signal,
        boolean timedOut,
        boolean killed,
        boolean oomKilled,
        Duration elapsed) {

    public ExitStatus {
        Objects.requireNonNull(elapsed, "elapsed");
        if (elapsed.isNegative()) {
            throw new IllegalArgumentException("elapsed must be >= 0: " + elapsed);
        }
    }

    /** The program exited by itself. */
    public static ExitStatus exited(int exitCode, Duration elapsed) {
        return new ExitStatus(exitCode, null, false, false, false, elapsed);
    }

    /** The program was ended by {@code signal} (e.g. {@code "SIGSEGV"}). */
    public static ExitStatus signalled(String signal, Duration elapsed) {
        return new ExitStatus(null, signal, false, false, false, elapsed);
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
