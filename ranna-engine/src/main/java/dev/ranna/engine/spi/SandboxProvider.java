package dev.ranna.engine.spi;

/**
 * A kind of sandbox, found with {@link java.util.ServiceLoader}. Implementations need a public no-arg
 * constructor and must be cheap to construct: every provider on the class path is instantiated at engine
 * start, including the ones that are not selected.
 *
 * <p>Selection: a provider given to the engine builder is used as is; otherwise a configured name picks
 * one; otherwise the available provider with the highest {@link #priority()} wins (ties by name).
 *
 * <p>Thread-safe; all methods may be called from any thread.
 */
public interface SandboxProvider {

    /** A stable, lower-case name used in configuration ({@code "docker"}, {@code "process"}). */
    String name();

    /** Higher wins automatic selection. Defaults to 0. */
    default int priority() {
        return 0;
    }

    /**
     * Whether this provider can run code on this host, and if not, why. Bounded in time (a few seconds
     * at most) and never throws: a failed probe is an unavailability with the failure as its reason.
     */
    Availability availability();

    /**
     * Creates a sandbox. Called once per engine; the engine closes the sandbox when it closes.
     *
     * @throws SandboxException if the sandbox cannot be created (e.g. the host lacks what it needs)
     */
    Sandbox create(SandboxConfig config) throws SandboxException;
}
