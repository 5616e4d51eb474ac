package dev.ranna.protocol;

import java.util.Optional;

/**
 * The signals a client may send to its run's program with the SIGNAL operation (op 4), by their wire
 * names ({@code "SIGINT"}), with their Linux numbers. Any other name is refused with {@code ERROR 400}.
 *
 * <p>The set is closed on purpose: these are the signals a person at a terminal sends (interrupt, quit,
 * hang up, terminate, kill, stop and continue) and the two left to programs. Signals that fake a fault
 * ({@code SIGSEGV}, {@code SIGBUS}) or a timer are not a client's to send.
 */
public enum ProgramSignal {
    SIGHUP(1),
    SIGINT(2),
    SIGQUIT(3),
    SIGKILL(9),
    SIGUSR1(10),
    SIGUSR2(12),
    SIGTERM(15),
    SIGCONT(18),
    SIGSTOP(19);

    private final int number;

    ProgramSignal(int number) {
        this.number = number;
    }

    /** The signal's number on Linux (x86-64 and arm64 agree on all of these). */
    public int number() {
        return number;
    }

    /** The signal named exactly {@code name} ({@code "SIGINT"}; case and the prefix matter), or empty. */
    public static Optional<ProgramSignal> fromName(String name) {
        for (ProgramSignal signal : values()) {
            if (signal.name().equals(name)) {
                return Optional.of(signal);
            }
        }
        return Optional.empty();
    }
}
