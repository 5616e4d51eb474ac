package dev.ranna.engine.spi;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * A created sandbox: starts runs and owns every resource they use.
 *
 * <p>Thread-safe: {@link #start} is called concurrently from the engine's run threads. {@link #close()}
 * is called once, when the engine closes; it kills every run still going and removes every process,
 * container, volume, file and thread the sandbox created, then returns.
 */
public interface Sandbox extends AutoCloseable {

    /**
     * Starts one run. May block while the run is set up (e.g. a container is created); returns once
     * the program has been started. Output then flows to {@code sink} from threads of the sandbox, and
     * {@link Execution#exit()} completes after the last call to {@code sink}.
     *
     * <p>The sandbox does not time the run: the engine kills it through {@link Execution#kill()} at
     * {@link SandboxRequest#timeout()} and reports the timeout itself.
     *
     * @throws SandboxException if the run could not be started; nothing of it is left behind
     */
    Execution start(SandboxRequest request, OutputSink sink) throws SandboxException;

    /** The version of what runs the code (e.g. {@code "bubblewrap 0.8.0"}, {@code "docker 20.10.24"}). */
    String version();

    /**
     * What this sandbox can do beyond starting, streaming and killing; the engine lists the matching
     * protocol features in {@code /v1/info} and relies on nothing else. Constant for the sandbox's life.
     * Defaults to none: a sandbox that does not declare {@link Capability#USAGE} is not asked for usage and
     * its STOPs carry none.
     */
    default Set<Capability> capabilities() {
        return Set.of();
    }

    /** Facts an operator should see in {@code /v1/info}, e.g. the isolation level and enforced limits. */
    default Map<String, String> info() {
        return Map.of();
    }

    /**
     * Tells the sandbox which languages the engine offers: once when the engine starts and again after
     * every spec reload, from the thread that started or reloaded the engine. A sandbox may prepare for
     * them (pull images, warm pools) but must not block long doing so: start slow work in the
     * background. Runs may start before preparation has finished. Defaults to doing nothing.
     *
     * @param specs the distinct specs the spec map resolves to, aliases removed
     */
    default void prepare(Collection<LanguageSpec> specs) {}

    /** Kills every run and releases everything this sandbox created. Idempotent; never throws. */
    @Override
    void close();
}
