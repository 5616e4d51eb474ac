package dev.ranna.engine.spi;

import java.util.Locale;
import java.util.Objects;

/**
 * How strongly a sandbox separates programs from the host, as its provider declares it for a given
 * configuration ({@link SandboxProvider#isolation}); logged at start, so an operator sees what the chosen
 * sandbox protects against.
 *
 * @param level the kind of boundary
 * @param description one line saying what it consists of, e.g. {@code "bubblewrap namespaces, seccomp
 *     filter, cgroup limits, on the host's kernel"}
 */
public record Isolation(Isolation.Level level, String description) {

    /** The kinds of boundary, weakest first. */
    public enum Level {
        /** None: programs are plain processes of the server's user. For local development only. */
        NONE,
        /** The provider did not say. */
        UNDECLARED,
        /** Namespaces, a syscall filter and resource limits, on the host's own kernel (bubblewrap, runc). */
        SHARED_KERNEL,
        /** A kernel of the sandbox's own between programs and the host (gVisor, a virtual machine). */
        SEPARATE_KERNEL;

        /** The lower-case name, e.g. {@code shared_kernel}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Isolation {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(description, "description");
    }

    /** What a provider that declares nothing gets. */
    public static final Isolation UNDECLARED = new Isolation(Level.UNDECLARED, "not declared by the provider");

    /** Whether programs run without any isolation. */
    public boolean none() {
        return level == Level.NONE;
    }

    /** {@code level (description)}. */
    @Override
    public String toString() {
        return level.label() + " (" + description + ")";
    }
}
